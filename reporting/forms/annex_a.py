"""The Annex A download: which list, the six-month window (by its last month) and the file format."""

from datetime import date

from crispy_forms_gds.layout import Field, Size
from django import forms

from earlyhelp.core.forms import query_form_helper
from reporting.annex_a import LISTS, Window
from reporting.exports import FORMATS
from reporting.indicators import Period

MONTHS_OFFERED = 36  # windows ending this month or in the three years before it
FORMAT_LABELS = {"xlsx": "Excel spreadsheet (XLSX)", "csv": "Comma-separated values (CSV)"}
MONTH_MESSAGE = "Choose the last month of the window from the list"


def _month_choices(today: date) -> list[tuple[str, str]]:
    months = Period.containing(today).last(MONTHS_OFFERED)
    choices = []
    for month in reversed(months):
        window = Window.ending(month.start.year, month.start.month)
        choices.append((f"{month.start:%Y-%m}", f"{month.start:%B %Y} ({window.start:%B %Y} to {window.end:%B %Y})"))
    return choices


def _radios(label: str, choices, message: str, **kwargs) -> forms.ChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"required": message, "invalid_choice": message},
        **kwargs,
    )


class AnnexAForm(forms.Form):
    annex_list = _radios(
        "Which list?",
        [(number, annex_list.title) for number, annex_list in LISTS.items()],
        "Choose list 1, 2 or 3",
        coerce=int,
    )
    ending = forms.ChoiceField(
        label="Last month of the six-month window",
        help_text="The window is this month and the five before it",
        error_messages={"required": MONTH_MESSAGE, "invalid_choice": MONTH_MESSAGE},
    )
    file_format = _radios(
        "File format", [(key, FORMAT_LABELS[key]) for key in FORMATS], "Choose XLSX or CSV", initial="xlsx"
    )

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ending"].choices = _month_choices(today)
        self.fields["ending"].initial = f"{today:%Y-%m}"
        self.helper = query_form_helper(
            Field.radios("annex_list", legend_size=Size.MEDIUM),
            Field.select("ending"),
            Field.radios("file_format", legend_size=Size.MEDIUM, small=True),
        )

    def clean_ending(self) -> Window:
        year, month = (int(part) for part in self.cleaned_data["ending"].split("-"))
        return Window.ending(year, month)
