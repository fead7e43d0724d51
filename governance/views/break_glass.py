"""break_glass pages."""

urlpatterns: list = []
