"""Forms for restricted records: finding a record to restrict, restricting it, its allow-list, review and lifting.

Fields check their own shape; `governance.services.restrictions` decides what the rules allow."""

from crispy_forms_gds.layout import Field, Fieldset, Size
from django import forms
from django.core.validators import MinLengthValidator

from cases.models import NAME_MAX
from earlyhelp.core.forms import GovDateField, ModelChoicesField, gov_form_helper, gov_text_field
from earlyhelp.core.validators import nhs_number_is_valid, nhs_number_normalise
from governance.models import Restriction
from governance.services.restrictions import REASON_MIN, REASON_TOO_SHORT, REVIEW_NOTE_MAX


def staff_label(user) -> str:
    """How a member of staff is offered: name, job title, agency."""
    return ", ".join(part for part in (user.full_name, user.job_title, str(user.agency or "")) if part)


def _long_reason(label: str, *, hint: str, message: str) -> forms.CharField:
    field = gov_text_field(label, hint=hint, message=message, rows=4)
    field.validators.append(MinLengthValidator(REASON_MIN, REASON_TOO_SHORT))
    return field


class RecordFindForm(forms.Form):
    """Find a family by its reference, or a person by NHS number or by name and date of birth."""

    reference = forms.CharField(
        label="Family reference",
        required=False,
        max_length=20,
        help_text="For example, EH-0001234",
        error_messages={"max_length": "A family reference is 20 characters or fewer"},
    )
    nhs_number = forms.CharField(label="NHS number", required=False, max_length=12)
    first_name = forms.CharField(
        label="First name", required=False, max_length=NAME_MAX, error_messages={"max_length": "First name is too long"}
    )
    last_name = forms.CharField(
        label="Last name", required=False, max_length=NAME_MAX, error_messages={"max_length": "Last name is too long"}
    )
    date_of_birth = GovDateField(label="Date of birth", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nhs_number"].error_messages["max_length"] = "Enter a valid NHS number, 10 digits like 943 476 5919"
        self.helper = gov_form_helper(
            Fieldset(Field.text("reference", field_width=10), legend="A family", legend_size=Size.MEDIUM),
            Fieldset(
                Field.text("nhs_number", field_width=10),
                Field.text("first_name", field_width=20),
                Field.text("last_name", field_width=20),
                Field("date_of_birth", context={"legend_size": Size.for_legend(Size.SMALL)}),
                legend="Or a person: their NHS number, or their name and date of birth",
                legend_size=Size.MEDIUM,
            ),
        )

    def clean_nhs_number(self) -> str:
        value = nhs_number_normalise(self.cleaned_data["nhs_number"])
        if value and not nhs_number_is_valid(value):
            raise forms.ValidationError("Enter a valid NHS number, 10 digits like 943 476 5919")
        return value

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        named = cleaned.get("first_name") or cleaned.get("last_name")
        if named and not cleaned.get("date_of_birth"):
            self.add_error("date_of_birth", "Enter the date of birth as well as the name")
        elif cleaned.get("date_of_birth") and not named:
            self.add_error("last_name", "Enter the name as well as the date of birth")
        elif not (cleaned.get("reference") or cleaned.get("nhs_number") or named):
            raise forms.ValidationError("Enter a family reference, an NHS number, or a name and date of birth")
        return cleaned


class RestrictionForm(forms.Form):
    category = forms.ChoiceField(
        label="Why is the record restricted?",
        choices=Restriction.Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select why the record is restricted"},
    )
    reason = _long_reason(
        "Reason",
        hint="Say why the record must be hidden, so whoever reviews it in 90 days knows. At least 15 characters",
        message="Enter the reason for restricting the record",
    )
    allow = ModelChoicesField(
        queryset=None,
        required=False,
        label="Who must keep access?",
        help_text="The workers allocated to the record's open early help. Untick anyone who must not see it",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose people from the list"},
    )
    also_allow = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Anyone else who must keep access",
        empty_label="No one else",
        help_text="You can add more people to the allow-list afterwards",
        error_messages={"invalid_choice": "Choose someone from the list"},
    )

    def __init__(self, *args, suggested, allowable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allow"].queryset = suggested
        self.fields["allow"].label_from_instance = staff_label
        self.fields["also_allow"].queryset = allowable
        self.fields["also_allow"].label_from_instance = staff_label
        if not self.is_bound:
            self.initial["allow"] = [user.pk for user in suggested]
        layout = [Field.radios("category", legend_size=Size.SMALL, small=True), Field.textarea("reason")]
        if suggested:
            layout.append(Field.checkboxes("allow", legend_size=Size.SMALL, small=True))
        else:
            del self.fields["allow"]
        layout.append(Field.select("also_allow"))
        self.helper = gov_form_helper(*layout)

    def allow_list(self) -> list:
        chosen = list(self.cleaned_data.get("allow") or [])
        extra = self.cleaned_data.get("also_allow")
        if extra is not None and extra not in chosen:
            chosen.append(extra)
        return chosen


class AllowForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=None,
        label="Who must see the record?",
        empty_label="Choose someone",
        help_text="Only staff who look at families are listed",
        error_messages={"required": "Choose who to add", "invalid_choice": "Choose someone from the list"},
    )

    def __init__(self, *args, allowable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = allowable
        self.fields["user"].label_from_instance = staff_label
        self.helper = gov_form_helper(Field.select("user"))


class DisallowForm(forms.Form):
    """Sent by the "Remove" button of one row of the allow-list (users are named by their number, not personal
    data)."""

    user = forms.ModelChoiceField(queryset=None, error_messages={"invalid_choice": "That person is not on the list"})

    def __init__(self, *args, allow_list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = allow_list


class ReviewForm(forms.Form):
    note = forms.CharField(
        label="Why is the restriction still needed?",
        help_text=f"Between {REASON_MIN} and {REVIEW_NOTE_MAX} characters; the restriction's first reason stays",
        min_length=REASON_MIN,
        max_length=REVIEW_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "Enter why the restriction is still needed",
            "min_length": REASON_TOO_SHORT,
            "max_length": f"Keep the reason to {REVIEW_NOTE_MAX} characters",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.textarea("note"))


class LiftForm(forms.Form):
    reason = _long_reason(
        "Why is the restriction lifted?",
        hint="At least 15 characters",
        message="Enter why the restriction is lifted",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.textarea("reason"))
