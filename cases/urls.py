from django.urls import path

from cases import views
from cases.views import episodes, interventions, notes, plans, supporting_families, taf, work

app_name = "cases"
urlpatterns = [
    path("families/", views.family_list, name="family_list"),
    path("families/search/", views.search, name="search"),
    path("families/new/", views.family_create, name="family_create"),
    path("families/<uuid:uuid>/", views.family_detail, name="family_detail"),
    path("families/<uuid:uuid>/edit/", views.family_edit, name="family_edit"),
    path("families/<uuid:uuid>/history/", views.family_history, name="family_history"),
    path("families/<uuid:uuid>/members/add/", views.family_member_add, name="family_member_add"),
    path("families/<uuid:uuid>/members/<uuid:member_uuid>/edit/", views.family_member_edit, name="family_member_edit"),
    path("families/<uuid:uuid>/relationships/add/", views.relationship_add, name="relationship_add"),
    path("families/<uuid:uuid>/involvements/add/", views.involvement_add, name="involvement_add"),
    path("families/<uuid:uuid>/tasks/<uuid:task_uuid>/done/", views.task_complete, name="task_complete"),
    path("allocations/", views.allocation_queue, name="allocation_queue"),
    path("allocations/<uuid:uuid>/", views.episode_allocate, name="episode_allocate"),
    path("people/<uuid:uuid>/", views.person_detail, name="person_detail"),
    path("people/<uuid:uuid>/edit/", views.person_edit, name="person_edit"),
    path("people/<uuid:uuid>/history/", views.person_history, name="person_history"),
    # The work of an episode: each area lists its own pages in its view module.
    *episodes.urlpatterns,
    *plans.urlpatterns,
    *taf.urlpatterns,
    *interventions.urlpatterns,
    *notes.urlpatterns,
    *work.urlpatterns,
    *supporting_families.urlpatterns,
]
