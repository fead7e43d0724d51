"""Pages for the family plan: versions, goals and their scaling, actions, and "My actions"."""

urlpatterns: list = []
