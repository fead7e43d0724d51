"""The dashboard's month and team, and the download's format: they arrive in the query string, so every value a
person could type into the address bar gets an error that says what to choose."""

import re
from datetime import date

from crispy_forms_gds.layout import Field
from django import forms

from earlyhelp.core.forms import query_form_helper
from locality.models import LocalAreaTeam
from reporting.indicators import Period
from reporting.snapshots import FIRST_YEAR

MONTHS_OFFERED = 60  # how far back the month list goes
TREND_MONTHS = 12
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
FORMATS = (("csv", "CSV (comma-separated values)"), ("xlsx", "Excel spreadsheet (XLSX)"))


def month_key(period: Period) -> str:
    return f"{period.start:%Y-%m}"


def last_finished_month(today: date) -> Period:
    return Period.containing(today).preceding()


class DashboardForm(forms.Form):
    """A month (the last finished one unless chosen) and all of York or one Local Area Team."""

    period = forms.CharField(label="Month", required=False, widget=forms.Select)
    team = forms.ChoiceField(label="Area", required=False)

    def __init__(self, *args, today: date, teams: list[LocalAreaTeam], **kwargs):
        super().__init__(*args, **kwargs)
        if not self.data.get("period"):  # the month shown by default is the one selected in the list
            self.data = self.data.copy()
            self.data["period"] = month_key(last_finished_month(today))
        self.today = today
        self.teams = {team.slug: team for team in teams}
        current = Period.containing(today)
        months = current.last(MONTHS_OFFERED)
        self.earliest = months[0]
        self.fields["period"].widget.choices = [
            (month_key(p), f"{p} (so far)" if p == current else str(p)) for p in reversed(months)
        ]
        self.fields["period"].initial = month_key(last_finished_month(today))
        team_field = self.fields["team"]
        team_field.choices = [("", "All of York"), *((team.slug, team.name) for team in teams)]
        team_field.error_messages["invalid_choice"] = "Choose all of York or a Local Area Team from the list"
        self.helper = query_form_helper(Field.select("period"), Field.select("team"))

    def clean_period(self) -> Period:
        text = self.cleaned_data["period"].strip()
        if not text:
            return last_finished_month(self.today)
        match = _MONTH.match(text)
        if not match or not 1 <= int(match[2]) <= 12:
            raise forms.ValidationError("Choose a month from the list, or give it as a year and month, like 2026-10")
        if not FIRST_YEAR <= int(match[1]) <= self.today.year:
            raise forms.ValidationError(
                f"Choose a month from the list: the year must be from {FIRST_YEAR} to {self.today.year}"
            )
        period = Period.month(int(match[1]), int(match[2]))
        if period.start > self.today:
            raise forms.ValidationError(f"Choose this month or an earlier one: {period} has not started yet")
        if period.start < self.earliest.start:
            raise forms.ValidationError(f"Choose {self.earliest} or a later month")
        return period

    def clean_team(self) -> LocalAreaTeam | None:
        return self.teams.get(self.cleaned_data["team"])

    def query(self) -> dict[str, str]:
        """The chosen month and team as query parameters, for the download links."""
        team = self.cleaned_data["team"]
        return {"period": month_key(self.cleaned_data["period"]), "team": team.slug if team else ""}


class DashboardDownloadForm(DashboardForm):
    format = forms.ChoiceField(
        choices=FORMATS, error_messages={"required": "Choose CSV or XLSX", "invalid_choice": "Choose CSV or XLSX"}
    )
