"""Information governance pages: break-the-glass, restricted records, subject access requests and retention."""

from governance.views import break_glass, restrictions, retention, subject_access

app_name = "governance"
urlpatterns = [
    *break_glass.urlpatterns,
    *restrictions.urlpatterns,
    *subject_access.urlpatterns,
    *retention.urlpatterns,
]
