"""A worker completes an Early Help Assessment over two sittings; a manager returns it, then authorises it.

Drives Debian's Chromium through Playwright against pytest-django's live server, reusing the helpers of
test_family_journey. Every page visited is checked with axe-core (no serious or critical violations) and
for Content Security Policy violations reported on the console.
"""

import importlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.utils import timezone

from assessments.models import AssessmentSection, EarlyHelpAssessment
from cases.models import FamilyMember, Task
from earlyhelp.core.roles import roles_sync
from locality.models import Agency, LocalAreaTeam
from locality.services import membership_add
from tests.e2e.test_family_journey import PageChecks, _async_unsafe_allowed, browser, sign_in
from tests.factories import (
    PASSWORD,
    AgencyFactory,
    ConsentRecordFactory,
    FamilyFactory,
    FamilyMemberFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e]

__all__ = ["_async_unsafe_allowed", "browser"]  # fixtures, imported so pytest finds them here

FAMILY_URL = re.compile(r"/families/[0-9a-f-]+/$")
SUMMARY_URL = re.compile(r"/assessments/[0-9a-f-]+/$")
ASSESSMENT = "Early Help Assessment 1"
RETURN_COMMENTS = "Say more about how the children get to school."


@pytest.fixture
def assessment_journey(_async_unsafe_allowed, live_server):
    """York's reference data put back after the flush; a Tang Hall worker and manager, and a Tang Hall family
    of a parent and an eight-year-old who have consented to take part and to have their information stored."""
    importlib.import_module("locality.migrations.0002_york_local_area_teams").add_teams(apps, None)
    importlib.import_module("consent.migrations.0002_lawful_basis_and_first_privacy_notice").add(apps, None)
    roles_sync()
    tang_hall = LocalAreaTeam.objects.get(slug="tang-hall")

    council = AgencyFactory(name="City of York Council (test)", type=Agency.Type.LOCAL_AUTHORITY)
    worker = UserFactory(full_name="Chris Worker", job_title="Child and family support worker", agency=council)
    membership_add(user=worker, team=TeamFactory(agency=council, local_area_team=tang_hall), role="cfs_worker")
    manager = UserFactory(full_name="Morgan Manager", job_title="Local Area Team manager", agency=council)
    membership_add(user=manager, team=TeamFactory(agency=council, local_area_team=tang_hall), role="lat_manager")

    family = FamilyFactory(name="Ellison", local_area_team=tang_hall)
    parent = FamilyMemberFactory(
        family=family,
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
        person__first_name="Sam",
        person__last_name="Ellison",
        person__date_of_birth=timezone.localdate() - timedelta(days=35 * 365),
    )
    child = FamilyMemberFactory(
        family=family,
        role=FamilyMember.Role.CHILD,
        person__first_name="Kai",
        person__last_name="Ellison",
        person__date_of_birth=timezone.localdate() - timedelta(days=8 * 365 + 100),  # 8, whatever the leap years
    )
    ConsentRecordFactory(family=family, status="given", engage=True, store=True)
    return SimpleNamespace(worker=worker, manager=manager, family=family, parent=parent.person, child=child.person)


def signed_in_page(browser, base_url: str, user) -> tuple:
    """A new browser context (a separate sitting: no cookies shared) with `user` signed in."""
    context = browser.new_context()
    page = context.new_page()
    checks = PageChecks(page)
    sign_in(page, checks, base_url, email=user.email, password=PASSWORD)
    return context, page, checks


def open_assessment_from_family(page, checks: PageChecks, family_url: str) -> None:
    page.goto(family_url)
    checks.check()
    page.get_by_role("link", name=ASSESSMENT, exact=True).click()
    page.wait_for_url(SUMMARY_URL)
    checks.check()


def task_status(page, title: str):
    """The status cell of a section's row on the task list."""
    row = page.locator(".govuk-task-list__item").filter(has=page.get_by_role("link", name=title, exact=True))
    return row.locator(".govuk-task-list__status")


def open_section(page, checks: PageChecks, title: str) -> None:
    page.get_by_role("link", name=title, exact=True).click()
    page.wait_for_url(re.compile(r"/sections/[a-z_]+/([0-9a-f-]+/)?$"))
    checks.check()


def save_section(page, checks: PageChecks, *, complete: bool = True) -> None:
    """Press one of the section's save buttons; the worker goes back to the task list."""
    button = "Save and mark as completed" if complete else "Save and come back later"
    page.get_by_role("button", name=button).click()
    page.wait_for_url(SUMMARY_URL)
    checks.check()


def fill_answers(page, answers: dict[str, str], choices: dict[str, str] | None = None) -> None:
    """Type `answers` into the textareas and text inputs they name; check the radio `choices` (name: value)."""
    for name, answer in answers.items():
        page.locator(f"[name='{name}']").fill(answer)
    for name, value in (choices or {}).items():
        page.locator(f"input[name='{name}'][value='{value}']").check()


def fill_section(
    page, checks: PageChecks, title: str, answers: dict[str, str] | None = None, choices: dict[str, str] | None = None
) -> None:
    """Open a section from the task list, answer it and mark it completed. Without `answers`, every
    textarea on the page gets a short answer."""
    from playwright.sync_api import expect

    open_section(page, checks, title)
    if answers is None:
        textareas = page.locator("textarea")
        answers = {
            name: f"Notes on {name.replace('_', ' ')}." for name in textareas.evaluate_all("a => a.map(t => t.name)")
        }
        assert answers, f"{title} has no questions"
    fill_answers(page, answers, choices)
    save_section(page, checks)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{title.split(':')[0]} saved and marked as completed."
    )
    expect(task_status(page, title)).to_have_text("Completed")


def expect_error(page, checks: PageChecks, message: str) -> None:
    from playwright.sync_api import expect

    error_summary = page.locator(".govuk-error-summary")
    expect(error_summary).to_be_visible()
    checks.check()
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect(error_summary).to_contain_text(message)


def authorise(page, checks: PageChecks, family_url: str) -> None:
    """A manager opens the assessment from the family page and authorises it."""
    open_assessment_from_family(page, checks, family_url)
    page.get_by_role("button", name="Authorise or return").click()
    page.wait_for_url(re.compile(r"/decision/$"))
    checks.check()
    page.locator("input[name='decision'][value='authorise']").check()
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_url(SUMMARY_URL)
    checks.check()


def test_practitioner_completes_an_assessment_over_two_sittings_and_a_manager_authorises_it(
    live_server, assessment_journey, browser
):
    from playwright.sync_api import expect

    base_url = live_server.url
    journey = assessment_journey
    family_url = f"{base_url}/families/{journey.family.uuid}/"
    child = journey.child.full_name
    all_checks = []

    # Sitting 1: the worker starts the assessment, completes one section and half-fills another.
    first_sitting, page, checks = signed_in_page(browser, base_url, journey.worker)
    all_checks.append(checks)
    page.goto(family_url)
    checks.check()
    expect(page.get_by_text("No assessment yet.")).to_be_visible()
    page.get_by_role("button", name="Start an assessment").click()
    page.wait_for_url(re.compile(r"/assessments/new/$"))
    checks.check()
    subjects = page.locator("input[name='subjects']")
    expect(subjects).to_have_count(2)
    for index in range(2):
        expect(subjects.nth(index)).to_be_checked()
    expect(page.locator("input[name='started_on_2']")).to_have_value(str(timezone.localdate().year))
    page.get_by_role("button", name="Start the assessment").click()
    page.wait_for_url(SUMMARY_URL)
    checks.check()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"{ASSESSMENT} started.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft")
    expect(page.get_by_role("heading", name="11 sections still to complete")).to_be_visible()
    expect(task_status(page, f"Voice of the child: {child}")).to_have_text("Not yet started")

    fill_section(
        page,
        checks,
        "Reason for the assessment",
        {"reason": "School is worried about attendance.", "family_view": "Sam says the move has been hard."},
    )
    open_section(page, checks, "Household and network")
    page.locator("textarea[name='household']").fill("Sam and Kai live together in a two-bedroom flat.")
    save_section(page, checks, complete=False)
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Household and network saved.")
    expect(task_status(page, "Household and network")).to_have_text("In progress")
    expect(page.get_by_role("heading", name="10 sections still to complete")).to_be_visible()

    page.get_by_role("navigation", name="Menu").get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/sign-in/"))
    checks.check()
    first_sitting.close()

    # Sitting 2: a fresh browser, signed in again; the half-filled section is as the worker left it.
    worker_context, page, checks = signed_in_page(browser, base_url, journey.worker)
    all_checks.append(checks)
    open_assessment_from_family(page, checks, family_url)
    expect(task_status(page, "Reason for the assessment")).to_have_text("Completed")
    expect(task_status(page, "Household and network")).to_have_text("In progress")
    open_section(page, checks, "Household and network")
    expect(page.locator("textarea[name='household']")).to_have_value("Sam and Kai live together in a two-bedroom flat.")
    page.locator("textarea[name='network']").fill("Kai's grandmother helps after school.")
    save_section(page, checks)
    expect(task_status(page, "Household and network")).to_have_text("Completed")

    # Submitting too soon is refused, naming what is left.
    page.get_by_role("button", name="Submit the assessment").click()
    page.wait_for_url(re.compile(r"/submit/$"))
    expect_error(page, checks, "Complete every section before submitting")
    expect(page.locator(".govuk-error-summary")).to_contain_text(f"Voice of the child ({child})")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Draft")

    fill_section(page, checks, f"Development: {child}")

    # The child is 8: their words, or why they could not be recorded, are needed to complete the section.
    open_section(page, checks, f"Voice of the child: {child}")
    expect(page.get_by_text(f"{child} is 8.")).to_be_visible()
    fill_answers(page, {"how_gathered": "Talked with Kai at school."}, {"seen": "yes", "seen_alone": "yes"})
    page.get_by_role("button", name="Save and mark as completed").click()
    expect_error(page, checks, f"{child} is 8: record what they said, or say why their voice could not be recorded")
    expect(page.locator("textarea[name='how_gathered']")).to_have_value("Talked with Kai at school.")
    expect(page.locator("input[name='seen_alone'][value='yes']")).to_be_checked()
    page.locator("textarea[name='words']").fill("I miss my old school but I like my new teacher.")
    save_section(page, checks)
    expect(task_status(page, f"Voice of the child: {child}")).to_have_text("Completed")

    for title in (
        "Parenting capacity",
        "Family and environment",
        "Parents' and carers' views",
        "What is working well and what we are worried about",
    ):
        fill_section(page, checks, title)

    # Scaling: a score outside 0 to 10 is refused.
    open_section(page, checks, "Scaling by each participant")
    scores = {
        "score_practitioner": "11",
        "note_practitioner": "Things are improving.",
        f"score_{journey.parent.uuid}": "5",
        f"note_{journey.parent.uuid}": "Getting there.",
        f"score_{journey.child.uuid}": "6",
        f"note_{journey.child.uuid}": "School is OK.",
    }
    fill_answers(page, scores)
    page.get_by_role("button", name="Save and mark as completed").click()
    expect_error(page, checks, "Enter a score from 0 to 10")
    page.locator("input[name='score_practitioner']").fill("4")
    save_section(page, checks)
    expect(task_status(page, "Scaling by each participant")).to_have_text("Completed")

    fill_section(
        page,
        checks,
        "Analysis and level of need",
        {"analysis": "The move has unsettled the family."},
        {"level_of_need": "3", "pathway": "partner_led"},
    )

    # Identified needs: add one for the whole family, then mark the section completed.
    page.get_by_role("link", name="Identified needs", exact=True).click()
    page.wait_for_url(re.compile(r"/needs/$"))
    checks.check()
    expect(page.get_by_text("No needs added yet.")).to_be_visible()
    page.locator("select[name='headline']").select_option("housing")
    expect(page.locator("select[name='person']")).to_have_value("")  # the whole family
    page.locator("textarea[name='description']").fill("The flat is too small and damp.")
    page.get_by_role("button", name="Add the need").click()
    page.wait_for_url(re.compile(r"/needs/$"))
    checks.check()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Need added.")
    expect(page.get_by_role("main").get_by_role("listitem")).to_contain_text(
        "Secure housing (whole family): The flat is too small and damp."
    )
    page.get_by_role("button", name="Mark identified needs as completed").click()
    page.wait_for_url(SUMMARY_URL)
    checks.check()
    expect(task_status(page, "Identified needs")).to_have_text("Completed")
    expect(page.get_by_role("heading", name="Every section is complete")).to_be_visible()

    expect(page.locator("input[name='completed_on_2']")).to_have_value(str(timezone.localdate().year))
    page.get_by_role("button", name="Submit the assessment").click()
    page.wait_for_url(SUMMARY_URL)
    checks.check()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"{ASSESSMENT} submitted.")
    expect(page.get_by_role("heading", level=1).locator(".govuk-tag")).to_have_text("Submitted")

    # The manager finds the task on the home page and returns the assessment: a comment is needed.
    manager_context, manager_page, manager_checks = signed_in_page(browser, base_url, journey.manager)
    all_checks.append(manager_checks)
    tasks = manager_page.get_by_role("heading", name="Your tasks").locator("xpath=following-sibling::ul[1]")
    expect(tasks).to_contain_text(f"Ellison family: Authorise or return {ASSESSMENT}")
    tasks.get_by_role("link", name="Ellison family").click()
    manager_page.wait_for_url(family_url)
    manager_checks.check()
    manager_page.get_by_role("link", name=ASSESSMENT, exact=True).click()
    manager_page.wait_for_url(SUMMARY_URL)
    manager_checks.check()
    expect(manager_page.get_by_text("Secure housing (whole family): The flat is too small and damp.")).to_be_visible()
    manager_page.get_by_role("button", name="Authorise or return").click()
    manager_page.wait_for_url(re.compile(r"/decision/$"))
    manager_checks.check()
    manager_page.get_by_label("Return it for changes").check()
    manager_page.get_by_role("button", name="Save decision").click()
    expect_error(manager_page, manager_checks, "Say what needs to change")
    manager_page.locator("textarea[name='comments']").fill(RETURN_COMMENTS)
    manager_page.get_by_role("button", name="Save decision").click()
    manager_page.wait_for_url(SUMMARY_URL)
    manager_checks.check()
    expect(manager_page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"{ASSESSMENT} returned for changes."
    )

    # The worker sees why it came back, and re-submits: the sections stay completed.
    page.goto(f"{base_url}/")
    checks.check()
    returned = f"{ASSESSMENT} for the Ellison family was returned for changes by Morgan Manager."
    page.get_by_role("link", name=returned).click()
    page.wait_for_url(SUMMARY_URL)
    checks.check()
    expect(page.get_by_role("heading", level=1).locator(".govuk-tag")).to_have_text("Returned for changes")
    expect(page.locator(".govuk-inset-text")).to_contain_text(
        f"Returned for changes by Morgan Manager: {RETURN_COMMENTS}"
    )
    expect(page.get_by_role("heading", name="Every section is complete")).to_be_visible()
    page.get_by_role("button", name="Submit the assessment").click()
    page.wait_for_url(SUMMARY_URL)
    checks.check()
    expect(page.get_by_role("heading", level=1).locator(".govuk-tag")).to_have_text("Submitted")

    # The manager authorises it.
    authorise(manager_page, manager_checks, family_url)
    expect(manager_page.locator(".govuk-notification-banner--success")).to_contain_text(f"{ASSESSMENT} authorised.")
    expect(manager_page.get_by_role("heading", level=1).locator(".govuk-tag")).to_have_text("Authorised")
    expect(manager_page.get_by_role("button", name="Authorise or return")).to_have_count(0)

    # The worker is told, and the assessment is now read-only, with the need listed.
    page.goto(f"{base_url}/")
    checks.check()
    authorised = f"{ASSESSMENT} for the Ellison family was authorised by Morgan Manager."
    page.get_by_role("link", name=authorised).click()
    page.wait_for_url(SUMMARY_URL)
    checks.check()
    expect(page.get_by_role("heading", level=1).locator(".govuk-tag")).to_have_text("Authorised")
    expect(page.locator(".govuk-task-list")).to_have_count(0)
    expect(page.get_by_role("button", name="Submit the assessment")).to_have_count(0)
    expect(page.get_by_text("Secure housing (whole family): The flat is too small and damp.")).to_be_visible()
    expect(page.get_by_text("I miss my old school but I like my new teacher.")).to_be_visible()
    expect(page.get_by_text("4 out of 10: Things are improving.")).to_be_visible()
    expect(page.get_by_text("These identified needs are ready to become goals")).to_be_visible()

    manager_context.close()
    worker_context.close()
    for page_checks in all_checks:
        page_checks.assert_clean()

    # What the pages showed is what was saved.
    assessment = EarlyHelpAssessment.objects.get(family=journey.family)
    assert assessment.status == EarlyHelpAssessment.Status.AUTHORISED
    assert assessment.assessor == journey.worker
    assert assessment.decided_by == journey.manager
    assert assessment.completed_on == timezone.localdate()
    assert assessment.level_of_need == EarlyHelpAssessment.Level.TARGETED
    assert assessment.pathway == EarlyHelpAssessment.Pathway.PARTNER_LED
    assert set(assessment.sections.values_list("status", flat=True)) == {AssessmentSection.Status.COMPLETED}
    household = assessment.sections.get(key="household")
    assert household.answers["household"] == "Sam and Kai live together in a two-bedroom flat."
    voice = assessment.sections.get(key="voice", person=journey.child)
    assert voice.answers["seen_alone"] == "yes"
    assert sorted((s.person_id is None, s.score) for s in assessment.scalings.all()) == [
        (False, 5),
        (False, 6),
        (True, 4),
    ]
    assert list(assessment.needs.values_list("headline", "person")) == [("housing", None)]
    assert not Task.objects.filter(family=journey.family, status=Task.Status.OPEN).exists()
