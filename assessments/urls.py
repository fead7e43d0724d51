from django.urls import path

from assessments import views

app_name = "assessments"
urlpatterns = [
    path("families/<uuid:uuid>/assessments/new/", views.assessment_start, name="start"),
    path("assessments/<uuid:uuid>/", views.assessment_summary, name="summary"),
    path("assessments/<uuid:uuid>/sections/<slug:key>/", views.section_edit, name="section"),
    path("assessments/<uuid:uuid>/sections/<slug:key>/<uuid:person_uuid>/", views.section_edit, name="child_section"),
    path("assessments/<uuid:uuid>/needs/", views.needs, name="needs"),
    path("assessments/<uuid:uuid>/needs/<uuid:need_uuid>/remove/", views.need_remove, name="need_remove"),
    path("assessments/<uuid:uuid>/submit/", views.assessment_submit, name="submit"),
    path("assessments/<uuid:uuid>/decision/", views.assessment_decide, name="decide"),
    path("assessments/<uuid:uuid>/compare/", views.assessment_compare, name="compare"),
]
