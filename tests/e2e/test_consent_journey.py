"""A worker records a family's consent to share with schools, then withdraws it; the school loses sight of the family.

Drives Debian's Chromium through Playwright against pytest-django's live server, reusing the helpers of
test_family_journey. Every page visited is checked with axe-core (no serious or critical violations) and
for Content Security Policy violations reported on the console.
"""

import importlib
import re
from datetime import date
from types import SimpleNamespace

import pytest
from django.apps import apps
from guardian.shortcuts import get_perms

from cases.models import FamilyMember, Task
from cases.services import family_access_grant
from consent.models import ConsentRecord
from earlyhelp.core.roles import roles_sync
from locality.models import Agency, LocalAreaTeam
from locality.services import membership_add
from tests.e2e.test_family_journey import PageChecks, _async_unsafe_allowed, browser, sign_in
from tests.factories import PASSWORD, AgencyFactory, FamilyFactory, FamilyMemberFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e]

__all__ = ["_async_unsafe_allowed", "browser"]  # fixtures, imported so pytest finds them here

FAMILY_URL = re.compile(r"/families/[0-9a-f-]+/$")
WITHDRAWN_TASK = "Review the plan: consent was withdrawn"


@pytest.fixture
def consent_journey(_async_unsafe_allowed, live_server):
    """York's reference data put back after the flush; a Tang Hall worker, a family there, and a school's
    partner practitioner already granted sight of the family."""
    importlib.import_module("locality.migrations.0002_york_local_area_teams").add_teams(apps, None)
    importlib.import_module("consent.migrations.0002_lawful_basis_and_first_privacy_notice").add(apps, None)
    roles_sync()
    tang_hall = LocalAreaTeam.objects.get(slug="tang-hall")

    council = AgencyFactory(name="City of York Council (test)", type=Agency.Type.LOCAL_AUTHORITY)
    worker = UserFactory(full_name="Chris Worker", job_title="Child and family support worker", agency=council)
    membership_add(user=worker, team=TeamFactory(agency=council, local_area_team=tang_hall), role="cfs_worker")

    family = FamilyFactory(name="Hartley", local_area_team=tang_hall)
    parent = FamilyMemberFactory(
        family=family,
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
        person__first_name="Dana",
        person__last_name="Hartley",
        person__date_of_birth=date(1988, 5, 9),
    )
    child = FamilyMemberFactory(
        family=family,
        role=FamilyMember.Role.CHILD,
        person__first_name="Riley",
        person__last_name="Hartley",
        person__date_of_birth=date(2016, 9, 21),
    )

    # A practitioner's agency is what consent to share is checked against, so the partner must have one.
    school = AgencyFactory(name="Test Primary School", type=Agency.Type.SCHOOL)
    partner = UserFactory(full_name="Pat Partner", job_title="Designated safeguarding lead", agency=school)
    membership_add(user=partner, team=TeamFactory(agency=school), role="partner_practitioner")
    family_access_grant(family=family, user=partner)

    return SimpleNamespace(worker=worker, partner=partner, family=family, parent=parent, child=child)


def test_worker_takes_consent_and_withdraws_it(live_server, consent_journey, browser):
    from playwright.sync_api import expect

    base_url = live_server.url
    family = consent_journey.family
    family_url = f"{base_url}/families/{family.uuid}/"

    worker_context = browser.new_context()
    page = worker_context.new_page()
    checks = PageChecks(page)
    sign_in(page, checks, base_url, email=consent_journey.worker.email, password=PASSWORD)

    page.goto(family_url)
    checks.check()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hartley family")
    expect(page.get_by_text("No consent has been recorded yet.")).to_be_visible()

    # Record consent: an empty form is refused with the GOV.UK error summary.
    page.get_by_role("button", name="Record consent").click()
    page.wait_for_url(re.compile(r"/consent/new/$"))
    checks.check()
    expect(page.get_by_text("Privacy notice 2026-01 to show the family")).to_be_visible()
    page.get_by_role("button", name="Save consent").click()
    error_summary = page.locator(".govuk-error-summary")
    expect(error_summary).to_be_visible()
    checks.check()
    expect(page).to_have_title(re.compile(r"^Error: Record consent"))
    expect(error_summary).to_contain_text("Select what the family said")
    expect(error_summary).to_contain_text("Choose who gave or refused consent")
    expect(error_summary).to_contain_text("Confirm you showed the family the privacy notice")

    # Everyone in the family is covered unless the worker says otherwise.
    subjects = page.locator("input[name='subjects']")
    expect(subjects).to_have_count(2)
    for index in range(2):
        expect(subjects.nth(index)).to_be_checked()

    page.locator("input[name='decision'][value='given']").check()
    page.locator("select[name='given_by']").select_option(label="Dana Hartley")
    page.locator("input[name='giver_kind'][value='parental_responsibility']").check()
    page.locator("input[name='engage']").check()
    page.locator("input[name='store']").check()
    page.locator("input[name='share_agency_types'][value='school']").check()
    page.locator("input[name='method'][value='written']").check()
    expect(page.locator("input[name='review_on_2']")).not_to_have_value("")  # pre-filled: a year from today
    page.locator("input[name='notice_shown']").check()
    page.get_by_role("button", name="Save consent").click()
    page.wait_for_url(family_url)
    checks.check()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Consent recorded: given.")
    consent_section = page.locator("h2:text-is('Consent and information sharing') + ul")
    expect(consent_section).to_contain_text("Consent given")
    expect(consent_section).to_contain_text("Take part in early help; store information on this system")
    expect(consent_section).to_contain_text("share with School")

    # The school's practitioner, granted the family, can see it while consent covers schools.
    partner_context = browser.new_context()
    partner_page = partner_context.new_page()
    partner_checks = PageChecks(partner_page)
    sign_in(partner_page, partner_checks, base_url, email=consent_journey.partner.email, password=PASSWORD)
    partner_page.goto(family_url)
    partner_checks.check()
    expect(partner_page.get_by_role("heading", level=1)).to_contain_text("Hartley family")
    expect(partner_page.get_by_role("heading", name="Page not found")).to_have_count(0)

    # The worker opens the consent record and withdraws it: a reason is required.
    page.get_by_role("link", name="Consent given").click()
    page.wait_for_url(re.compile(r"/consent/[0-9a-f-]+/$"))
    checks.check()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Given")
    consent_url = page.url
    page.get_by_role("button", name="Withdraw", exact=True).click()
    page.wait_for_url(f"{consent_url}withdraw/")
    checks.check()
    page.get_by_role("button", name="Withdraw consent").click()
    error_summary = page.locator(".govuk-error-summary")
    expect(error_summary).to_be_visible()
    checks.check()
    expect(page).to_have_title(re.compile(r"^Error: Withdraw consent"))
    expect(error_summary).to_contain_text("Say why consent is being withdrawn")

    page.locator("textarea[name='reason']").fill("Dana no longer wants the school to see the family's record.")
    page.get_by_role("button", name="Withdraw consent").click()
    page.wait_for_url(family_url)
    checks.check()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Consent withdrawn. Partners it covered can no longer see the family."
    )
    withdrawn_banner = page.get_by_role("region", name="Consent withdrawn")
    expect(withdrawn_banner).to_contain_text("Do not share their information with other agencies.")
    expect(withdrawn_banner).to_contain_text("Dana no longer wants the school to see the family's record.")
    tasks = page.locator("h2:text-is('Tasks') + ul")
    expect(tasks).to_contain_text(WITHDRAWN_TASK)
    expect(tasks.get_by_role("listitem").filter(has_text=WITHDRAWN_TASK)).to_have_count(2)  # worker and managers
    expect(page.get_by_text("No consent is in force.")).to_be_visible()

    # The school's practitioner has lost sight of the family.
    partner_page.reload()
    partner_checks.check()
    expect(partner_page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(partner_page.get_by_text("Hartley family")).to_have_count(0)

    partner_context.close()
    worker_context.close()
    checks.assert_clean()
    partner_checks.assert_clean()

    # What the pages showed is what was saved.
    consent = ConsentRecord.objects.get(family=family)
    assert consent.status == ConsentRecord.Status.WITHDRAWN
    assert consent.given_by == consent_journey.parent.person
    assert consent.obtained_by == consent_journey.worker
    assert consent.privacy_notice.version == "2026-01"
    assert consent.ended_reason == "Dana no longer wants the school to see the family's record."
    assert sorted(consent.subjects.values_list("person__first_name", flat=True)) == ["Dana", "Riley"]
    assert list(consent.shares.values_list("agency_type", flat=True)) == [Agency.Type.SCHOOL]
    assert Task.objects.filter(family=family, title=WITHDRAWN_TASK).count() == 2
    assert get_perms(consent_journey.partner, family) == []
