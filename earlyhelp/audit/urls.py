"""Pages of the access log."""

from django.urls import path

from earlyhelp.audit import views

app_name = "audit"
urlpatterns = [
    path("access-log/", views.access_log, name="access_log"),
    path("families/<uuid:uuid>/viewed-by/", views.family_access, name="family_access"),
]
