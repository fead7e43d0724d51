"""Journey 4 (indicators): a performance analyst opens the indicators dashboard, changes the team, downloads the
figures, and downloads an Ofsted Annex A list.

Last month the MASH passed two Tang Hall contacts and one Hob Moor contact to their Local Area Teams (indicator g);
each contact is about one child. The analyst sees 3 for York, 1 once they choose Hob Moor, downloads the Hob Moor
figures as CSV, then List 1 (contacts) as CSV: three children, by unique ID and codes only, never a name. Every page
is checked with axe-core (no serious or critical violations) and for Content Security Policy violations.
"""

import csv
import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from cases.models import Person
from earlyhelp.audit.models import AccessEvent
from locality.models import LocalAreaTeam
from referrals.models import MashDecision
from reporting.annex_a import LIST_1_HEADER
from reporting.indicators import Period
from tests.e2e.test_assessment_journey import signed_in_page
from tests.e2e.test_document_journey import download
from tests.e2e.test_family_journey import _async_unsafe_allowed, browser
from tests.e2e.test_referral_journey import york
from tests.factories import ContactChildFactory, ContactFactory, FamilyFactory, UserFactory

pytestmark = [pytest.mark.e2e]

__all__ = ["_async_unsafe_allowed", "browser", "york"]  # fixtures, imported so pytest finds them here

CHILD_NAMES = ("Ellis", "Harper", "Rowan")


@pytest.fixture
def last_month_contacts(york):
    """Three contacts decided last month as targeted early help: two for Tang Hall, one for Hob Moor."""
    last_month = Period.containing(timezone.localdate()).preceding()
    decided_at = timezone.make_aware(datetime.combine(last_month.start + timedelta(days=9), time(11)))
    manager = UserFactory()
    for slug, first_name in zip(("tang-hall", "tang-hall", "hob-moor"), CHILD_NAMES, strict=True):
        team = LocalAreaTeam.objects.get(slug=slug)
        family = FamilyFactory(name="Journeyfamily", local_area_team=team)
        contact = ContactFactory(family=family, received_at=decided_at - timedelta(hours=3))
        ContactChildFactory(contact=contact, person__first_name=first_name, person__last_name="Journeyfamily")
        MashDecision.objects.create(
            contact=contact,
            level=3,
            outcome=MashDecision.Outcome.TARGETED,
            rationale="Needs help with routines",
            next_steps="The Local Area Team will be in touch",
            consent_basis=MashDecision.ConsentBasis.HELD,
            local_area_team=team,
            decided_by=manager,
            decided_at=decided_at,
        )
    return last_month


def _indicator_g(page):
    return page.locator("#indicator-g")


def _latest(page):
    """The headline figure under indicator g's heading."""
    return _indicator_g(page).locator("p.govuk-body-l")


def test_analyst_opens_the_dashboard_changes_the_team_and_downloads_figures_and_an_annex_a_list(
    live_server, last_month_contacts, analyst_user, browser, tmp_path
):
    from playwright.sync_api import expect

    base_url = live_server.url
    context, page, checks = signed_in_page(browser, base_url, analyst_user)
    month = last_month_contacts

    # The dashboard: last month, all of York.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Indicators").click()
    page.wait_for_url(f"{base_url}/reports/")
    checks.check()
    expect(page.get_by_role("heading", level=2, name=f"York, {month}")).to_be_visible()
    expect(_latest(page)).to_have_text(f"{month}: 3")
    # The chart's text alternative: its title, and the latest, highest and lowest values.
    chart = _indicator_g(page).get_by_role(
        "img", name="Contacts requesting a service from a Local Area Team, month by month"
    )
    expect(chart).to_have_accessible_name(re.compile(rf"Latest 3 in {month}"))

    # One team: Hob Moor.
    page.get_by_label("Area", exact=True).select_option(label="Hob Moor")
    page.get_by_role("button", name="Show the figures").click()
    page.wait_for_url(f"{base_url}/reports/?*")
    checks.check()
    expect(page.get_by_role("heading", level=2, name=f"Hob Moor, {month}")).to_be_visible()
    expect(_latest(page)).to_have_text(f"{month}: 1")

    # The figures as CSV: the count of 1 is suppressed.
    figures = download(page, "CSV", tmp_path)
    assert figures.name == f"indicators-hob-moor-{month.start:%Y-%m}.csv"
    rows = list(csv.reader(figures.read_text().splitlines()))
    header = rows[0]
    g_last_month = [
        row for row in rows[1:] if row[header.index("Indicator")] == "g" and row[0] == f"{month.start:%Y-%m}"
    ]
    assert len(g_last_month) == 1 and g_last_month[0][header.index("Numerator")] == "suppressed", rows

    # Ofsted Annex A, list 1, the window ending last month, as CSV.
    page.get_by_role("link", name="Annex A", exact=True).click()
    page.wait_for_url(f"{base_url}/reports/annex-a/")
    checks.check()
    page.get_by_label("List 1: contacts").check()
    page.get_by_label("Last month of the six-month window").select_option(f"{month.start:%Y-%m}")
    page.get_by_label("Comma-separated values (CSV)").check()
    with page.expect_download() as started:
        page.get_by_role("button", name="Download the list").click()
    annex = tmp_path / started.value.suggested_filename
    started.value.save_as(annex)
    lines = list(csv.reader(annex.read_text().splitlines()))
    assert tuple(lines[0]) == LIST_1_HEADER
    children = {str(uuid) for uuid in Person.objects.filter(last_name="Journeyfamily").values_list("uuid", flat=True)}
    assert {line[0] for line in lines[1:]} == children
    text = annex.read_text()
    assert "Journeyfamily" not in text and not any(name in text for name in CHILD_NAMES)
    assert AccessEvent.objects.filter(user=analyst_user, action="export").count() == 2
    context.close()
