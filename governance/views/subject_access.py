"""subject_access pages."""

urlpatterns: list = []
