"""Pages for case notes, their amendments, and the family chronology."""

urlpatterns: list = []
