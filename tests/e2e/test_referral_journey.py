"""The MASH front door: a practitioner refers, a screener rates, a manager decides targeted early help, the Local
Area Team manager allocates it, and the referrer sees the outcome; the MASH also records contacts from the public.

Drives Debian's Chromium through Playwright against pytest-django's live server, reusing the helpers of
test_family_journey and the personas of tests/conftest.py. Every page visited is checked with axe-core (no serious
or critical violations) and for Content Security Policy violations reported on the console.
"""

import importlib
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.utils import timezone

from cases.models import Episode, Family, FamilyMember
from cases.services import family_access_grant
from consent.models import ConsentRecord
from earlyhelp.accounts.models import Notification
from locality.models import Agency
from referrals.models import Contact, ContactSource, MashDecision
from tests.e2e.test_assessment_journey import signed_in_page
from tests.e2e.test_family_journey import PageChecks, _async_unsafe_allowed, browser, fill_date
from tests.factories import (
    ConsentRecordFactory,
    ConsentShareFactory,
    ConsentSubjectFactory,
    FamilyMemberFactory,
    ServiceFactory,
)

pytestmark = [pytest.mark.e2e]

__all__ = ["_async_unsafe_allowed", "browser"]  # fixtures, imported so pytest finds them here

REFERENCE = re.compile(r"MC-[A-Z0-9]{8}")
CONTACT_URL = re.compile(r"/mash/contacts/[0-9a-f-]+/$")
REFERRAL_URL = re.compile(r"/referrals/[0-9a-f-]+/$")
CONCERN = "Jade has come to school hungry most days this term and Leo's attendance has fallen to 82%."
INFORMATION = "No open involvement. Health: both children up to date with checks. School confirms the attendance."
NEXT_STEPS = "The Tang Hall Local Area Team will contact the family within five working days to offer support."
OUTSIDE_NOTE = "outside the areas York's Local Area Teams cover"


@pytest.fixture
def york(_async_unsafe_allowed, live_server):
    """York's reference data put back after the live server's flush: teams, wards, postcode districts, the lawful
    basis and the first privacy notice. Asked for first, so the conftest personas join the real teams."""
    importlib.import_module("locality.migrations.0002_york_local_area_teams").add_teams(apps, None)
    importlib.import_module("consent.migrations.0002_lawful_basis_and_first_privacy_notice").add(apps, None)


@pytest.fixture
def referral_journey(
    york,
    partner_user,
    mash_screener_user,
    mash_manager_user,
    lat_manager_user,
    cfs_worker_user,
    own_family,
):
    """A Tang Hall family of a parent and two children who consented to share with schools; the school's partner
    practitioner granted sight of it; the MASH, the Tang Hall manager and a worker to allocate to."""
    parent = FamilyMemberFactory(
        family=own_family,
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
        person__first_name="Kerry",
        person__last_name="Ownteam",
        person__date_of_birth=date(1986, 11, 3),
    )
    children = [
        FamilyMemberFactory(
            family=own_family,
            role=FamilyMember.Role.CHILD,
            person__first_name=first_name,
            person__last_name="Ownteam",
            person__date_of_birth=born,
        ).person
        for first_name, born in (("Jade", date(2014, 4, 12)), ("Leo", date(2017, 1, 30)))
    ]
    consent = ConsentRecordFactory(
        family=own_family,
        status=ConsentRecord.Status.GIVEN,
        given_by=parent.person,
        obtained_by=cfs_worker_user,
        obtained_on=timezone.localdate() - timedelta(days=30),
    )
    for person in (parent.person, *children):
        ConsentSubjectFactory(consent=consent, person=person)
    ConsentShareFactory(consent=consent, agency=None, agency_type=Agency.Type.SCHOOL)
    family_access_grant(family=own_family, user=partner_user)
    ServiceFactory(name="Tang Hall Parenting Group", local_area_teams=[own_family.local_area_team])
    return SimpleNamespace(
        partner=partner_user,
        screener=mash_screener_user,
        mash_manager=mash_manager_user,
        lat_manager=lat_manager_user,
        worker=cfs_worker_user,
        family=own_family,
    )


def nav(page, checks: PageChecks, label: str, url: str) -> None:
    """Follow a link in the menu (waiting for the new page even when it is the one already shown)."""
    with page.expect_navigation(url=url):
        page.get_by_role("navigation", name="Menu").get_by_role("link", name=label, exact=True).click()
    checks.check()


def success_banner(page):
    return page.locator(".govuk-notification-banner--success")


def submit(page, checks: PageChecks, button: str, url) -> None:
    """Press a form's button and wait for the page it leads to, even when that is the same address (a form
    shown again with its errors, or a contact's page after an action on it)."""
    with page.expect_navigation(url=url):
        page.get_by_role("button", name=button, exact=True).click()
    checks.check()


def expect_errors(page, *messages: str) -> None:
    """The GOV.UK error summary lists each message, and each of its links leads to a field on the page."""
    from playwright.sync_api import expect

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    for message in messages:
        expect(summary).to_contain_text(message)
    for link in summary.get_by_role("link").all():
        target = link.get_attribute("href")
        assert target.startswith("#"), target
        assert page.locator(f"[id='{target[1:]}']").count() == 1, f"{link.inner_text()} links to missing {target}"


def open_contact_from_inbox(page, checks: PageChecks, base_url: str, reference: str):
    """Open the MASH inbox from the menu and return the contact's row, before opening the contact."""
    nav(page, checks, "MASH inbox", f"{base_url}/mash/")
    return page.get_by_role("table", name="Contacts to screen and decide").get_by_role("row").filter(has_text=reference)


def test_referral_is_screened_decided_allocated_and_fed_back(live_server, referral_journey, browser):
    from playwright.sync_api import expect

    base_url = live_server.url
    journey = referral_journey
    family_url = f"{base_url}/families/{journey.family.uuid}/"

    # 1. The school's practitioner refers the family from its page.
    partner_context, page, checks = signed_in_page(browser, base_url, journey.partner)
    page.goto(family_url)
    checks.check()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ownteam family")
    page.get_by_role("button", name="Refer to the MASH").click()
    page.wait_for_url(f"{family_url}refer/")
    checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer to the MASH")

    # What the service knows is filled in: both children, the school as source, consent given, the role.
    children = page.locator("input[name='children']")
    expect(children).to_have_count(2)
    for index in range(2):
        expect(children.nth(index)).to_be_checked()
    expect(page.get_by_label("Jade Ownteam, born 12 April 2014")).to_be_checked()
    expect(page.locator("select[name='source']")).to_have_value(ContactSource.SCHOOLS)
    expect(page.locator("input[name='consent_status'][value='given']")).to_be_checked()
    expect(page.locator("input[name='referrer_role']")).to_have_value(journey.partner.job_title)

    # An empty concern is refused with the GOV.UK error summary.
    submit(page, checks, "Send the referral", f"{family_url}refer/")
    expect(page).to_have_title(re.compile(r"^Error: Refer to the MASH"))
    expect_errors(page, "Describe the concern", "Say whether the family knows")

    page.locator("textarea[name='concern']").fill(CONCERN)
    page.locator("input[name='family_aware'][value='yes']").check()
    page.locator("input[name='consent_status'][value='given']").check()
    page.locator("input[name='requested_level'][value='3']").check()
    page.locator("input[name='referrer_telephone']").fill("01904 555 123")
    submit(page, checks, "Send the referral", REFERRAL_URL)
    expect(success_banner(page)).to_contain_text("sent to the MASH. Its outcome will be shown on My referrals.")
    reference = REFERENCE.search(success_banner(page).inner_text()).group(0)
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Referral {reference}")
    expect(page.get_by_text("The MASH is working on this referral.")).to_be_visible()
    referral_url = page.url

    nav(page, checks, "My referrals", f"{base_url}/referrals/")
    row = page.get_by_role("table", name="Referrals you made to the MASH").get_by_role("row").filter(has_text=reference)
    expect(row.get_by_role("cell").nth(2)).to_contain_text("Jade Ownteam")
    expect(row.get_by_role("cell").nth(2)).to_contain_text("Leo Ownteam")
    expect(row.get_by_role("cell").nth(3)).to_have_text("Received")
    expect(row.get_by_role("cell").nth(4)).to_have_text("Not decided yet")
    partner_context.close()

    # 2. A MASH screener takes the contact, rates it red and finishes screening.
    screener_context, page, screener_checks = signed_in_page(browser, base_url, journey.screener)
    row = open_contact_from_inbox(page, screener_checks, base_url, reference)
    expect(row.get_by_role("cell").nth(1)).to_contain_text("Jade Ownteam")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Not rated")
    expect(row.get_by_role("cell").nth(3)).to_have_text("Received")
    expect(row.get_by_role("cell").nth(4)).to_contain_text("left")
    row.get_by_role("link", name=reference).click()
    page.wait_for_url(CONTACT_URL)
    screener_checks.check()
    contact_url = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Contact {reference}")
    expect(page.locator(".govuk-inset-text")).to_contain_text("left")
    expect(page.get_by_text(CONCERN)).to_be_visible()

    submit(page, screener_checks, "Assign to me", contact_url)
    expect(success_banner(page)).to_contain_text("is assigned to you")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Screening")
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)

    page.get_by_role("button", name="RAG-rate").click()
    page.wait_for_url(f"{contact_url}rag/")
    screener_checks.check()
    page.locator("input[name='rag'][value='red']").check()
    submit(page, screener_checks, "Save the rating", contact_url)
    expect(success_banner(page)).to_contain_text("RAG rating saved")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Red")

    page.get_by_role("button", name="Record screening").click()
    page.wait_for_url(f"{contact_url}screening/")
    screener_checks.check()
    for check in ("involvement", "previous_contacts", "health", "education"):
        page.locator(f"input[name='checks'][value='{check}']").check()
    page.locator("textarea[name='information_gathered']").fill(INFORMATION)
    page.get_by_label("Screening is finished").check()
    submit(page, screener_checks, "Save screening", contact_url)
    expect(success_banner(page)).to_contain_text("Screening saved and sent for a manager's decision.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awaiting decision")
    expect(page.get_by_text(INFORMATION)).to_be_visible()
    expect(page.get_by_role("button", name="Decide")).to_have_count(0)  # a screener cannot decide
    screener_context.close()

    # 3. A MASH manager decides targeted early help from Tang Hall.
    manager_context, page, manager_checks = signed_in_page(browser, base_url, journey.mash_manager)
    row = open_contact_from_inbox(page, manager_checks, base_url, reference)
    expect(row.get_by_role("cell").nth(2)).to_have_text("Red")
    expect(row.get_by_role("cell").nth(3)).to_have_text("Awaiting decision")
    row.get_by_role("link", name=reference).click()
    page.wait_for_url(contact_url)
    manager_checks.check()
    page.get_by_role("button", name="Decide").click()
    page.wait_for_url(f"{contact_url}decide/")
    manager_checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("MASH decision")
    expect(page.locator("input[name='level'][value='3']")).to_be_checked()  # the level the referrer suggested
    expect(page.locator("select[name='local_area_team'] option:checked")).to_have_text("Tang Hall")
    submit(page, manager_checks, "Record the decision", f"{contact_url}decide/")
    expect(page).to_have_title(re.compile(r"^Error: MASH decision"))
    expect_errors(page, "Choose the outcome", "Give the rationale for the decision", "Choose the consent basis")
    page.locator("input[name='level'][value='3']").check()
    page.locator(f"input[name='outcome'][value='{MashDecision.Outcome.TARGETED}']").check()
    page.locator("select[name='local_area_team']").select_option(label="Tang Hall")
    page.locator("textarea[name='rationale']").fill("Needs across school, health and home: level 3, consent held.")
    page.locator("textarea[name='next_steps']").fill(NEXT_STEPS)
    page.locator(f"input[name='consent_basis'][value='{MashDecision.ConsentBasis.HELD}']").check()
    submit(page, manager_checks, "Record the decision", contact_url)
    expect(success_banner(page)).to_contain_text("Decision recorded")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decided")
    decision = page.locator("h2:text-is('Decision') + dl")
    expect(decision).to_contain_text("Targeted early help")
    expect(decision).to_contain_text(NEXT_STEPS)
    manager_context.close()

    # 4. The Tang Hall manager finds the request in the allocation queue and allocates it.
    lat_context, page, lat_checks = signed_in_page(browser, base_url, journey.lat_manager)
    expect(page.get_by_role("main")).to_contain_text(f"New early help request from the MASH ({reference}) to allocate")
    nav(page, lat_checks, "Allocations", f"{base_url}/allocations/")
    queue = page.get_by_role("table", name="Early help requests waiting to be allocated")
    row = queue.get_by_role("row").filter(has_text="Ownteam family")
    expect(row).to_contain_text(f"from contact {reference}")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Targeted early help")
    expect(row.get_by_role("cell").nth(4)).to_have_text("Tang Hall")
    row.get_by_role("link", name="Allocate the Ownteam family").click()
    page.wait_for_url(re.compile(r"/allocations/[0-9a-f-]+/$"))
    lat_checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Allocate early help")
    page.get_by_label("Allocate to").select_option(label=journey.worker.full_name)
    submit(page, lat_checks, "Allocate", f"{base_url}/allocations/")
    expect(success_banner(page)).to_contain_text(f"Allocated to {journey.worker.full_name}, who has been told.")
    expect(page.get_by_text("There are no requests waiting.")).to_be_visible()
    lat_context.close()

    # 5. The referrer is told: a notification, the outcome on My referrals, the next steps on the referral.
    partner_context, page, partner_checks = signed_in_page(browser, base_url, journey.partner)
    notice = page.get_by_role("link", name=re.compile(rf"The MASH has decided your referral {reference}"))
    expect(notice).to_contain_text("Targeted early help")
    nav(page, partner_checks, "My referrals", f"{base_url}/referrals/")
    row = page.get_by_role("table", name="Referrals you made to the MASH").get_by_role("row").filter(has_text=reference)
    expect(row.get_by_role("cell").nth(3)).to_have_text("Closed")
    expect(row.get_by_role("cell").nth(4)).to_contain_text("Targeted early help")
    row.get_by_role("link", name=reference).click()
    page.wait_for_url(referral_url)
    partner_checks.check()
    expect(page.locator(".govuk-panel__title")).to_contain_text("Targeted early help")
    expect(page.get_by_text(NEXT_STEPS)).to_be_visible()
    expect(page.get_by_text("Needs across school, health and home")).to_have_count(0)  # the rationale stays inside
    partner_context.close()

    for page_checks in (checks, screener_checks, manager_checks, lat_checks, partner_checks):
        page_checks.assert_clean()

    # What the pages showed is what was saved.
    contact = Contact.objects.get(reference=reference)
    assert contact.status == Contact.Status.CLOSED
    assert contact.referrer_user == journey.partner
    assert contact.rag == "red"
    assert contact.assigned_to == journey.screener
    assert sorted(contact.children.values_list("person__first_name", flat=True)) == ["Jade", "Leo"]
    assert contact.decision.outcome == MashDecision.Outcome.TARGETED
    assert contact.decision.decided_by == journey.mash_manager
    assert contact.decision.referrer_told_at is not None
    episode = Episode.objects.get(contact=contact)
    assert episode.status == Episode.Status.ALLOCATED
    assert episode.lead_practitioner == journey.worker
    assert episode.pathway == Episode.Pathway.TARGETED
    assert Notification.objects.filter(user=journey.worker, message__contains="Ownteam family").exists()


@pytest.fixture
def screener(york, mash_screener_user):
    return mash_screener_user


def record_contact_about_new_children(page, checks: PageChecks, base_url: str, *, family: str, postcode: str, child):
    """From the inbox: check for a record (none), then record a telephone contact from a neighbour."""
    from playwright.sync_api import expect

    first_name, last_name, born = child
    nav(page, checks, "MASH inbox", f"{base_url}/mash/")
    page.get_by_role("button", name="Record a contact").click()
    page.wait_for_url(f"{base_url}/mash/find/")
    checks.check()
    page.locator("input[name='first_name']").fill(first_name)
    page.locator("input[name='last_name']").fill(last_name)
    fill_date(page, "date_of_birth", born.day, born.month, born.year)
    submit(page, checks, "Check for a record", f"{base_url}/mash/find/")
    expect(page.get_by_role("heading", name="Possible records")).to_be_visible()
    expect(page.get_by_text("No record matches this child.")).to_be_visible()
    page.get_by_role("button", name="Record a contact about children with no record").click()
    page.wait_for_url(f"{base_url}/mash/contacts/new/")
    checks.check()
    submit(page, checks, "Record the contact", f"{base_url}/mash/contacts/new/")
    expect(page).to_have_title(re.compile(r"^Error: Record a contact"))
    expect_errors(
        page,
        "Enter the family name",
        "Enter the postcode where the children live",
        "Enter at least one child the concern is about",
        "Choose how the contact arrived",
        "Choose who made the contact",
        "Describe the concern",
    )

    page.locator("input[name='family_name']").fill(family)
    page.locator("input[name='address_line_1']").fill("4 Example Terrace")
    page.locator("input[name='postcode']").fill(postcode)
    page.locator("input[name='child_1_first_name']").fill(first_name)
    page.locator("input[name='child_1_last_name']").fill(last_name)
    fill_date(page, "child_1_date_of_birth", born.day, born.month, born.year)
    received = timezone.localtime() - timedelta(hours=1)
    fill_date(page, "received_on", received.day, received.month, received.year)
    page.locator("input[name='received_time']").fill(received.strftime("%H:%M"))
    page.locator(f"input[name='channel'][value='{Contact.Channel.PHONE}']").check()
    page.locator(f"input[name='referrer_kind'][value='{Contact.ReferrerKind.OTHER}']").check()
    page.locator("input[name='referrer_name']").fill("Alex Neighbour")
    page.locator("input[name='referrer_role']").fill("Neighbour")
    page.locator("input[name='referrer_telephone']").fill("07700 900123")
    page.locator("textarea[name='concern']").fill(f"{first_name} is often left alone in the evenings, the caller says.")
    page.locator("select[name='source']").select_option(ContactSource.ACQUAINTANCE)
    page.locator("input[name='family_aware'][value='not_known']").check()
    page.locator("input[name='consent_status'][value='not_sought']").check()
    page.locator("textarea[name='consent_reason']").fill("A member of the public called; the family was not asked.")
    submit(page, checks, "Record the contact", CONTACT_URL)
    banner = success_banner(page).inner_text()
    assert "recorded." in banner, banner
    return REFERENCE.search(banner).group(0), banner


def test_screener_records_contacts_about_children_with_no_record(live_server, screener, browser):
    from playwright.sync_api import expect

    base_url = live_server.url
    context, page, checks = signed_in_page(browser, base_url, screener)

    # In York: the family is created in the team its postcode routes to.
    reference, banner = record_contact_about_new_children(
        page, checks, base_url, family="Fenwick", postcode="YO31 8QX", child=("Alfie", "Fenwick", date(2019, 6, 4))
    )
    assert OUTSIDE_NOTE not in banner
    expect(page.get_by_role("heading", level=1)).to_contain_text("Received")
    family_link = page.get_by_role("link", name=re.compile(r"^Fenwick family, EH-"))
    expect(family_link).to_be_visible()
    expect(page.locator("p").filter(has=family_link)).to_contain_text("Tang Hall")
    expect(page.get_by_text(OUTSIDE_NOTE)).to_have_count(0)

    row = open_contact_from_inbox(page, checks, base_url, reference)
    expect(row.get_by_role("cell").nth(1)).to_contain_text("Alfie Fenwick")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Not rated")
    expect(row.get_by_role("cell").nth(4)).to_contain_text("left")

    # Outside York: accepted, with no family record, and the note says where it goes.
    outside, banner = record_contact_about_new_children(
        page, checks, base_url, family="Marsh", postcode="LS1 4AP", child=("Ruby", "Marsh", date(2016, 2, 14))
    )
    assert OUTSIDE_NOTE in banner
    expect(page.locator(".govuk-warning-text")).to_contain_text(OUTSIDE_NOTE)
    row = open_contact_from_inbox(page, checks, base_url, outside)
    expect(row.get_by_role("cell").nth(1)).to_contain_text("Outside York")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Not rated")

    # The inbox's filter finds both among the contacts not yet rated, and keeps itself open to show why.
    page.get_by_text("Filter the inbox").click()
    page.get_by_label("RAG rating").select_option(label="Not yet rated")
    page.get_by_label("Assigned to me").check()
    submit(page, checks, "Filter", re.compile(r"/mash/\?.*rag=unrated"))
    expect(page.locator("details.govuk-details")).to_have_attribute("open", "")
    expect(page.get_by_text("No contacts match these filters.")).to_be_visible()  # neither is assigned yet
    page.get_by_label("Assigned to me").uncheck()
    submit(page, checks, "Filter", re.compile(r"/mash/\?.*rag=unrated"))
    rows = page.get_by_role("table", name="Contacts to screen and decide").locator("tbody").get_by_role("row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=reference)).to_have_count(1)
    expect(rows.filter(has_text=outside)).to_have_count(1)

    context.close()
    checks.assert_clean()

    in_york = Contact.objects.get(reference=reference)
    assert in_york.family == Family.objects.get(name="Fenwick")
    assert in_york.local_area_team.slug == "tang-hall"
    assert in_york.channel == Contact.Channel.PHONE
    assert in_york.referrer_kind == Contact.ReferrerKind.OTHER
    assert in_york.referrer_name == "Alex Neighbour"
    assert in_york.rag == ""
    outside_york = Contact.objects.get(reference=outside)
    assert outside_york.family is None
    assert outside_york.local_area_team is None
    assert outside_york.outside_authority
    assert not Family.objects.filter(name="Marsh").exists()
