"""Form fields shared by every app, with GOV.UK error messages."""

from datetime import date

from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Layout, Size
from django import forms
from django.core.exceptions import ValidationError

TEXT_MAX = 8000  # a long answer: a concern, a rationale, a summary


class GovDateField(DateInputField):
    """A GOV.UK date input (day, month, year) whose errors say what to fix."""

    def __init__(self, *, label: str, **kwargs) -> None:
        self.noun = label.lower()
        kwargs.setdefault("require_all_fields", False)
        super().__init__(label=label, **kwargs)
        self.error_messages["required"] = f"Enter the {self.noun}"
        self.error_messages["incomplete"] = f"The {self.noun} must include a day, month and year"
        for subfield, part in zip(self.fields, ("day", "month", "year"), strict=True):
            subfield.error_messages["incomplete"] = f"The {self.noun} must include a {part}"
            subfield.validators[0].message = f"The {self.noun} must be a real date"
            subfield.max_length = 4

    def compress(self, data_list):
        day, month, year = data_list
        if not (day and month and year):
            return None
        try:
            return date(day=int(day), month=int(month), year=int(year))
        except (ValueError, OverflowError):
            raise ValidationError(f"The {self.noun} must be a real date", code="invalid_date") from None


def gov_text_field(
    label: str,
    *,
    message: str = "",
    required: bool = True,
    hint: str = "",
    rows: int = 5,
    max_length: int = TEXT_MAX,
    strip: bool = True,
) -> forms.CharField:
    """A GOV.UK textarea for a long answer; its errors say what to enter ("Enter <label>" unless `message`) and
    how long it may be."""
    return forms.CharField(
        label=label,
        help_text=hint,
        required=required,
        max_length=max_length,
        strip=strip,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": message or f"Enter {label.lower()}",
            "max_length": f"Keep it to {max_length:,} characters",
        },
    )


class ModelChoicesField(forms.ModelMultipleChoiceField):
    """Several rows by primary key; a key too large for the database is not a choice, never a server error."""

    def _check_values(self, value):
        try:
            return super()._check_values(value)
        except OverflowError:  # SQLite cannot bind such an integer in the IN lookup; no row has that key
            key = self.to_field_name or "pk"
            missing = next((pk for pk in value if not self.queryset.filter(**{key: pk}).exists()), "")
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": missing}
            ) from None


def errors_from_validation(form, error: ValidationError) -> None:
    """Show a service's validation error on the form: on its field where it names one."""
    if hasattr(error, "error_dict"):
        for field, field_errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error)


def query_form_helper(*fields) -> FormHelper:
    """`gov_form_helper` for a form sent by GET (a filter, a choice of period): no CSRF token, which would otherwise
    be written into the address, the browser's history and the server's logs."""
    helper = gov_form_helper(*fields)
    helper.disable_csrf = True
    return helper


def gov_form_helper(*fields) -> FormHelper:
    """A crispy-forms-gds layout with small labels, for a form whose page writes its own <form> tag and button."""
    helper = FormHelper()
    helper.form_tag = False
    helper.label_size = Size.SMALL
    helper.layout = Layout(*fields)
    return helper
