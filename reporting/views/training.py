"""training pages."""

urlpatterns: list = []
