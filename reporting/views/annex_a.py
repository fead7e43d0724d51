"""annex_a pages."""

urlpatterns: list = []
