"""The front door's smaller pages, each visited once and checked with axe-core: the service directory, flagging a
concern, an empty My referrals; closing a contact as a duplicate, withdrawing one and the MASH inbox's filters and
empty state; and recording children's social care's reference for a step-up.

Drives Debian's Chromium through Playwright against pytest-django's live server, reusing the helpers and fixtures
of the other journeys. Every page visited is checked with axe-core (no serious or critical violations) and for
Content Security Policy violations reported on the console.
"""

import re
from datetime import date
from types import SimpleNamespace

import pytest

from cases.models import FamilyMember
from cases.services import family_access_grant
from consent.models import ConsentRecord
from locality.models import Agency, LocalAreaTeam
from referrals import services
from referrals.models import ConcernFlag, Contact, ContactSource, MashDecision
from tests.e2e.test_assessment_journey import signed_in_page
from tests.e2e.test_family_journey import _async_unsafe_allowed, browser
from tests.e2e.test_referral_journey import nav, submit, success_banner, york
from tests.factories import (
    ConsentRecordFactory,
    ConsentShareFactory,
    FamilyMemberFactory,
    NeedCategoryFactory,
    ServiceFactory,
)

pytestmark = [pytest.mark.e2e]

__all__ = ["_async_unsafe_allowed", "browser", "york"]  # fixtures, imported so pytest finds them here

SERVICE_URL = re.compile(r"/directory/[0-9a-f-]+/$")
DIRECTORY_SEARCH = re.compile(r"/directory/\?")


def _contact(*, screener, family, child, rag: str) -> Contact:
    """A contact about `child` recorded by the MASH and RAG-rated, as the screening pages would leave it."""
    contact = services.contact_record(
        user=screener,
        family=family,
        children=[child],
        concern=f"{child.first_name} has come to school hungry and tired most days this month.",
        source=ContactSource.SCHOOLS,
        family_aware=Contact.FamilyAware.YES,
        consent_status=Contact.ConsentStatus.GIVEN,
    )
    return services.contact_rate(user=screener, contact=contact, rag=rag)


@pytest.fixture
def front_door(york, partner_user, mash_screener_user, mash_manager_user, own_family):
    """A Tang Hall family of a parent and two children who consented, shown to the school's practitioner; two
    directory services; a red contact about Leo to withdraw, and one about Jade decided children's social care."""
    parent = FamilyMemberFactory(
        family=own_family,
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
        person__first_name="Kerry",
        person__last_name="Ownteam",
        person__date_of_birth=date(1986, 11, 3),
    )
    jade, leo = (
        FamilyMemberFactory(
            family=own_family,
            role=FamilyMember.Role.CHILD,
            person__first_name=first_name,
            person__last_name="Ownteam",
            person__date_of_birth=born,
        ).person
        for first_name, born in (("Jade", date(2014, 4, 12)), ("Leo", date(2017, 1, 30)))
    )
    consent = ConsentRecordFactory(family=own_family, status=ConsentRecord.Status.GIVEN, given_by=parent.person)
    ConsentShareFactory(consent=consent, agency=None, agency_type=Agency.Type.SCHOOL)  # so the grant works
    family_access_grant(family=own_family, user=partner_user)

    # The live server's flush removed the categories the data migration made: put back the two used here.
    parenting = NeedCategoryFactory(code="parenting", name="Parenting support")
    young_carers = NeedCategoryFactory(code="young_carers", name="Young carers")
    ServiceFactory(
        name="Tang Hall Parenting Group",
        provider="Tang Hall Children's Centre",
        description="Weekly parenting sessions for families with children under 11.",
        local_area_teams=[own_family.local_area_team],
        need_categories=[parenting],
    )
    ServiceFactory(
        name="Clifton Young Carers Club",
        description="A fortnightly club and days out for young carers, with parenting advice for their families.",
        local_area_teams=[LocalAreaTeam.objects.get(slug="clifton")],
        need_categories=[young_carers],
    )

    to_withdraw = _contact(screener=mash_screener_user, family=own_family, child=leo, rag="red")
    stepped_up = _contact(screener=mash_screener_user, family=own_family, child=jade, rag="amber")
    services.contact_screen(
        user=mash_screener_user,
        contact=stepped_up,
        checks={"involvement": True, "previous_contacts": True},
        information_gathered="Known to the school nurse; no open involvement.",
        ready=True,
    )
    services.contact_decide(
        user=mash_manager_user,
        contact=stepped_up,
        level=4,
        outcome=MashDecision.Outcome.SOCIAL_CARE,
        rationale="Significant harm is likely: children's social care should assess.",
        next_steps="Children's social care will contact the family within one working day.",
        consent_basis=MashDecision.ConsentBasis.HELD,
    )
    return SimpleNamespace(
        partner=partner_user,
        screener=mash_screener_user,
        mash_manager=mash_manager_user,
        jade=jade,
        to_withdraw=to_withdraw,
        stepped_up=stepped_up,
    )


def test_front_door_pages_are_accessible(live_server, front_door, browser):
    from playwright.sync_api import expect

    base_url = live_server.url
    data = front_door

    # 1. The school's practitioner: the service directory, a concern flag, and no referrals yet.
    partner_context, page, partner_checks = signed_in_page(browser, base_url, data.partner)
    page.goto(f"{base_url}/directory/")
    partner_checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service directory")
    expect(page.get_by_role("heading", name="2 services")).to_be_visible()

    page.get_by_label("Name, provider or words in the description").fill("parenting")
    submit(page, partner_checks, "Search", DIRECTORY_SEARCH)
    expect(page.get_by_role("heading", name="2 services")).to_be_visible()  # the words match both descriptions
    page.get_by_label("Local Area Team").select_option(label="Tang Hall")
    submit(page, partner_checks, "Search", DIRECTORY_SEARCH)
    expect(page.get_by_role("heading", name="1 service", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Clifton Young Carers Club")).to_have_count(0)

    page.get_by_role("link", name="Tang Hall Parenting Group").click()
    page.wait_for_url(SERVICE_URL)
    partner_checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tang Hall Parenting Group")
    expect(page.get_by_text("Parenting support")).to_be_visible()

    page.goto(f"{base_url}/directory/?text=trampolining")
    partner_checks.check()
    expect(page.get_by_role("heading", name="0 services")).to_be_visible()
    expect(page.get_by_text("No services match. Try fewer filters.")).to_be_visible()

    person_url = f"{base_url}/people/{data.jade.uuid}/"
    page.goto(person_url)
    partner_checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Jade Ownteam")
    page.get_by_role("link", name="Flag a concern").click()
    page.wait_for_url(f"{person_url}concern-flags/")
    partner_checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Flag a concern")
    page.get_by_label("School attendance").check()
    submit(page, partner_checks, "Flag the concern", person_url)
    expect(success_banner(page)).to_contain_text("Concern flagged for Jade Ownteam.")

    nav(page, partner_checks, "My referrals", f"{base_url}/referrals/")
    expect(page.get_by_text("You have not referred anyone to the MASH through this service.")).to_be_visible()
    partner_context.close()

    # 2. A MASH screener: the duplicate and withdraw pages, the filtered inbox, then the empty inbox.
    screener_context, page, screener_checks = signed_in_page(browser, base_url, data.screener)
    withdraw_url = f"{base_url}/mash/contacts/{data.to_withdraw.uuid}/"
    page.goto(f"{base_url}/mash/?rag=red")
    screener_checks.check()
    expect(page.locator("details.govuk-details")).to_have_attribute("open", "")
    rows = page.get_by_role("table", name="Contacts to screen and decide").locator("tbody").get_by_role("row")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name=data.to_withdraw.reference).click()
    page.wait_for_url(withdraw_url)
    screener_checks.check()

    page.get_by_role("link", name="Close as a duplicate").click()
    page.wait_for_url(f"{withdraw_url}duplicate/")
    screener_checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close as a duplicate")
    page.get_by_role("link", name="Back").click()
    page.wait_for_url(withdraw_url)

    page.get_by_role("link", name="Withdraw", exact=True).click()
    page.wait_for_url(f"{withdraw_url}withdraw/")
    screener_checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw the contact")
    page.get_by_label("Why?").fill("The school withdrew the concern: Leo was ill, and has now recovered.")
    submit(page, screener_checks, "Withdraw", withdraw_url)
    expect(success_banner(page)).to_contain_text("The contact is withdrawn.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Withdrawn")

    nav(page, screener_checks, "MASH inbox", f"{base_url}/mash/")
    expect(page.get_by_text("There are no open contacts.")).to_be_visible()
    screener_context.close()

    # 3. A MASH manager records children's social care's reference for the step-up; the contact closes.
    manager_context, page, manager_checks = signed_in_page(browser, base_url, data.mash_manager)
    contact_url = f"{base_url}/mash/contacts/{data.stepped_up.uuid}/"
    page.goto(contact_url)
    manager_checks.check()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decided")
    expect(page.locator("h2:text-is('Decision') + dl")).to_contain_text("Children's social care assessment")
    page.get_by_role("button", name="Record the reference").click()
    page.wait_for_url(f"{contact_url}transfer/")
    manager_checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Children's social care reference")
    page.get_by_label("Children's social care reference").fill("CSC-204817")
    submit(page, manager_checks, "Save the reference", contact_url)
    expect(success_banner(page)).to_contain_text("Children's social care reference recorded. The contact is closed.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Closed")
    expect(page.get_by_text("CSC-204817")).to_be_visible()
    manager_context.close()

    for page_checks in (partner_checks, screener_checks, manager_checks):
        page_checks.assert_clean()

    # What the pages showed is what was saved.
    assert ConcernFlag.objects.get(person=data.jade).raised_by == data.partner
    data.to_withdraw.refresh_from_db()
    assert data.to_withdraw.status == Contact.Status.WITHDRAWN
    data.stepped_up.refresh_from_db()
    assert data.stepped_up.status == Contact.Status.CLOSED
    assert data.stepped_up.transfers.get().external_reference == "CSC-204817"
