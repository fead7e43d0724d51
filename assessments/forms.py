"""Forms for assessment pages. Fields are optional here: the service decides what completing needs."""

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.utils import timezone

from assessments.models import EarlyHelpAssessment, SupportingFamiliesHeadline
from assessments.sections import TEXT_MAX, SectionSpec
from earlyhelp.core.forms import GovDateField, gov_form_helper

YES_NO = [("yes", "Yes"), ("no", "No")]


def _text(label: str, hint: str = "", required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=hint,
        required=required,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": f"{label} must be {TEXT_MAX:,} characters or fewer"},
    )


class StartForm(forms.Form):
    subjects = forms.ModelMultipleChoiceField(
        queryset=None,
        label="Who does the assessment cover?",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose who the assessment covers"},
    )
    started_on = GovDateField(label="Start date")

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subjects"].queryset = people
        self.fields["subjects"].label_from_instance = lambda p: p.full_name
        if not self.is_bound:
            self.initial["subjects"] = list(people)
            self.initial["started_on"] = timezone.localdate()
        self.helper = gov_form_helper(
            Field.checkboxes("subjects", legend_size=Size.SMALL),
            Field("started_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )


class SectionForm(forms.Form):
    """The questions of one generic section, built from its spec."""

    def __init__(self, *args, spec: SectionSpec, **kwargs):
        super().__init__(*args, **kwargs)
        layout = []
        for question in spec.questions:
            if question.kind == "yesno":
                self.fields[question.name] = forms.ChoiceField(
                    label=question.label, choices=YES_NO, required=False, widget=forms.RadioSelect
                )
                layout.append(Field.radios(question.name, legend_size=Size.SMALL, inline=True))
            else:
                self.fields[question.name] = _text(question.label, question.hint)
                layout.append(Field.textarea(question.name))
        self.helper = gov_form_helper(*layout)


class ScalingForm(forms.Form):
    """A 0 to 10 score and a note for each person the assessment covers, and for the practitioner."""

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.participants = [
            (None, "practitioner", "The practitioner"),
            *[(p, str(p.uuid), p.full_name) for p in people],
        ]
        layout = []
        for _person, key, label in self.participants:
            self.fields[f"score_{key}"] = forms.IntegerField(
                label=f"{label}: score from 0 to 10",
                required=False,
                min_value=0,
                max_value=10,
                error_messages={
                    "invalid": "Enter a whole number from 0 to 10",
                    "min_value": "Enter a score from 0 to 10",
                    "max_value": "Enter a score from 0 to 10",
                },
                widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            )
            self.fields[f"note_{key}"] = _text(f"{label}: what the score means")
            layout += [Field.text(f"score_{key}", field_width=2), Field.textarea(f"note_{key}")]
        self.helper = gov_form_helper(*layout)

    def scores(self) -> list[tuple]:
        return [
            (person, self.cleaned_data[f"score_{key}"], self.cleaned_data[f"note_{key}"])
            for person, key, _label in self.participants
        ]


class AnalysisForm(forms.Form):
    level_of_need = forms.TypedChoiceField(
        label="Level of need",
        choices=EarlyHelpAssessment.Level.choices,
        coerce=int,
        required=False,
        widget=forms.RadioSelect,
    )
    pathway = forms.ChoiceField(
        label="Recommended pathway",
        choices=EarlyHelpAssessment.Pathway.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    analysis = _text("Analysis: what the information tells you")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(
            Field.textarea("analysis"),
            Field.radios("level_of_need", legend_size=Size.SMALL),
            Field.radios("pathway", legend_size=Size.SMALL),
        )


class NeedForm(forms.Form):
    headline = forms.ChoiceField(
        label="Supporting Families headline",
        choices=[("", "Choose a headline"), *SupportingFamiliesHeadline.choices],
        error_messages={"required": "Choose the headline the need comes under"},
    )
    person = forms.ModelChoiceField(
        queryset=None, label="Who it concerns", required=False, empty_label="The whole family"
    )
    description = _text("The need", required=True)

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["description"].error_messages["required"] = "Describe the need"
        self.fields["person"].queryset = people
        self.fields["person"].label_from_instance = lambda p: p.full_name
        self.helper = gov_form_helper(Field.select("headline"), Field.select("person"), Field.textarea("description"))


class SubmitForm(forms.Form):
    completed_on = GovDateField(label="Date the assessment was completed")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["completed_on"] = timezone.localdate()
        self.helper = gov_form_helper(Field("completed_on", context={"legend_size": Size.for_legend(Size.SMALL)}))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("authorise", "Authorise the assessment"), ("return", "Return it for changes")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to authorise or return the assessment"},
    )
    comments = _text("Comments for the assessor", hint="Needed when you return the assessment")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field.radios("decision", legend_size=Size.MEDIUM), Field.textarea("comments"))
