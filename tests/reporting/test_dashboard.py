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
from tests.pages import page_of
from tests.reporting.test_snapshots import decide, last_month

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("reporting:dashboard")
DOWNLOAD = reverse("reporting:dashboard_download")
# Session, user, user and group permissions (4); the window's snapshots (1) and the latest snapshot's month (1). The
# session is not saved (it was saved at sign-in, less than a minute ago). The Local Area Teams for the area list are
# a code list, read by the first visit. The same whether the snapshots hold 1 month or 12.
DASHBOARD_QUERIES = 6
DASH = "\N{EN DASH}"  # the table's cell for a count, which has no denominator


def month_key(period: Period) -> str:
    return f"{period.start:%Y-%m}"


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
        ({"period": "2001-01"}, "or a later month"),
        ({"period": "0000-01"}, "Choose a month from the list: the year must be from 2000 to "),
        ({"period": "1999-12"}, "Choose a month from the list: the year must be from 2000 to "),
        ({"period": "9999-12"}, "Choose a month from the list: the year must be from 2000 to "),
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


@pytest.mark.parametrize("month", ["0000-01", "1999-12", "9999-12"])
def test_dashboard_download_with_a_year_out_of_range_says_what_to_choose(analyst_client, lats, month):
    response = analyst_client.get(DOWNLOAD, {"period": month, "format": "csv"})
    assert response.status_code == 400
    year = timezone.localdate().year
    assert f"Choose a month from the list: the year must be from 2000 to {year}" in response.content.decode()
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
        "suppressed",  # three contacts
        "",
        "suppressed",
        "snapshot",
    ]
    assert rows_for(rows, "g", month.preceding())[5:] == ["", "", "", "not recorded"]
    # Counts are whole numbers; a rate over no cases has a denominator of 0, not an empty cell.
    assert rows_for(rows, "k", month)[5:8] == ["0", "", "0"]
    assert rows_for(rows, "c", month)[5:8] == ["0", "0", ""]
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
    # Hob Moor's 6 is suppressed too: otherwise York's 9 minus it would give Tang Hall's 3 (Clifton has 0).
    assert rows_for([list(row) for row in sheet.iter_rows(values_only=True)], "g", month)[5:8] == [
        "suppressed",
        None,
        "suppressed",
    ]
    details = list(AccessEvent.objects.filter(action="export").order_by("id").values_list("detail", flat=True))
    assert details == [
        f"Indicators XLSX for York, {month.last(12)[0]} to {month}",
        f"Indicators XLSX for Hob Moor, {month.last(12)[0]} to {month}",
    ]


def test_dashboard_download_row_leaves_out_a_rate_worked_out_from_a_suppressed_number():
    from reporting.disclosure import Hidden
    from reporting.indicators import Figure, Indicator
    from reporting.snapshots import Point, Series
    from reporting.views.dashboard import _download_row

    rate = Indicator("x", "A rate", "Test rate", "percent", lambda period: {})
    month = last_month()

    def row(count, of, **hidden):
        figure = Figure(numerator=count, denominator=of)
        point = Point(period=month, figure=figure, value=None if not of else count / of, live=False)
        return _download_row(Series(indicator=rate, points=[point]), point, area="York", hidden=Hidden(**hidden))[5:8]

    assert row(3, 40, numerator=True) == ["suppressed", 40, "suppressed"]
    assert row(38, 40, numerator=True) == ["suppressed", 40, "suppressed"]
    assert row(0, 4, numerator=True, denominator=True) == ["suppressed", "suppressed", "suppressed"]
    assert row(10, 20) == [10, 20, 0.5]
    assert row(0, 0) == [0, 0, ""]


def downloaded(client, team: str, month: Period) -> dict[tuple, list]:
    """The CSV download for `team` ("" for York): (month, indicator) -> [numerator, denominator, value]."""
    response = client.get(DOWNLOAD, {"period": month_key(month), "team": team, "format": "csv"})
    assert response.status_code == 200
    _, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    return {(row[0], row[2]): row[5:8] for row in rows}


def test_dashboard_downloads_together_never_leave_a_suppressed_figure_to_subtract(analyst_client, lats):
    """Last month 12 contacts went to Tang Hall, 15 to Hob Moor and 3 to Clifton (30 for York): Clifton's 3 is
    suppressed, and so is Tang Hall's 12, in every file, so York minus the others does not give it."""
    month = last_month()
    for slug, number in (("tang-hall", 12), ("hob-moor", 15), ("clifton", 3)):
        for day in range(number):
            decide(lats[slug], on=month.start + timedelta(days=day % 20))
    indicators_snapshot_month(period=month)
    files = {slug: downloaded(analyst_client, slug, month) for slug in ("", "tang-hall", "hob-moor", "clifton")}
    g = (month_key(month), "g")
    assert [files[slug][g][0] for slug in files] == ["30", "suppressed", "15", "suppressed"]
    assert files["clifton"][g] == ["suppressed", "", "suppressed"]

    # Over every indicator and month of the four files: a suppressed figure is never the only unknown in
    # York = Tang Hall + Hob Moor + Clifton, no figure shown is 1 to 4, and no rate shown leaves 1 to 4 out.
    teams = ("tang-hall", "hob-moor", "clifton")
    for key in files[""]:
        for part in (0, 1):  # numerator, denominator
            cells = [files[slug][key][part] for slug in ("", *teams)]
            assert cells.count("suppressed") != 1, (key, part, cells)
            assert not any(cell in {"1", "2", "3", "4"} for cell in cells), (key, cells)
        for slug in files:
            numerator, denominator, shown = files[slug][key]
            if "suppressed" in (numerator, denominator):
                assert shown == "suppressed", (key, slug)
            elif denominator and INDICATORS[key[1]].unit == "percent":
                assert int(denominator) - int(numerator) not in range(1, 5), (key, slug)


# Session, user, user and group permissions (4); every area's snapshots for the window (1) and the latest
# snapshot's month (1); the access log (its chain head, the event, the new head: 3). The session is not saved (it was
# saved at sign-in, less than a minute ago). The Local Area Teams are a code list, read on an earlier page. The same
# for York or a team, whatever the number of teams or months.
DOWNLOAD_QUERIES = 9


@pytest.mark.parametrize("months", [1, 12])
@pytest.mark.parametrize("team", ["", "clifton"])
def test_dashboard_download_takes_the_same_queries_for_york_or_a_team_and_1_or_12_months(
    analyst_client, decided, months, team, django_assert_num_queries
):
    for period in last_month().last(months):
        indicators_snapshot_month(period=period)
    # A first download: the permissions cached on the session's user, and the access log's chain head (made by a
    # migration, but gone after a browser test empties the tables), are not the point.
    analyst_client.get(DOWNLOAD, {"team": team, "format": "csv"})
    with django_assert_num_queries(DOWNLOAD_QUERIES):
        response = analyst_client.get(DOWNLOAD, {"team": team, "format": "csv"})
    assert response.status_code == 200
