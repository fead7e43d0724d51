"""The indicators dashboard and its downloads: who may open them, the month and area chosen (with clear errors),
figures read from the snapshots so an old correction does not move them until the month is rebuilt, CSV and XLSX
with small numbers suppressed and each download in the access log, and never a name on any of it."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from earlyhelp.audit.models import AccessEvent
from referrals.models import MashDecision
from reporting.indicators import INDICATORS, Period
from reporting.snapshots import indicators_snapshot_month
from tests.reporting.test_snapshots import decide, last_month

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("reporting:dashboard")
DOWNLOAD = reverse("reporting:dashboard_download")
# Session, user, user and group permissions (4); the Local Area Teams for the area list (1); the window's
# snapshots (1) and the latest snapshot's month (1); the session saved (savepoint, update, release). The same
# whether the snapshots hold 1 month or 12.
DASHBOARD_QUERIES = 10
DASH = "\N{EN DASH}"  # the table's cell for a count, which has no denominator


def month_key(period: Period) -> str:
    return f"{period.start:%Y-%m}"


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def g_row(page: str, period: Period) -> str:
    """The cells of the row for `period` in indicator g's table, as one line."""
    section = page.split('id="indicator-g"', 1)[1].split("</section>", 1)[0]
    row = section.split(f'<th scope="row" class="govuk-table__header">{period}</th>', 1)[1].split("</tr>", 1)[0]
    return " ".join(cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) if cell.strip())


@pytest.fixture
def decided(lats):
    """Last month the MASH passed three contacts to Tang Hall and six to Hob Moor (families named so a leak shows)."""
    month = last_month()
    made = [decide(lats["tang-hall"], on=month.start + timedelta(days=d)) for d in range(3)]
    made += [decide(lats["hob-moor"], on=month.start + timedelta(days=d)) for d in range(6)]
    for number, decision in enumerate(made):
        decision.contact.family.name = f"Zanzibarfamily{number}"
        decision.contact.family.save()
        decision.decided_by.full_name = f"Quentin Decider{number}"
        decision.decided_by.save()
    return made


# --- Who may open it ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), [("analyst_client", 200), ("lat_manager_client", 200)])
@pytest.mark.parametrize("url", [DASHBOARD, f"{DOWNLOAD}?format=csv"])
def test_dashboard_opens_for_analysts_and_managers(request, persona, status, url):
    assert request.getfixturevalue(persona).get(url).status_code == status


@pytest.mark.parametrize("persona", ["cfs_worker_client", "partner_client", "sf_officer_client"])
@pytest.mark.parametrize("url", [DASHBOARD, f"{DOWNLOAD}?format=csv"])
def test_dashboard_refuses_casework_roles(request, persona, url):
    assert request.getfixturevalue(persona).get(url).status_code == 403
    assert not AccessEvent.objects.filter(action="export").exists()


def test_dashboard_sends_anonymous_visitors_to_sign_in(anonymous_client):
    response = anonymous_client.get(DASHBOARD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


def test_dashboard_accepts_only_get(analyst_client):
    assert analyst_client.post(DASHBOARD).status_code == 405
    assert analyst_client.post(DOWNLOAD).status_code == 405


# --- What it shows -----------------------------------------------------------------------------------------------


def test_dashboard_shows_last_month_for_york_by_default(analyst_client, decided):
    indicators_snapshot_month(period=last_month())
    page = page_of(analyst_client.get(DASHBOARD))
    assert f"All of York, {last_month()}" in page
    assert f'<option value="{month_key(last_month())}" selected>' in page
    for indicator in INDICATORS.values():
        assert f'id="indicator-{indicator.code}"' in page
        assert escape(indicator.definition) in page
    assert g_row(page, last_month()) == f"9 {DASH} 9 snapshot"
    assert 'role="img" aria-labelledby="chart-g-title chart-g-desc"' in page
    assert "Latest 9 in " + str(last_month()) in page  # the chart's text alternative
    assert " style=" not in page and "<style" not in page and "<script>" not in page
    picker = page.split('<form method="get"', 1)[1].split("</form>", 1)[0]
    assert "csrfmiddlewaretoken" not in picker  # a GET form: no token in the address bar or the download links


def test_dashboard_team_filter_shows_that_team(analyst_client, decided, lats):
    indicators_snapshot_month(period=last_month())
    page = page_of(analyst_client.get(DASHBOARD, {"team": "hob-moor"}))
    assert f"Hob Moor, {last_month()}" in page
    assert g_row(page, last_month()) == f"6 {DASH} 6 snapshot"
    page = page_of(analyst_client.get(DASHBOARD, {"team": "tang-hall", "period": month_key(last_month())}))
    assert g_row(page, last_month()) == f"3 {DASH} 3 snapshot"


def test_dashboard_never_names_a_family_or_worker(analyst_client, decided):
    indicators_snapshot_month(period=last_month())
    pages = [
        page_of(analyst_client.get(DASHBOARD)),
        page_of(analyst_client.get(DASHBOARD, {"team": "tang-hall"})),
        analyst_client.get(DOWNLOAD, {"format": "csv"}).content.decode(),
    ]
    for text in pages:
        assert "Zanzibarfamily" not in text
        assert "Quentin" not in text


def test_dashboard_figure_for_a_snapshotted_month_stays_until_the_month_is_rebuilt(lat_manager_client, decided):
    month = last_month()
    indicators_snapshot_month(period=month)
    decided[0].outcome = MashDecision.Outcome.NO_FURTHER_ACTION  # a correction to last month's record
    decided[0].save()
    assert g_row(page_of(lat_manager_client.get(DASHBOARD, {"team": "tang-hall"})), month) == f"3 {DASH} 3 snapshot"

    call_command("indicators_snapshot", month=month_key(month))
    assert g_row(page_of(lat_manager_client.get(DASHBOARD, {"team": "tang-hall"})), month) == f"2 {DASH} 2 snapshot"


def test_dashboard_current_month_is_computed_now(analyst_client, decided, lats):
    indicators_snapshot_month(period=last_month())
    decide(lats["clifton"], on=timezone.localdate())
    current = Period.containing(timezone.localdate())
    page = page_of(analyst_client.get(DASHBOARD, {"period": month_key(current), "team": "clifton"}))
    assert g_row(page, current) == f"1 {DASH} 1 computed now"
    assert g_row(page, last_month()) == f"0 {DASH} 0 snapshot"


def test_dashboard_month_with_no_snapshot_before_the_latest_is_not_recorded(analyst_client, decided):
    indicators_snapshot_month(period=last_month())
    page = page_of(analyst_client.get(DASHBOARD))
    assert g_row(page, last_month().preceding()) == f"{DASH} not recorded not recorded"


@pytest.mark.parametrize("months", [1, 12])
def test_dashboard_from_snapshots_takes_the_same_queries_for_1_and_12_months(
    analyst_user, analyst_client, decided, months, django_assert_num_queries
):
    for period in last_month().last(months):
        indicators_snapshot_month(period=period)
    analyst_client.get(DASHBOARD)  # the permissions cached on the session's user are not the point
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = analyst_client.get(DASHBOARD, {"team": "tang-hall"})
    assert response.status_code == 200


# --- Choosing the month and the area -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "next-year"}, "Choose a month from the list, or give it as a year and month, like 2026-10"),
        ({"period": "2025-13"}, "Choose a month from the list, or give it as a year and month, like 2026-10"),
        ({"period": "2099-01"}, "Choose this month or an earlier one: January 2099 has not started yet"),
        ({"period": "1999-01"}, "or a later month"),
        ({"team": "leeds"}, "Choose all of York or a Local Area Team from the list"),
    ],
)
def test_dashboard_period_and_team_errors_say_what_to_choose(analyst_client, lats, query, message):
    response = analyst_client.get(DASHBOARD, query)
    page = response.content.decode()
    assert response.status_code == 400
    assert "govuk-error-summary" in page
    assert message in page
    assert page.count(message) == 2  # in the summary and by the field
    assert 'id="indicator-' not in page


def test_dashboard_download_with_a_bad_format_says_what_to_choose(analyst_client, lats):
    response = analyst_client.get(DOWNLOAD, {"format": "pdf"})
    assert response.status_code == 400
    assert "Choose CSV or XLSX" in response.content.decode()
    assert not AccessEvent.objects.exists()


# --- Downloads ---------------------------------------------------------------------------------------------------


def rows_for(rows: list[list], code: str, period: Period) -> list:
    return next(row for row in rows if row[0] == month_key(period) and row[2] == code)


def test_dashboard_download_csv_has_a_row_per_indicator_per_month_with_small_numbers_suppressed(
    analyst_user, analyst_client, decided, lats
):
    month = last_month()
    indicators_snapshot_month(period=month)
    response = analyst_client.get(DOWNLOAD, {"period": month_key(month), "team": "tang-hall", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="indicators-tang-hall-{month_key(month)}.csv"'
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header == ["Month", "Area", "Indicator", "Title", "Unit", "Numerator", "Denominator", "Value", "Source"]
    assert len(rows) == 12 * len(INDICATORS)
    assert rows_for(rows, "g", month) == [
        month_key(month),
        "Tang Hall",
        "g",
        INDICATORS["g"].title,
        "count",
        "<5",  # three contacts: suppressed
        "",
        "<5",
        "snapshot",
    ]
    assert rows_for(rows, "g", month.preceding())[5:] == ["", "", "", "not recorded"]
    event = AccessEvent.objects.get(action="export")
    assert event.user == analyst_user
    assert event.object_uuid == lats["tang-hall"].uuid
    assert event.detail == f"Indicators CSV for Tang Hall, {month.last(12)[0]} to {month}"


def test_dashboard_download_xlsx_opens_with_the_figures_and_suppression(analyst_client, decided):
    month = last_month()
    indicators_snapshot_month(period=month)
    response = analyst_client.get(DOWNLOAD, {"format": "xlsx"})  # last month, all of York
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="indicators-york-{month_key(month)}.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content), read_only=True)["Indicators"]
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:3] == ["Month", "Area", "Indicator"]
    assert rows_for(rows, "g", month)[1:] == ["York", "g", INDICATORS["g"].title, "count", 9, None, 9, "snapshot"]
    hob_moor = analyst_client.get(DOWNLOAD, {"format": "xlsx", "team": "hob-moor"})
    sheet = load_workbook(io.BytesIO(hob_moor.content), read_only=True)["Indicators"]
    assert rows_for([list(row) for row in sheet.iter_rows(values_only=True)], "g", month)[5:8] == [6, None, 6]
    details = list(AccessEvent.objects.filter(action="export").order_by("id").values_list("detail", flat=True))
    assert details == [
        f"Indicators XLSX for York, {month.last(12)[0]} to {month}",
        f"Indicators XLSX for Hob Moor, {month.last(12)[0]} to {month}",
    ]


def test_dashboard_download_suppresses_a_rate_worked_out_from_a_small_number():
    from reporting.indicators import Figure, Indicator
    from reporting.snapshots import Point, Series
    from reporting.views.dashboard import _download_row

    rate = Indicator("x", "A rate", "Test rate", "percent", lambda period: {})
    month = last_month()

    def row(numerator, denominator):
        figure = Figure(numerator=numerator, denominator=denominator)
        point = Point(
            period=month, figure=figure, value=None if not denominator else numerator / denominator, live=False
        )
        return _download_row(Series(indicator=rate, points=[point]), point, area="York")[5:8]

    assert row(3, 40) == ["<5", 40, "suppressed"]
    assert row(0, 4) == [0, "<5", "suppressed"]
    assert row(10, 20) == [10, 20, 0.5]
    assert row(0, 0) == [0, 0, ""]
