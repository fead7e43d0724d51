"""sessions pages."""

urlpatterns: list = []
