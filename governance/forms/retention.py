"""Forms for retention: the queue's filter, disposing of a family's records (a reason and a code from the
authenticator app), and placing a legal hold."""

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Size, Submit
from django import forms
from django.utils import timezone

from earlyhelp.accounts.forms import CodeConfirmedForm
from earlyhelp.core.forms import GovDateField, gov_text_field, query_form_helper
from governance.models import RetentionReview

REASON_MAX_LENGTH = 2000


class RetentionQueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "All"), *RetentionReview.Status.choices],
        error_messages={"invalid_choice": "Choose a status from the list"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = query_form_helper(Field.radios("status", legend_size=Size.SMALL, small=True, inline=True))


class DisposeForm(CodeConfirmedForm):
    reason = gov_text_field(
        "Why are the records being disposed of?",
        message="Say why the records are being disposed of",
        hint="For example, the retention period has passed and nothing requires the records to be kept. This is "
        "kept with the record of the disposal.",
        rows=3,
        max_length=REASON_MAX_LENGTH,
    )
    field_order = ("reason", "code")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("reason", label_size=Size.SMALL),
            Field.text("code", field_width=5, label_size=Size.SMALL),
            Submit("submit", "Dispose of the records", css_class="govuk-button--warning"),
        )


class LegalHoldForm(forms.Form):
    reason = gov_text_field(
        "Why must the records be kept?",
        message="Say why the records must be kept",
        hint="For example, a claim, an inquiry or a complaint that needs them",
        rows=3,
        max_length=REASON_MAX_LENGTH,
    )
    review_on = GovDateField(
        label="Date to look at the hold again", help_text="For example, 27 3 2027. It must be in the future"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.textarea("reason", label_size=Size.SMALL),
            Field("review_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Submit("submit", "Place a legal hold", data_module="govuk-button", data_prevent_double_click="true"),
        )

    def clean_review_on(self):
        review_on = self.cleaned_data["review_on"]
        if review_on is not None and review_on <= timezone.localdate():
            raise forms.ValidationError("The date to look at the hold again must be in the future")
        return review_on
