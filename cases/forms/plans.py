"""Forms for the family plan: starting a version, agreeing it, goals, scores and actions. They check shape;
the services in `cases.services.plans` decide what the rules allow."""

from crispy_forms_gds.layout import Field, Fieldset, Size
from django import forms
from django.utils import timezone

from cases.models import Action, Goal, GoalScore
from earlyhelp.core.forms import GovDateField, gov_form_helper

TEXT_MAX = 4000
SCALE_HINT = "0 is the worst things could be, 10 is where everyone would like them to be"


def _text(label: str, message: str, *, required: bool = True, hint: str = "", rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": message, "max_length": f"Keep it to {TEXT_MAX:,} characters"},
    )


def _scale(label: str, noun: str, *, required: bool = True, hint: str = "") -> forms.IntegerField:
    message = f"Enter {noun} as a whole number from 0 to 10"
    return forms.IntegerField(
        label=label,
        help_text=hint,
        required=required,
        min_value=0,
        max_value=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": f"Enter {noun} on the scale from 0 to 10",
            "invalid": message,
            "min_value": message,
            "max_value": message,
        },
    )


STALE_PAGE = "This page is out of date. Open it again to see the latest version"


def _lock_version() -> forms.IntegerField:
    return forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        max_value=2**31 - 1,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), STALE_PAGE),
    )


def _check_target(form: forms.Form, baseline: str, target: str) -> None:
    start, goal = form.cleaned_data.get(baseline), form.cleaned_data.get(target)
    if start is not None and goal is not None and goal <= start:
        form.add_error(target, "The target must be higher on the scale than where the family starts")


def _person_label(person) -> str:
    return person.full_name


class PlanStartForm(forms.Form):
    """A new version of the plan. A first version offers each need of the assessment as a goal to confirm."""

    summary = _text(
        "What needs to happen",
        "Say what needs to happen",
        required=False,
        hint="In the family's words where you can: what will be different when the plan has worked",
        rows=5,
    )

    def __init__(self, *args, suggestions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.suggestions = list(suggestions)
        layout = [Field.textarea("summary", rows=5)]
        for number, suggestion in enumerate(self.suggestions, start=1):
            self.fields[f"goal_{number}_include"] = forms.BooleanField(
                required=False, initial=True, label="Make this need a goal of the plan"
            )
            self.fields[f"goal_{number}_text"] = _text(
                "Goal",
                f"Enter the wording of goal {number}",
                required=False,
                hint="Specific, measurable, achievable, relevant and time-bound",
                rows=3,
            )
            self.fields[f"goal_{number}_baseline"] = _scale(
                "Where things are now", f"where things are now for goal {number}", required=False, hint=SCALE_HINT
            )
            self.fields[f"goal_{number}_target"] = _scale(
                "Target", f"the target for goal {number}", required=False, hint="Where the family aims to be"
            )
            self.initial.setdefault(f"goal_{number}_text", suggestion.text)
            self.initial.setdefault(f"goal_{number}_baseline", suggestion.baseline)
            layout.append(
                Fieldset(
                    Field.checkbox(f"goal_{number}_include", small=True),
                    Field.textarea(f"goal_{number}_text", rows=3),
                    Field.text(f"goal_{number}_baseline", field_width=2),
                    Field.text(f"goal_{number}_target", field_width=2),
                    legend=(f"Need {number}: {suggestion.need.get_headline_display()}, for {suggestion.for_whom}"),
                    legend_size=Size.SMALL,
                )
            )
        self.helper = gov_form_helper(*layout)

    def clean(self):
        cleaned = super().clean()
        for number in range(1, len(self.suggestions) + 1):
            if not cleaned.get(f"goal_{number}_include"):
                continue
            if not (cleaned.get(f"goal_{number}_text") or "").strip() and f"goal_{number}_text" not in self.errors:
                self.add_error(f"goal_{number}_text", f"Enter the wording of goal {number}")
            for part, noun in (("baseline", "where things are now"), ("target", "the target")):
                name = f"goal_{number}_{part}"
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(name, f"Enter {noun} for goal {number} on the scale from 0 to 10")
            _check_target(self, f"goal_{number}_baseline", f"goal_{number}_target")
        return cleaned

    def goal_rows(self) -> list[dict]:
        """The confirmed goals, as keyword arguments for `GoalDraft`."""
        rows = []
        for number, suggestion in enumerate(self.suggestions, start=1):
            if self.cleaned_data.get(f"goal_{number}_include"):
                rows.append(
                    {
                        "text": self.cleaned_data[f"goal_{number}_text"],
                        "baseline": self.cleaned_data[f"goal_{number}_baseline"],
                        "target": self.cleaned_data[f"goal_{number}_target"],
                        "person": suggestion.need.person,
                        "need": suggestion.need,
                    }
                )
        return rows


class PlanEditForm(forms.Form):
    summary = _text("What needs to happen", "Say what needs to happen", rows=8)
    lock_version = _lock_version()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.textarea("summary", rows=8), Field("lock_version"))


class PlanAgreeForm(forms.Form):
    agreed_on = GovDateField(label="Date the plan was agreed")
    family_agreed = forms.BooleanField(
        label="The family agreed this plan",
        error_messages={"required": "Confirm that the family agreed the plan"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("agreed_on", timezone.localdate())
        self.helper = gov_form_helper(
            Field("agreed_on", context={"legend_size": Size.for_legend(Size.SMALL)}), Field.checkbox("family_agreed")
        )


class GoalForm(forms.Form):
    """Add a goal, or change one (with its status and the version the person started from)."""

    text = _text("Goal", "Enter the goal", hint="Specific, measurable, achievable, relevant and time-bound", rows=4)
    person = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Who is the goal for?",
        empty_label="The whole family",
        error_messages={"invalid_choice": "Choose someone in this family, or the whole family"},
    )
    need = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Need from the assessment (optional)",
        empty_label="Not linked to a need",
        error_messages={"invalid_choice": "Choose a need from the family's assessment"},
    )
    baseline = _scale("Where things are now", "where things are now", hint=SCALE_HINT)
    target = _scale("Target", "a target", hint="Where the family aims to be. A goal needs a target")

    def __init__(self, *args, people, needs, editing: bool = False, kept_person=None, kept_need=None, **kwargs):
        """`kept_person` (`kept_need`): the goal's current person (need) when the editor may not see them. The
        field is left off, so it is never named or offered, and the goal keeps it unchanged."""
        super().__init__(*args, **kwargs)
        self.kept = {"person": kept_person, "need": kept_need}
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = _person_label
        self.fields["need"].queryset = needs
        for name, kept in self.kept.items():
            if kept is not None:
                del self.fields[name]
        layout = [
            Field.textarea("text", rows=4),
            *(Field.select(name) for name in ("person", "need") if name in self.fields),
            Field.text("baseline", field_width=2),
            Field.text("target", field_width=2),
        ]
        if editing:
            self.fields["status"] = forms.ChoiceField(
                label="Status",
                choices=Goal.Status.choices,
                widget=forms.RadioSelect,
                error_messages={"required": "Choose the goal's status", "invalid_choice": "Choose the goal's status"},
            )
            self.fields["lock_version"] = _lock_version()
            layout += [Field.radios("status", legend_size=Size.SMALL, small=True), Field("lock_version")]
        self.helper = gov_form_helper(*layout)

    def clean(self):
        cleaned = super().clean()
        _check_target(self, "baseline", "target")
        for name, kept in self.kept.items():
            if kept is not None:
                cleaned[name] = kept
        return cleaned


class GoalScoreForm(forms.Form):
    score = _scale("Where are things now?", "the score", hint=SCALE_HINT)
    scored_on = GovDateField(label="Date of the score")
    comment = forms.CharField(
        label="Comment (optional)",
        required=False,
        max_length=GoalScore._meta.get_field("comment").max_length,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Keep the comment to 500 characters"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("scored_on", timezone.localdate())
        self.helper = gov_form_helper(
            Field.text("score", field_width=2),
            Field("scored_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.textarea("comment", rows=3),
        )

    def clean_scored_on(self):
        scored_on = self.cleaned_data["scored_on"]
        if scored_on and scored_on > timezone.localdate():
            raise forms.ValidationError("The date of the score must be today or in the past")
        return scored_on


class ActionForm(forms.Form):
    """Who will do what by when. The owner is one practitioner, agency or family member, chosen by kind first."""

    OWNER_KINDS = [("user", "A practitioner"), ("agency", "An agency"), ("person", "Someone in the family")]

    what = _text("What will be done", "Say what will be done", rows=3)
    goal = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Goal it helps with (optional)",
        empty_label="The plan as a whole",
        error_messages={"invalid_choice": "Choose a goal from this plan"},
    )
    owner_kind = forms.ChoiceField(
        label="Who owns the action?",
        choices=OWNER_KINDS,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose who owns the action: a practitioner, an agency or a family member",
            "invalid_choice": "Choose who owns the action: a practitioner, an agency or a family member",
        },
    )
    owner_user = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="If a practitioner: which practitioner",
        empty_label="Choose a practitioner",
        error_messages={"invalid_choice": "Choose a practitioner from the list"},
    )
    owner_agency = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="If an agency: which agency",
        empty_label="Choose an agency",
        error_messages={"invalid_choice": "Choose an agency from the list"},
    )
    owner_person = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="If someone in the family: who",
        empty_label="Choose someone in the family",
        error_messages={"invalid_choice": "Choose someone in the family from the list"},
    )
    due_on = GovDateField(label="Due date")

    def __init__(
        self, *args, goals, practitioners, agencies, people, editing: bool = False, kept_person=None, **kwargs
    ):
        """`kept_person`: the action's current owner when the editor may not see them. They are never named or
        offered; choosing "Someone in the family" with nobody picked keeps them as the owner."""
        super().__init__(*args, **kwargs)
        self.kept_person = kept_person
        self.fields["goal"].queryset = goals
        self.fields["owner_user"].queryset = practitioners
        self.fields["owner_user"].label_from_instance = lambda user: user.full_name or user.email
        self.fields["owner_agency"].queryset = agencies
        self.fields["owner_person"].queryset = people
        self.fields["owner_person"].label_from_instance = _person_label
        if kept_person is not None:
            self.fields["owner_person"].empty_label = "Keep the current family member (not shown to you)"
        self.fields["due_on"].error_messages["required"] = "Enter the date the action is due"
        # Plain radios followed by the three lists, rather than GOV.UK conditional reveals: the reveal script puts
        # aria-expanded on radio buttons, which assistive technology does not expect (axe-core: aria-allowed-attr).
        layout = [
            Field.textarea("what", rows=3),
            Field.select("goal"),
            Field.radios("owner_kind", legend_size=Size.SMALL, small=True),
            Field.select("owner_user"),
            Field.select("owner_agency"),
            Field.select("owner_person"),
            Field("due_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
        ]
        if editing:
            self.fields["status"] = forms.ChoiceField(
                label="Status",
                choices=Action.Status.choices,
                widget=forms.RadioSelect,
                error_messages={
                    "required": "Choose the action's status",
                    "invalid_choice": "Choose the action's status",
                },
            )
            self.fields["lock_version"] = _lock_version()
            layout += [Field.radios("status", legend_size=Size.SMALL, small=True), Field("lock_version")]
        self.helper = gov_form_helper(*layout)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("owner_kind")
        kept = kind == "person" and self.kept_person is not None
        if kind and not kept and not cleaned.get(f"owner_{kind}") and f"owner_{kind}" not in self.errors:
            nouns = {"user": "practitioner", "agency": "agency", "person": "family member"}
            self.add_error(f"owner_{kind}", f"Choose the {nouns[kind]} who owns the action")
        return cleaned

    def owner_fields(self) -> dict:
        """Exactly one owner: the one the chosen kind names."""
        kind = self.cleaned_data["owner_kind"]
        owners = {
            f"owner_{k}": self.cleaned_data.get(f"owner_{k}") if k == kind else None for k in dict(self.OWNER_KINDS)
        }
        if kind == "person" and owners["owner_person"] is None:
            owners["owner_person"] = self.kept_person
        return owners

    @staticmethod
    def initial_for(action: Action) -> dict:
        kind = "user" if action.owner_user_id else "agency" if action.owner_agency_id else "person"
        return {
            "what": action.what,
            "goal": action.goal_id,
            "owner_kind": kind,
            "owner_user": action.owner_user_id,
            "owner_agency": action.owner_agency_id,
            "owner_person": action.owner_person_id,
            "due_on": action.due_on,
            "status": action.status,
            "lock_version": action.lock_version,
        }
