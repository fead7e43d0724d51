"""Forms of the access log pages: finding a family by its reference, and filtering who viewed it."""

from crispy_forms_gds.layout import Field
from django import forms

from earlyhelp.audit.selectors import HISTORY_CURSOR
from earlyhelp.core.forms import query_form_helper
from earlyhelp.core.keyset import KeysetPageForm

BIGGEST_ID = 2**63 - 1


class FamilyReferenceForm(forms.Form):
    reference = forms.CharField(
        label="Family reference",
        help_text="For example, EH-K7Q3MX9A",
        max_length=20,
        error_messages={"required": "Enter a family reference", "max_length": "A family reference is shorter"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = query_form_helper(Field.text("reference", field_width=10))

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip().upper().replace(" ", "")
        return reference if reference.startswith("EH-") else f"EH-{reference.removeprefix('EH')}"


def viewer_label(user) -> str:
    """A viewer as the filter lists them: name, job title and agency."""
    return ", ".join(part for part in (user.full_name, user.job_title, str(user.agency or "")) if part)


class FamilyAccessFilterForm(forms.Form):
    """Whose views to list (everyone by default), and where the page starts (the keyset `before`)."""

    user = forms.ChoiceField(label="Viewed by", required=False)
    before = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=BIGGEST_ID,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": "The page asked for does not exist: start from the newest events",
            "min_value": "The page asked for does not exist: start from the newest events",
            "max_value": "The page asked for does not exist: start from the newest events",
        },
    )

    def __init__(self, *args, viewers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.viewers = {str(viewer.pk): viewer for viewer in viewers}
        self.fields["user"].choices = [("", "Everyone"), *((pk, viewer_label(v)) for pk, v in self.viewers.items())]
        self.fields["user"].error_messages["invalid_choice"] = "Choose someone from the list"
        self.helper = query_form_helper(Field.select("user"))

    def clean_user(self):
        return self.viewers.get(self.cleaned_data["user"])

    def clean(self):
        data = super().clean()
        if "before" in self.errors:  # the field is not shown, so its error is the page's
            self.add_error(None, self.errors.pop("before"))
        return data


class HistoryPageForm(KeysetPageForm):
    """Where a page of change history starts: `before` names the last change of the page before it."""

    cursor_kinds = HISTORY_CURSOR
    start_from = "the newest changes"
