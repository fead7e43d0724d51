"""Forms for case audits: choosing what kind of work to audit, the audit itself, and the list's filters. The
choices come from the family's own records, so no other record's id gets through; the service checks the rules."""

from crispy_forms_gds.layout import Field, Size
from django import forms

from earlyhelp.core.forms import gov_form_helper, gov_text_field, query_form_helper
from reporting.audits import ANSWERS, checklist_items
from reporting.models import CaseAudit


def _radios(label: str, choices, message: str, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, widget=forms.RadioSelect, error_messages={"required": message}, **kwargs
    )


def _record_choice(label: str, queryset, *, empty: str, message: str, required: bool = True):
    return forms.ModelChoiceField(
        queryset=queryset,
        label=label,
        required=required,
        empty_label=empty,
        error_messages={"required": message, "invalid_choice": f"{message} from the list"},
    )


class CaseAuditKindForm(forms.Form):
    """The first question: what kind of work is audited (the checklist depends on it)."""

    kind = _radios("What work are you auditing?", CaseAudit.Kind.choices, "Choose what kind of work you are auditing")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = query_form_helper(Field.radios("kind", legend_size=Size.MEDIUM))


class CaseAuditForm(forms.Form):
    """An audit of one kind of work: whose work and which records, the checklist, the grade and comments."""

    def __init__(self, *args, kind: str, workers, records: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["worker"] = forms.ModelChoiceField(
            queryset=workers,
            label="Whose work is it?",
            empty_label="Choose the worker",
            help_text="The family's lead practitioner or intervention worker",
            error_messages={
                "required": "Choose whose work you audited",
                "invalid_choice": "Choose a worker from the list",
            },
        )
        self.fields["worker"].label_from_instance = lambda user: user.full_name
        self.fields["episode"] = _record_choice(
            "Episode of early help", records["episodes"], empty="Choose the episode", message="Choose the episode"
        )
        self.fields["episode"].label_from_instance = lambda e: f"{e} from {e.requested_at:%d %B %Y}"
        layout = [Field.select("worker"), Field.select("episode")]
        if kind == CaseAudit.Kind.ASSESSMENT_PLAN:
            self.fields["assessment"] = _record_choice(
                "Assessment", records["assessments"], empty="No assessment", message="Choose the assessment",
                required=False,
            )  # fmt: skip
            self.fields["plan"] = _record_choice(
                "Plan", records["plans"], empty="No plan", message="Choose the plan", required=False
            )
            layout += [Field.select("assessment"), Field.select("plan")]
        else:
            self.fields["intervention"] = _record_choice(
                "Intervention",
                records["interventions"],
                empty="Choose the intervention",
                message="Choose the intervention",
            )
            layout.append(Field.select("intervention"))
        for key, text in checklist_items(kind):
            self.fields[f"check_{key}"] = _radios(text, ANSWERS, f"Answer '{text}': yes, no or not applicable")
            layout.append(Field.radios(f"check_{key}", legend_size=Size.SMALL, small=True, inline=True))
        self.fields["grade"] = _radios("Grade", CaseAudit.Grade.choices, "Choose a grade")
        self.fields["comments"] = gov_text_field(
            "Comments", message="Enter your comments on the work", hint="What went well, and what should change"
        )
        layout += [Field.radios("grade", legend_size=Size.MEDIUM), Field.textarea("comments")]
        self.helper = gov_form_helper(*layout)

    def service_arguments(self) -> dict:
        """The cleaned answers as `case_audit_record` takes them."""
        data = self.cleaned_data
        return {
            "kind": self.kind,
            "worker": data["worker"],
            "episode": data["episode"],
            "assessment": data.get("assessment"),
            "plan": data.get("plan"),
            "intervention": data.get("intervention"),
            "checklist": {key: data[f"check_{key}"] for key, _ in checklist_items(self.kind)},
            "grade": data["grade"],
            "comments": data["comments"],
        }


class CaseAuditFilterForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of work", required=False, choices=[("", "All"), *CaseAudit.Kind.choices])
    grade = forms.ChoiceField(label="Grade", required=False, choices=[("", "All"), *CaseAudit.Grade.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["invalid_choice"] = "Choose from the list"
        self.helper = query_form_helper(Field.select("kind"), Field.select("grade"))
