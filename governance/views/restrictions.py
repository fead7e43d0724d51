"""restrictions pages."""

urlpatterns: list = []
