"""Pages for the Team Around the Family: members, invitations, meetings and reviews."""

urlpatterns: list = []
