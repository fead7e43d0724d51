"""Forms for targeted Child and Family Support. Fields check their own shape; the services decide what the rules
allow (the 6 to 12 week window, dates around the start, who may decide an extension)."""

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.utils import timezone

from cases.models import FamilyMember, Intervention, InterventionSession
from earlyhelp.core.forms import GovDateField, ModelChoicesField, gov_form_helper, gov_text_field


def _radios(label: str, choices, message: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, widget=forms.RadioSelect, error_messages={"required": message}
    )


def _ordered(form: forms.Form) -> None:
    # Errors are listed in the summary in the order the fields appear on the page (GOV.UK pattern).
    form.order_fields([pointer.name for pointer in form.helper.layout.get_field_names()])


class InterventionForm(forms.Form):
    """Start an intervention: who, what, from when, and for how long (in weeks or to a date)."""

    worker = forms.ModelChoiceField(
        queryset=None,
        label="Worker",
        empty_label="Choose a worker",
        error_messages={"required": "Choose the worker", "invalid_choice": "Choose a worker from the team"},
    )
    kind = _radios("Type of support", Intervention.Kind.choices, "Choose the type of support")
    aims = gov_text_field(
        "Aims",
        message="Enter what the intervention aims to change",
        hint="What should be different for the family by the end",
    )
    started_on = GovDateField(label="Start date", help_text="For example, 14 9 2026")
    weeks = forms.IntegerField(
        label="Planned length in weeks",
        required=False,
        help_text="6 to 12 weeks. The planned end is the last working day of the last week",
        error_messages={"invalid": "Enter the planned length as a whole number of weeks, such as 8"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    planned_end_on = GovDateField(
        label="Or a planned end date",
        required=False,
        help_text="Leave empty if you gave a length in weeks. A working day 6 to 12 weeks after the start",
    )

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = workers
        self.helper = gov_form_helper(
            Field.select("worker"),
            Field.radios("kind", legend_size=Size.SMALL, small=True),
            Field.textarea("aims"),
            Field("started_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            # Two separate questions, not a fieldset around them: a date input is a fieldset of its own.
            Field.text("weeks", field_width=2),
            Field("planned_end_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )
        _ordered(self)


def _person_label(person) -> str:
    role = dict(FamilyMember.Role.choices).get(getattr(person, "family_role", ""), "")
    return f"{person.full_name} ({role.lower()})" if role else person.full_name


class SessionForm(forms.Form):
    """One session: when, how, who was seen (only the family's members the user may see), and notes."""

    held_on = GovDateField(label="Date of the session")
    kind = _radios("Type of session", InterventionSession.Kind.choices, "Choose the type of session")
    people_seen = ModelChoicesField(
        queryset=None,
        required=False,
        label="Who was seen?",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Choose people from this family",
            "invalid_pk_value": "Choose people from this family",
        },
    )
    child_seen_alone = forms.BooleanField(required=False, label="A child was seen alone")
    notes = gov_text_field(
        "Notes", message="Enter notes of the session", hint="What you did together and what was agreed", rows=8
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people_seen"].queryset = people
        self.fields["people_seen"].label_from_instance = _person_label
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())
        self.helper = gov_form_helper(
            Field("held_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.radios("kind", legend_size=Size.SMALL, small=True),
            Field.checkboxes("people_seen", legend_size=Size.SMALL, small=True),
            Field.checkbox("child_seen_alone"),
            Field.textarea("notes"),
        )
        _ordered(self)


class ExtensionRequestForm(forms.Form):
    new_end_on = GovDateField(label="New planned end date")
    reason = gov_text_field("Why does the family need more time?", message="Enter why the family needs more time")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(
            Field("new_end_on", context={"legend_size": Size.for_legend(Size.SMALL)}), Field.textarea("reason")
        )
        _ordered(self)


class ExtensionDecisionForm(forms.Form):
    APPROVE, REFUSE = "approve", "refuse"
    decision = _radios(
        "Your decision",
        [(APPROVE, "Approve the extension"), (REFUSE, "Refuse the extension")],
        "Choose whether to approve or refuse the extension",
    )
    reason = gov_text_field("Reason", required=False, hint="Required if you refuse: the worker will read it", rows=4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.radios("decision", legend_size=Size.SMALL), Field.textarea("reason"))
        _ordered(self)

    @property
    def approve(self) -> bool:
        return self.cleaned_data["decision"] == self.APPROVE


class InterventionEndForm(forms.Form):
    status = _radios(
        "How did it end?",
        [
            (Intervention.Status.COMPLETED, "Completed: the planned work was done"),
            (Intervention.Status.ENDED_EARLY, "Ended early"),
        ],
        "Choose whether the intervention was completed or ended early",
    )
    ended_on = GovDateField(label="End date")
    outcome = gov_text_field(
        "Outcome",
        message="Enter the outcome: what changed for the family",
        hint="What changed for the family, and what support continues",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("ended_on", timezone.localdate())
        self.helper = gov_form_helper(
            Field.radios("status", legend_size=Size.SMALL),
            Field("ended_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.textarea("outcome"),
        )
        _ordered(self)
