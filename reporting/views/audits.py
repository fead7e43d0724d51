"""audits pages."""

urlpatterns: list = []
