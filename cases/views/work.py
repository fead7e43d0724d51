"""Pages for a worker's and a team's work: tasks and caseloads."""

urlpatterns: list = []
