"""The indicators dashboard: every indicator for a month and the eleven before it, for all of York or one Local Area
Team, as a chart, a table and the definition in words; and the same figures as CSV or XLSX, small numbers
suppressed (reporting.disclosure) so none can be worked out from the York file and the team files together.
Aggregates only: nothing on these pages names a family, a person or a worker."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from earlyhelp.accounts.otp import reauthentication_required
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.code_lists import code_list
from locality.models import LocalAreaTeam
from reporting.charts import Chart, ChartPoint, column_chart, value_text
from reporting.disclosure import Hidden, suppression
from reporting.exports import table_response
from reporting.forms.dashboard import TREND_MONTHS, DashboardDownloadForm, DashboardForm, month_key
from reporting.indicators import CITY, Indicator
from reporting.snapshots import Point, Series, indicator_series, indicator_series_by_area

# Every figure left out of a download reads the same, whatever the reason (a count of 1 to 4, a remainder of 1 to
# 4, or a figure left out so the others cannot be subtracted from York), so the reason gives nothing away.
SUPPRESSED = "suppressed"
DOWNLOAD_HEADER = (
    "Month",
    "Area",
    "Indicator",
    "Title",
    "Unit",
    "Numerator",
    "Denominator",
    "Value",
    "Source",
)


@dataclass(frozen=True)
class Row:
    month: str
    numerator: str
    denominator: str
    value: str
    source: str


@dataclass(frozen=True)
class Panel:
    """One indicator on the page: its latest figure, its chart and the table beneath it."""

    indicator: Indicator
    latest: str
    latest_parts: str
    chart: Chart
    rows: list[Row]


def _teams() -> list[LocalAreaTeam]:
    return code_list("local_area_teams")


def _source(point: Point) -> str:
    if point.live:
        return "computed now" if point.period.end >= timezone.localdate() else "computed now (no snapshot yet)"
    return "snapshot" if point.figure is not None else "not recorded"


def _parts(indicator: Indicator, point: Point) -> str:
    """What a rate or an average is made of, in words: "9 of 20 families"."""
    figure = point.figure
    if figure is None or indicator.unit == "count" or figure.denominator is None:
        return ""
    if indicator.unit == "percent":
        return f"{figure.numerator:,} of {figure.denominator:,}"
    return f"{figure.numerator:,} {indicator.average_of or ''} over {figure.denominator:,}".replace("  ", " ")


def _panel(series: Series) -> Panel:
    indicator = series.indicator
    unit, average_of = indicator.unit, indicator.average_of

    def text(point: Point) -> str:
        return value_text(point.value, unit=unit, average_of=average_of) if point.figure else "not recorded"

    chart = column_chart(
        title=f"{indicator.title}, month by month",
        points=[
            ChartPoint(label=f"{p.period.start:%b %y}", name=str(p.period), value=p.value, live=p.live)
            for p in series.points
        ],
        unit=unit,
        average_of=average_of,
    )
    rows = [
        Row(
            month=str(point.period),
            numerator=f"{point.figure.numerator:,}" if point.figure else "",
            denominator=f"{point.figure.denominator:,}"
            if point.figure and point.figure.denominator is not None
            else "",
            value=text(point),
            source=_source(point),
        )
        for point in reversed(series.points)
    ]
    return Panel(
        indicator=indicator,
        latest=text(series.latest),
        latest_parts=_parts(indicator, series.latest),
        chart=chart,
        rows=rows,
    )


@login_required
@permission_required(perms.VIEW_INDICATORS, raise_exception=True)
@require_http_methods(["GET"])
def dashboard(request: HttpRequest) -> HttpResponse:
    """Every indicator for the chosen month (the last finished one by default) and all of York or one team."""
    form = DashboardForm(request.GET, today=timezone.localdate(), teams=_teams())
    context = {"form": form, "panels": [], "area": "", "period": None}
    status = 200
    if form.is_valid():
        period, team = form.cleaned_data["period"], form.cleaned_data["team"]
        series = indicator_series(periods=period.last(TREND_MONTHS), team=team)
        query = form.query()
        context |= {
            "panels": [_panel(one) for one in series],
            "period": period,
            "first_period": period.last(TREND_MONTHS)[0],
            "area": team.name if team else "all of York",
            "csv_query": urlencode({**query, "format": "csv"}),
            "xlsx_query": urlencode({**query, "format": "xlsx"}),
        }
    else:
        status = 400
    return render(request, "reporting/dashboard.html", context, status=status)


def _download_row(series: Series, point: Point, *, area: str, hidden: Hidden) -> list:
    """One indicator's month for one area, leaving out what `hidden` says (and a value worked out from it)."""
    indicator, figure = series.indicator, point.figure
    row = [month_key(point.period), area, indicator.code, indicator.title, indicator.unit]
    if figure is None:
        return [*row, "", "", "", "not recorded"]
    numerator = SUPPRESSED if hidden.numerator else figure.numerator
    # A count has no denominator; a rate or an average over nothing has 0, not an empty cell.
    rate_denominator = SUPPRESSED if hidden.denominator else figure.denominator or 0
    denominator = "" if indicator.unit == "count" else rate_denominator
    value = int(point.value) if indicator.unit == "count" and point.value is not None else point.value
    shown = SUPPRESSED if hidden.any else "" if value is None else value
    return [*row, numerator, denominator, shown, _source(point)]


def download_rows(by_area: dict[int | None, list[Series]], *, key: int | None, area: str) -> list[list]:
    """The download's rows for one area (`key`: a team's id, or CITY), each indicator-month suppressed as decided
    over York and every team together, so the York file and the team files leave out the same figures."""
    rows = []
    for position, series in enumerate(by_area[key]):
        for index, point in enumerate(series.points):
            figures = {other: by_area[other][position].points[index].figure for other in by_area}
            hidden = suppression(figures, unit=series.indicator.unit)[key]
            rows.append(_download_row(series, point, area=area, hidden=hidden))
    return rows


@login_required
@permission_required(perms.VIEW_INDICATORS, raise_exception=True)
@reauthentication_required
@require_http_methods(["GET"])
def dashboard_download(request: HttpRequest) -> HttpResponse:
    """The dashboard's figures, one row per indicator per month, with small numbers (and any figure that would
    give one away) suppressed; every download is in the access log."""
    teams = _teams()
    form = DashboardDownloadForm(request.GET, today=timezone.localdate(), teams=teams)
    if not form.is_valid():
        context = {"form": form, "panels": [], "area": "", "period": None}
        return render(request, "reporting/dashboard.html", context, status=400)
    period, team, file_format = (form.cleaned_data[key] for key in ("period", "team", "format"))
    area = team.name if team else "York"
    periods = period.last(TREND_MONTHS)
    by_area = indicator_series_by_area(periods=periods, teams=teams)
    access_event_record(
        user=request.user,
        action="export",
        obj=team,
        detail=f"Indicators {file_format.upper()} for {area}, {periods[0]} to {period}",
        request=request,
    )
    return table_response(
        filename_stem=f"indicators-{team.slug if team else 'york'}-{month_key(period)}",
        header=DOWNLOAD_HEADER,
        rows=download_rows(by_area, key=team.pk if team else CITY, area=area),
        file_format=file_format,
        sheet_title="Indicators",
    )


urlpatterns = [
    path("reports/", dashboard, name="dashboard"),
    path("reports/download/", dashboard_download, name="dashboard_download"),
]
