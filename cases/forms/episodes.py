"""Forms for an episode of early help: starting it, closure and its decision, reopening, step-up and step-down.
They check the shape of what was typed; the services decide what the rules allow."""

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.utils import timezone

from cases.models import Closure, Episode, SocialCareOutcome, Transfer
from earlyhelp.core.codes import LevelOfNeed
from earlyhelp.core.forms import GovDateField, gov_form_helper, gov_text_field

NOT_SAID = "not_said"
LEVELS = [
    (LevelOfNeed.ADDITIONAL.value, LevelOfNeed.ADDITIONAL.label),
    (LevelOfNeed.TARGETED.value, LevelOfNeed.TARGETED.label),
]
SATISFACTION = [
    ("1", "1: very dissatisfied"),
    ("2", "2: dissatisfied"),
    ("3", "3: neither satisfied nor dissatisfied"),
    ("4", "4: satisfied"),
    ("5", "5: very satisfied"),
    (NOT_SAID, "The family did not say"),
]


def _radios(label: str, choices, message: str, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, widget=forms.RadioSelect, error_messages={"required": message}, **kwargs
    )


def _level() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label="Level of need",
        choices=LEVELS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the level of need",
            "invalid_choice": "Choose level 2 (additional needs) or level 3 (targeted or complex)",
        },
    )


def _reference(*, required: bool) -> forms.CharField:
    label = "Children's social care reference" + ("" if required else " (optional)")
    return forms.CharField(
        label=label,
        required=required,
        max_length=50,
        help_text="The case reference in children's social care's system",
        error_messages={
            "required": "Enter children's social care's case reference",
            "max_length": "The reference must be 50 characters or fewer",
        },
    )


class EpisodeStartForm(forms.Form):
    pathway = _radios(
        "Who will lead early help?",
        [
            (Episode.Pathway.PARTNER_LED, "I will lead it, as partner-led early help"),
            (Episode.Pathway.TARGETED, "Ask the Local Area Team for targeted early help"),
        ],
        "Choose who will lead early help",
    )
    level = _level()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pathway"].error_messages["invalid_choice"] = "Choose who will lead early help"
        self.helper = gov_form_helper(
            Field.radios("pathway", legend_size=Size.MEDIUM),
            Field.radios("level", legend_size=Size.MEDIUM),
        )


class ClosureRequestForm(forms.Form):
    reason = _radios("Why is early help closing?", Closure.Reason.choices, "Choose why early help is closing")
    reason_detail = gov_text_field(
        "Say more about why (needed for other)", required=False, rows=3, hint="Needed when the reason is other"
    )
    summary = gov_text_field(
        "What changed for the family, and what support continues?",
        message="Say what changed for the family, and what support continues",
    )
    satisfaction = _radios(
        "How satisfied was the family with the help they had?",
        SATISFACTION,
        "Choose how satisfied the family was, or that they did not say",
    )
    made_difference = _radios(
        "Did the help make a difference?",
        Closure.Difference.choices,
        "Choose whether the family said the help made a difference",
    )
    family_comments = gov_text_field("The family's comments (optional)", required=False, rows=4)
    meeting = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Closure meeting (optional)",
        empty_label="No closure meeting: ask a Local Area Team manager to approve",
        help_text="A held closure meeting of the Team Around the Family that decided to close: early help then "
        "closes at once",
        error_messages={"invalid_choice": "Choose a closure meeting of this episode that decided to close"},
    )

    def __init__(self, *args, meetings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings
        for name in ("reason", "satisfaction", "made_difference"):
            self.fields[name].error_messages["invalid_choice"] = self.fields[name].error_messages["required"]
        self.helper = gov_form_helper(
            Field.radios("reason", legend_size=Size.MEDIUM, small=True),
            Field.textarea("reason_detail"),
            Field.textarea("summary"),
            Field.radios("satisfaction", legend_size=Size.MEDIUM, small=True),
            Field.radios("made_difference", legend_size=Size.MEDIUM, small=True),
            Field.textarea("family_comments"),
            Field.select("meeting"),
        )

    def clean_satisfaction(self) -> int | None:
        value = self.cleaned_data["satisfaction"]
        return None if value == NOT_SAID else int(value)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == Closure.Reason.OTHER and not cleaned.get("reason_detail", "").strip():
            self.add_error("reason_detail", "Say why early help is closing")
        return cleaned


class ClosureDecisionForm(forms.Form):
    decision = _radios(
        "Your decision",
        [("approve", "Approve: close early help"), ("refuse", "Refuse: the plan carries on")],
        "Choose whether to approve or refuse the closure",
    )
    refusal_reason = gov_text_field(
        "Why is the closure refused?", required=False, rows=4, hint="Needed when you refuse: the practitioner is told"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].error_messages["invalid_choice"] = "Choose whether to approve or refuse the closure"
        self.helper = gov_form_helper(
            Field.radios("decision", legend_size=Size.MEDIUM), Field.textarea("refusal_reason")
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "refuse" and not cleaned.get("refusal_reason", "").strip():
            self.add_error("refusal_reason", "Say why the closure is refused: the practitioner is told")
        return cleaned


class ReopenForm(forms.Form):
    reason = gov_text_field(
        "Why is the episode being reopened?", message="Say why the episode is being reopened", rows=4
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.textarea("reason"))


class StepUpForm(forms.Form):
    kind = _radios(
        "What is children's social care asked for?",
        [
            (k, Transfer.Kind(k).label)
            for k in (Transfer.Kind.SOCIAL_CARE, Transfer.Kind.STRATEGY, Transfer.Kind.IMMEDIATE_PROTECTION)
        ],
        "Choose what children's social care is asked for",
    )
    reason = gov_text_field("Why is the family being stepped up?", message="Say why the family is being stepped up")
    external_reference = _reference(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].error_messages["invalid_choice"] = "Choose what children's social care is asked for"
        self.helper = gov_form_helper(
            Field.radios("kind", legend_size=Size.MEDIUM),
            Field.textarea("reason"),
            Field.text("external_reference", field_width=20),
        )


class StepUpReferenceForm(forms.Form):
    external_reference = _reference(required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.text("external_reference", field_width=20))


class StepDownForm(forms.Form):
    external_reference = _reference(required=True)
    reason = gov_text_field(
        "Why is the family stepped down to early help?", message="Say why the family is stepped down to early help"
    )
    lead_practitioner = forms.ModelChoiceField(
        queryset=None,
        label="Lead practitioner",
        empty_label="Choose a worker",
        error_messages={
            "required": "Choose the lead practitioner",
            "invalid_choice": "Choose someone who works in the family's Local Area Team",
        },
    )
    level = _level()
    handover_on = GovDateField(label="Handover meeting date", help_text="For example, 27 3 2026")

    def __init__(self, *args, workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_practitioner"].queryset = workers
        if not self.is_bound:
            self.initial.setdefault("level", LevelOfNeed.TARGETED.value)
        self.helper = gov_form_helper(
            Field.text("external_reference", field_width=20),
            Field.textarea("reason"),
            Field.select("lead_practitioner"),
            Field.radios("level", legend_size=Size.MEDIUM),
            Field("handover_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )

    def clean_handover_on(self):
        handover_on = self.cleaned_data["handover_on"]
        if handover_on and handover_on < timezone.localdate():
            raise forms.ValidationError("The handover meeting date must be today or in the future")
        return handover_on


class TransferOutcomeForm(forms.Form):
    outcome = _radios(
        "What did children's social care decide?",
        SocialCareOutcome.choices,
        "Choose what children's social care decided",
    )
    outcome_on = GovDateField(label="Date of the outcome", help_text="For example, 27 3 2026")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].error_messages["invalid_choice"] = "Choose what children's social care decided"
        self.helper = gov_form_helper(
            Field.radios("outcome", legend_size=Size.MEDIUM),
            Field("outcome_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )
