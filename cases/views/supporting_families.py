"""Supporting Families pages."""

urlpatterns: list = []
