"""Top-level URL configuration. Every pattern here must have an entry in the access matrix."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("earlyhelp.core.urls")),
    path("accounts/", include("earlyhelp.accounts.urls")),
    path("", include("cases.urls")),
    path("", include("consent.urls")),
    path("", include("assessments.urls")),
    path("", include("referrals.urls")),
    path("", include("documents.urls")),
    path("", include("reporting.urls")),
    path("governance/", include("governance.urls")),
    path("", include("earlyhelp.audit.urls")),
    path("directory/", include("locality.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "earlyhelp.core.views.permission_denied"
handler404 = "earlyhelp.core.views.page_not_found"
handler500 = "earlyhelp.core.views.server_error"
