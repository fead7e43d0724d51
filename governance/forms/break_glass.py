"""Forms for break-the-glass: asking for access (a reason and a code from the authenticator app) and the report's
filters."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms

from earlyhelp.accounts.forms import CodeConfirmedForm
from earlyhelp.core.forms import GovDateField, query_form_helper
from governance.selectors.break_glass import break_glass_report_users
from governance.services.break_glass import REASON_MIN_LENGTH, REASON_TOO_SHORT

REASON_MAX_LENGTH = 2000


class BreakGlassRequestForm(CodeConfirmedForm):
    reason = forms.CharField(
        label="Why do you need to see this record now?",
        help_text=f"At least {REASON_MIN_LENGTH} characters. Your manager and the information governance officer "
        "will read it.",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Enter why you need to see this record now",
            "max_length": f"Keep the reason to {REASON_MAX_LENGTH:,} characters",
        },
    )
    field_order = ("reason", "code")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("reason", label_size=Size.SMALL),
            Field.text("code", field_width=5, label_size=Size.SMALL),
            Submit(
                "submit",
                "Request access",
                css_class="govuk-button--warning",
                data_module="govuk-button",
                data_prevent_double_click="true",
            ),
        )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if len(reason) < REASON_MIN_LENGTH:
            raise forms.ValidationError(REASON_TOO_SHORT)
        return reason


class _UserChoiceField(forms.ModelChoiceField):
    """A person by number; a number too large for the database is not a choice, never a server error."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None


class BreakGlassReportFilterForm(forms.Form):
    date_from = GovDateField(label="Used on or after", required=False)
    date_to = GovDateField(label="Used on or before", required=False)
    user = _UserChoiceField(
        queryset=None,
        label="Who",
        required=False,
        empty_label="Everyone",
        error_messages={"invalid_choice": "Choose a person from the list"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = break_glass_report_users()
        self.fields["user"].label_from_instance = lambda user: user.full_name
        self.helper = query_form_helper(
            Field("date_from", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field("date_to", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.select("user"),
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the dates must be on or after their start")
        return data
