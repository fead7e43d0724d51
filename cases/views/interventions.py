"""Pages for targeted Child and Family Support: interventions, sessions and extensions."""

urlpatterns: list = []
