"""Forms for subject access requests: finding the person, then recording the request."""

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.utils import timezone

from earlyhelp.core.forms import GovDateField, gov_form_helper, gov_text_field
from earlyhelp.core.validators import nhs_number_is_valid, nhs_number_normalise

NOTES_MAX = 4000


class SubjectSearchForm(forms.Form):
    """An NHS number, or a name with a date of birth: enough to find one person among everyone held."""

    nhs_number = forms.CharField(label="NHS number", required=False, max_length=12)
    name = forms.CharField(label="Name", required=False, max_length=200)
    date_of_birth = GovDateField(label="Date of birth", required=False, help_text="For example, 27 3 2012")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nhs_number"].error_messages["max_length"] = "NHS number must be 12 characters or fewer"
        self.fields["name"].error_messages["max_length"] = "Name must be 200 characters or fewer"
        self.helper = gov_form_helper(
            Field.text("nhs_number", field_width=10),
            Field.text("name", field_width=20),
            Field("date_of_birth", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )

    def clean_nhs_number(self) -> str:
        value = nhs_number_normalise(self.cleaned_data["nhs_number"])
        if value and not nhs_number_is_valid(value):
            raise forms.ValidationError("Enter a valid NHS number, 10 digits like 943 476 5919")
        return value

    def clean(self):
        cleaned = super().clean()
        if self.errors or cleaned.get("nhs_number"):
            return cleaned
        name, born = (cleaned.get("name") or "").strip(), cleaned.get("date_of_birth")
        if not name and not born:
            raise forms.ValidationError("Enter an NHS number, or a name and a date of birth")
        if not name:
            self.add_error("name", "Enter the name as well as the date of birth")
        elif not born:
            self.add_error("date_of_birth", "Enter the date of birth as well as the name")
        return cleaned


class SubjectAccessRequestForm(forms.Form):
    received_on = GovDateField(
        label="Date the request was received",
        help_text="The day it reached the council, whoever received it. For example, 3 9 2025",
    )
    notes = gov_text_field(
        "How the request came and how identity was checked",
        message="Say how the request came and how the person's identity was checked",
        hint="For example: letter to the council's data protection inbox; identity checked against a passport and a "
        "council tax bill.",
        max_length=NOTES_MAX,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(
            Field("received_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.textarea("notes"),
        )

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError("The date the request was received must be today or in the past")
        if received_on.year < 2000:
            raise forms.ValidationError("The date the request was received must be in 2000 or later")
        return received_on
