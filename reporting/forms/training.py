"""Forms for training records: one record, the list's filters, and the CSV import. The service checks the rules
(a date not in the future, a duplicate, the title of an "other" course)."""

from crispy_forms_gds.layout import Field, Size
from django import forms

from earlyhelp.core.forms import GovDateField, gov_form_helper, query_form_helper
from locality.models import Agency, LocalAreaTeam
from reporting.models import TrainingRecord


def _ordered(form: forms.Form) -> None:
    form.order_fields([pointer.name for pointer in form.helper.layout.get_field_names()])


def _team_choice(label: str, empty: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=LocalAreaTeam.objects.order_by("name"),
        label=label,
        required=False,
        empty_label=empty,
        error_messages={"invalid_choice": "Choose a Local Area Team from the list"},
    )


class TrainingRecordForm(forms.Form):
    practitioner_name = forms.CharField(
        label="Practitioner's name", max_length=150, error_messages={"required": "Enter the practitioner's name"}
    )
    practitioner_email = forms.EmailField(
        label="Practitioner's e-mail address",
        max_length=254,
        help_text="Links the record to the practitioner's other courses, and to their account if they have one",
        error_messages={
            "required": "Enter the practitioner's e-mail address",
            "invalid": "Enter an e-mail address in the correct format, like name@example.org",
        },
    )
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.order_by("name"),
        label="Agency",
        required=False,
        empty_label="Not recorded",
        error_messages={"invalid_choice": "Choose an agency from the list"},
    )
    local_area_team = _team_choice("Local Area Team", "City-wide, or not recorded")
    course = forms.ChoiceField(
        label="Course",
        choices=TrainingRecord.Course.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the course"},
    )
    course_title = forms.CharField(
        label="Course title",
        max_length=200,
        required=False,
        help_text="The course's own name. Needed when the course is Other",
    )
    completed_on = GovDateField(label="Date completed", help_text="For example, 27 3 2026")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(
            Field.text("practitioner_name"),
            Field.text("practitioner_email", field_width=20),
            Field.select("agency"),
            Field.select("local_area_team"),
            Field.radios("course", legend_size=Size.SMALL, small=True),
            Field.text("course_title"),
            Field("completed_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )
        _ordered(self)


class TrainingFilterForm(forms.Form):
    course = forms.ChoiceField(
        label="Course", required=False, choices=[("", "All courses"), *TrainingRecord.Course.choices]
    )
    local_area_team = _team_choice("Local Area Team", "All teams")
    completed_from = GovDateField(label="Completed on or after", required=False)
    completed_to = GovDateField(label="Completed on or before", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].error_messages["invalid_choice"] = "Choose a course from the list"
        self.helper = query_form_helper(
            Field.select("course"),
            Field.select("local_area_team"),
            Field("completed_from", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field("completed_to", context={"legend_size": Size.for_legend(Size.SMALL)}),
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("completed_from"), data.get("completed_to")
        if start and end and start > end:
            self.add_error("completed_to", "The end of the dates must be on or after their start")
        return data


class TrainingImportForm(forms.Form):
    file = forms.FileField(
        label="Upload a CSV file",
        help_text="A CSV file saved as UTF-8, smaller than 2 MB",
        error_messages={"required": "Choose a CSV file to upload", "empty": "The file is empty"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = gov_form_helper(Field("file"))
