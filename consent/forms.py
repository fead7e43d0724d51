"""Forms for consent pages. They check input; services decide and write."""

from datetime import timedelta

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size, Submit
from django import forms
from django.utils import timezone

from consent.models import EVIDENCE_MAX_BYTES, REVIEW_AFTER_DAYS, ConsentRecord
from earlyhelp.core.forms import GovDateField
from locality.models import Agency

# The first bytes of each file type we accept as evidence.
EVIDENCE_SIGNATURES = {b"%PDF-": "PDF", b"\x89PNG\r\n\x1a\n": "PNG", b"\xff\xd8\xff": "JPEG"}
EVIDENCE_EXTENSIONS = {"pdf", "png", "jpg", "jpeg"}


def validate_evidence(upload) -> None:
    """A PDF, PNG or JPEG of at most 10 MB, judged by its content as well as its name."""
    if upload.size > EVIDENCE_MAX_BYTES:
        raise forms.ValidationError("The evidence file must be smaller than 10 MB")
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    head = upload.read(16)
    upload.seek(0)
    if extension not in EVIDENCE_EXTENSIONS or not any(head.startswith(sig) for sig in EVIDENCE_SIGNATURES):
        raise forms.ValidationError("The evidence file must be a PDF, PNG or JPEG")


class ConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label="What did the family say?",
        choices=[
            (ConsentRecord.Status.GIVEN, "They agreed"),
            (ConsentRecord.Status.REFUSED, "They refused"),
            (ConsentRecord.Status.REQUESTED, "They have not answered yet"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the family said"},
    )
    subjects = forms.ModelMultipleChoiceField(
        queryset=None,
        label="Who does the consent cover?",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who the consent covers"},
    )
    given_by = forms.ModelChoiceField(
        queryset=None,
        label="Who gave or refused consent?",
        empty_label="Choose a person",
        error_messages={"required": "Choose who gave or refused consent"},
    )
    giver_kind = forms.ChoiceField(
        label="They are",
        choices=ConsentRecord.GiverKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether they have parental responsibility or are a competent young person"},
    )
    competence_judgement = forms.CharField(
        label="Why you judged the young person competent (only for a young person)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    engage = forms.BooleanField(label="Take part in early help", required=False)
    store = forms.BooleanField(label="Have their information stored on this system", required=False)
    data_matching = forms.BooleanField(label="Supporting Families data matching", required=False)
    share_agency_types = forms.MultipleChoiceField(
        label="Share with these kinds of agency",
        choices=Agency.Type.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    share_agencies = forms.ModelMultipleChoiceField(
        queryset=Agency.objects.all(),
        label="Share with these named agencies",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    method = forms.ChoiceField(
        label="How was consent recorded?",
        choices=ConsentRecord.Method.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how consent was recorded"},
    )
    review_on = GovDateField(label="Review date", help_text="Usually 12 months from today")
    notice_shown = forms.BooleanField(
        label="I showed or read the privacy notice to the family",
        error_messages={"required": "Confirm you showed the family the privacy notice"},
    )
    evidence = forms.FileField(
        label="Evidence (optional): a PDF, PNG or JPEG of at most 10 MB",
        required=False,
        validators=[validate_evidence],
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subjects"].queryset = people
        self.fields["given_by"].queryset = people
        self.fields["subjects"].label_from_instance = lambda p: p.full_name
        self.fields["given_by"].label_from_instance = lambda p: p.full_name
        self.fields["share_agencies"].label_from_instance = lambda a: a.name
        if not self.is_bound:
            self.initial["review_on"] = timezone.localdate() + timedelta(days=REVIEW_AFTER_DAYS)
            self.initial["subjects"] = list(people)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.radios("decision", legend_size=Size.MEDIUM),
            Field.checkboxes("subjects", legend_size=Size.SMALL),
            Field.select("given_by"),
            Field.radios("giver_kind", legend_size=Size.SMALL),
            Field.textarea("competence_judgement"),
            Fieldset(
                Field.checkbox("engage", small=True),
                Field.checkbox("store", small=True),
                Field.checkbox("data_matching", small=True),
                legend="The family agreed to",
                legend_size=Size.MEDIUM,
            ),
            Field.checkboxes("share_agency_types", legend_size=Size.SMALL, small=True),
            Field.checkboxes("share_agencies", legend_size=Size.SMALL, small=True),
            Field.radios("method", legend_size=Size.SMALL, inline=True),
            Field("review_on", context={"legend_size": Size.SMALL}),
            Field.checkbox("notice_shown"),
            Field("evidence"),
        )

    def clean(self):
        cleaned = super().clean()
        agreed = any(
            cleaned.get(f) for f in ("engage", "store", "data_matching", "share_agency_types", "share_agencies")
        )
        if cleaned.get("decision") == ConsentRecord.Status.GIVEN and not agreed:
            self.add_error("engage", "Choose at least one thing the family agreed to")
        review_on = cleaned.get("review_on")
        if review_on and review_on <= timezone.localdate():
            self.add_error("review_on", "The review date must be in the future")
        return cleaned


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is consent being withdrawn?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Say why consent is being withdrawn"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.textarea("reason"), Submit("submit", "Withdraw consent", css_class="govuk-button--warning")
        )


class OverrideForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why is consent not being sought?",
        choices=ConsentRecord.OverrideReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select why consent is not being sought"},
    )
    detail = forms.CharField(
        label="Describe the risk",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "Describe the risk that means consent is not being sought"},
    )
    subjects = forms.ModelMultipleChoiceField(
        queryset=None,
        label="Which children and adults does it cover?",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who the override covers"},
    )
    approver = forms.ModelChoiceField(
        queryset=None,
        label="Approved by",
        empty_label="Choose a manager",
        error_messages={"required": "Choose the manager who approved the override"},
    )
    review_on = GovDateField(label="Review date")

    def __init__(self, *args, people, approvers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subjects"].queryset = people
        self.fields["subjects"].label_from_instance = lambda p: p.full_name
        self.fields["approver"].queryset = approvers
        if not self.is_bound:
            self.initial["review_on"] = timezone.localdate() + timedelta(days=28)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.radios("reason", legend_size=Size.SMALL),
            Field.textarea("detail"),
            Field.checkboxes("subjects", legend_size=Size.SMALL, small=True),
            Field.select("approver"),
            Field("review_on", context={"legend_size": Size.SMALL}),
            Submit("submit", "Record the override", data_module="govuk-button", data_prevent_double_click="true"),
        )

    def clean_review_on(self):
        review_on = self.cleaned_data["review_on"]
        if review_on and review_on <= timezone.localdate():
            raise forms.ValidationError("The review date must be in the future")
        return review_on


class ShareForm(forms.Form):
    practitioner = forms.ModelChoiceField(
        queryset=None,
        label="Practitioner",
        empty_label="Choose a practitioner",
        error_messages={"required": "Choose the practitioner to share with"},
    )

    def __init__(self, *args, practitioners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners
        self.fields["practitioner"].label_from_instance = lambda u: f"{u.full_name}, {u.job_title} ({u.agency})"
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.select("practitioner"),
            Submit("submit", "Share", data_module="govuk-button", data_prevent_double_click="true"),
        )
