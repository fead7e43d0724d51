"""Forms for the Supporting Families programme: registering a family, its needs and their outcomes, moving the
registration on, and the quarterly return. Choices come from the family's own records, so no other id gets
through."""

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.utils import timezone

from cases.models.supporting_families import Headline, SupportingFamiliesRegistration
from cases.selectors import supporting_families as selectors
from earlyhelp.core.forms import GovDateField, gov_form_helper, gov_text_field, query_form_helper

SMALL_LEGEND = {"legend_size": Size.for_legend(Size.SMALL)}


class RegistrationForm(forms.Form):
    """Who leads, and which whole-family assessment and plan the registration rests on; each may be left for later
    (the family is then not eligible yet)."""

    lead_practitioner = forms.ModelChoiceField(
        queryset=None, required=False, label="Lead practitioner", empty_label="Not chosen yet"
    )
    assessment = forms.ModelChoiceField(
        queryset=None, required=False, label="Whole-family assessment", empty_label="Not chosen yet"
    )
    plan = forms.ModelChoiceField(queryset=None, required=False, label="Family plan", empty_label="Not chosen yet")

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        choices = {
            "lead_practitioner": (selectors.lead_practitioner_choices(family=family), "Choose someone from the list"),
            "assessment": (selectors.assessment_choices(family=family), "Choose an assessment from the list"),
            "plan": (selectors.plan_choices(family=family), "Choose a plan from the list"),
        }
        for name, (queryset, message) in choices.items():
            self.fields[name].queryset = queryset
            self.fields[name].error_messages["invalid_choice"] = message
        self.fields["lead_practitioner"].label_from_instance = lambda user: user.full_name
        self.fields["assessment"].label_from_instance = lambda assessment: (
            f"Version {assessment.version}, started {assessment.started_on:%-d %b %Y} "
            f"({assessment.get_status_display()})"
        )
        self.fields["plan"].label_from_instance = lambda plan: (
            f"Version {plan.version}{f', agreed {plan.agreed_on:%-d %b %Y}' if plan.agreed_on else ''} "
            f"({plan.get_status_display()})"
        )
        self.helper = gov_form_helper(
            Field.select("lead_practitioner"), Field.select("assessment"), Field.select("plan")
        )


class NeedForm(forms.Form):
    headline = forms.ChoiceField(
        label="Headline",
        choices=Headline.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the headline", "invalid_choice": "Choose the headline"},
    )
    evidence = gov_text_field("Evidence", message="Say what shows the family has this need", rows=5)

    def __init__(self, *args, taken: set[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["headline"].choices = [(value, label) for value, label in Headline.choices if value not in taken]
        self.helper = gov_form_helper(Field.radios("headline", legend_size=Size.SMALL, small=True), "evidence")


SUSTAINED_CHOICES = [("", "Not checked yet"), ("yes", "Yes, it lasted"), ("no", "No, it did not last")]


class NeedOutcomeForm(forms.Form):
    """When a need was resolved, and (the officer, after closure) whether it lasted and when that was checked."""

    achieved_on = GovDateField(label="Date resolved", required=False, help_text="For example, 27 3 2026")
    outcome_evidence = gov_text_field("Outcome evidence", required=False, rows=4)
    sustained = forms.TypedChoiceField(
        label="Did the outcome last six months after closure?",
        choices=SUSTAINED_CHOICES,
        required=False,
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose whether the outcome lasted"},
    )
    sustained_checked_on = GovDateField(label="Date checked", required=False, help_text="For example, 27 3 2026")

    def __init__(self, *args, may_record_sustainment: bool, **kwargs):
        super().__init__(*args, **kwargs)
        fields = [Field("achieved_on", context=SMALL_LEGEND), Field.textarea("outcome_evidence")]
        if may_record_sustainment:
            fields += [
                Field.radios("sustained", legend_size=Size.SMALL, small=True),
                Field("sustained_checked_on", context=SMALL_LEGEND),
            ]
        else:
            del self.fields["sustained"], self.fields["sustained_checked_on"]
        self.helper = gov_form_helper(*fields)


class MoveForm(forms.Form):
    """The next status, one the state machine offers from here; the claim reference when claiming."""

    status = forms.ChoiceField(
        choices=SupportingFamiliesRegistration.Status.choices,
        error_messages={"required": "Choose what happens next", "invalid_choice": "Choose what happens next"},
    )
    claim_reference = forms.CharField(
        label="Claim reference",
        required=False,
        max_length=50,
        error_messages={"max_length": "Keep it to 50 characters"},
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == SupportingFamiliesRegistration.Status.CLAIMED and not data.get("claim_reference"):
            self.add_error("claim_reference", "Enter the claim reference")
        return data


class ReturnForm(forms.Form):
    quarter = forms.RegexField(
        regex=selectors.QUARTER_PATTERN,
        label="Quarter",
        help_text="For example, 2026-Q3 (July to September 2026)",
        error_messages={"required": "Enter the quarter", "invalid": "Enter the quarter like 2026-Q3"},
    )
    format = forms.ChoiceField(
        choices=[("csv", "CSV"), ("xlsx", "Excel (XLSX)")],
        initial="csv",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose CSV or Excel", "invalid_choice": "Choose CSV or Excel"},
    )

    FIRST_YEAR = 2000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = query_form_helper(Field.text("quarter", field_width=10), Field.radios("format", inline=True))

    def clean_quarter(self):
        quarter = self.cleaned_data["quarter"]
        last_year = timezone.localdate().year + 1
        if not self.FIRST_YEAR <= selectors.Quarter.parse(quarter).year <= last_year:
            raise forms.ValidationError(f"Enter a quarter from {self.FIRST_YEAR} to {last_year}, like 2026-Q3")
        return quarter
