"""two_factor pages."""

urlpatterns: list = []
