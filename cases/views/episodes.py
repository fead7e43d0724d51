"""Pages for an episode of early help: its overview, starting it, closure and reopening, step-up and step-down."""

urlpatterns: list = []
