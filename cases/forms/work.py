"""Filters for the team's task list and caseload: they only narrow what the manager already sees."""

from crispy_forms_gds.layout import Field
from django import forms

from earlyhelp.core.forms import query_form_helper

WORKER_MESSAGE = "Choose a worker from the list"


class WorkerFilterForm(forms.Form):
    """Pick one worker of the manager's teams; the choices are those workers, so no other id gets through."""

    worker = forms.TypedChoiceField(label="Worker", required=False, coerce=int, empty_value=None)

    def __init__(self, *args, workers: list, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["worker"]
        field.choices = [("", "Everyone"), *((worker.pk, worker.full_name) for worker in workers)]
        field.error_messages["invalid_choice"] = WORKER_MESSAGE
        self.helper = query_form_helper(Field.select("worker"))


class TeamTaskFilterForm(WorkerFilterForm):
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = query_form_helper(Field.select("worker"), Field.checkbox("overdue"))
