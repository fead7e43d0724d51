from django.urls import path

from documents import views

app_name = "documents"
urlpatterns = [
    # Asking for a PDF of one record: a button (POST) on the record's page.
    path("plans/<uuid:uuid>/pdf/", views.document_new, {"kind": "plan"}, name="plan_pdf"),
    path("assessments/<uuid:uuid>/pdf/", views.document_new, {"kind": "assessment"}, name="assessment_pdf"),
    path("mash/contacts/<uuid:uuid>/pdf/", views.document_new, {"kind": "contact"}, name="contact_pdf"),
    path("families/<uuid:uuid>/chronology/pdf/", views.document_new, {"kind": "chronology"}, name="chronology_pdf"),
    path("closures/<uuid:uuid>/pdf/", views.document_new, {"kind": "closure"}, name="closure_pdf"),
    path("families/<uuid:uuid>/documents/", views.family_documents, name="family_documents"),
    path("documents/<uuid:uuid>/", views.request_detail, name="request"),
    path("documents/<uuid:uuid>/download/", views.download, name="download"),
    path("documents/<uuid:uuid>/retry/", views.retry, name="retry"),
    path("teams/<uuid:uuid>/open-plans/", views.team_plans, name="team_plans"),
]
