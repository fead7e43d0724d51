"""Journey 4 (documents): a Local Area Team manager prints a family's agreed plan as a PDF and exports their team's
open plans as a ZIP.

The Tang Hall manager opens the Ashworth family's agreed plan from the family's page, presses "Create a PDF", follows
the request page until the document is ready (Celery runs in-process in tests, so it is ready at once or after one
refresh), downloads it and finds the plan's goals, its action and the OFFICIAL-SENSITIVE marking in its text
(`pdftotext`, from Debian's poppler-utils). Then they export the team's open plans and download the ZIP, which holds
that plan's PDF. Drives Debian's Chromium through Playwright against pytest-django's live server, with the personas of
tests/conftest.py; every page visited is checked with axe-core (no serious or critical violations) and for Content
Security Policy violations reported on the console.
"""

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

from cases.models import FamilyMember, FamilyPlan
from consent.models import DisclosureLog
from documents.models import DocumentRequest
from earlyhelp.audit.models import AccessEvent
from locality.models import LocalAreaTeam
from tests.conftest import require_service
from tests.e2e.test_assessment_journey import signed_in_page
from tests.e2e.test_family_journey import PageChecks, _async_unsafe_allowed, browser
from tests.e2e.test_referral_journey import submit, success_banner, york
from tests.e2e.test_support_journey import follow
from tests.factories import (
    ActionFactory,
    AllocatedEpisodeFactory,
    FamilyFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    GoalScoreFactory,
)

pytestmark = [pytest.mark.e2e]

__all__ = ["_async_unsafe_allowed", "browser", "york"]  # fixtures, imported so pytest finds them here

REQUEST_URL = re.compile(r"/documents/[0-9a-f-]+/$")
PLAN_URL = re.compile(r"/plans/[0-9a-f-]+/$")
EPISODE_URL = re.compile(r"/episodes/[0-9a-f-]+/$")
# The request page reloads itself every few seconds while the document is made; in-process Celery has it ready at
# once, so a few looks are plenty.
LOOKS = 5

GOAL_SCHOOL = "Leo is at Fishergate Primary by 8:45 every school day, 95% attendance by the end of term."
GOAL_HOME = "The family keeps to a weekly budget and the gas arrears are cleared within 10 weeks."
ACTION = "Jade phones the energy supplier about a repayment plan."


@pytest.fixture
def document_journey(york, lat_manager_user, cfs_worker_user):
    """A Tang Hall family (a parent and a child) with open early help led by a worker of the team, and its agreed
    plan: two goals, one scored since, and an action for the parent."""
    team = LocalAreaTeam.objects.get(slug="tang-hall")
    family = FamilyFactory(name="Ashworth", local_area_team=team)
    parent = FamilyMemberFactory(
        family=family,
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
        person__first_name="Jade",
        person__last_name="Ashworth",
    ).person
    child = FamilyMemberFactory(
        family=family, role=FamilyMember.Role.CHILD, person__first_name="Leo", person__last_name="Ashworth"
    ).person
    episode = AllocatedEpisodeFactory(family=family, lead_practitioner=cfs_worker_user)
    plan = FamilyPlanFactory(
        episode=episode,
        family=family,
        status=FamilyPlan.Status.AGREED,
        agreed_on=timezone.localdate(),
        agreed_by=cfs_worker_user,
        family_agreed=True,
        created_by=cfs_worker_user,
    )
    school = GoalFactory(plan=plan, person=child, text=GOAL_SCHOOL, baseline=4, target=8, latest=6, position=1)
    GoalFactory(plan=plan, person=None, text=GOAL_HOME, baseline=3, target=8, latest=3, position=2)
    GoalScoreFactory(goal=school, score=6, recorded_by=cfs_worker_user, comment="Late once this week")
    ActionFactory(plan=plan, goal=school, what=ACTION, owner_user=None, owner_person=parent)
    return SimpleNamespace(manager=lat_manager_user, team=team, family=family, plan=plan)


def wait_until_ready(page, checks: PageChecks) -> None:
    """Look at the request page until the document is ready, as a person would (the page also reloads itself)."""
    from playwright.sync_api import expect

    ready = page.get_by_role("heading", name="Your document is ready")
    for _ in range(LOOKS):
        if ready.count():
            break
        expect(page.get_by_role("status")).to_contain_text(re.compile(r"Queued|Being created"))
        page.get_by_role("link", name="Check now").click()
        page.wait_for_url(REQUEST_URL)
        checks.check()
    expect(ready).to_be_visible()


def download(page, link_name: str, folder: Path) -> Path:
    """Click a download link and keep the file under the name the service gave it."""
    with page.expect_download() as started:
        page.get_by_role("link", name=link_name).click()
    file = started.value
    assert file.failure() is None, file.failure()
    target = folder / file.suggested_filename
    file.save_as(target)
    return target


def pdf_text(path: Path) -> str:
    """The PDF's text in reading order (a table cell's lines stay together), pages separated by form feeds."""
    result = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return result.stdout


def flat(text: str) -> str:
    """Text with every run of white space as one space, so a goal wrapped over two lines still matches."""
    return " ".join(text.split())


def test_manager_prints_a_familys_plan_and_exports_the_teams_open_plans(
    live_server, document_journey, browser, tmp_path
):
    from playwright.sync_api import expect

    require_service(shutil.which("pdftotext") is not None, "poppler-utils is not installed (apt-get install it)")
    journey = document_journey
    family, plan, manager = journey.family, journey.plan, journey.manager
    base_url = live_server.url
    context, page, checks = signed_in_page(browser, base_url, manager)
    context.set_default_timeout(60_000)  # in-process Celery renders the PDF inside the request that asks for it

    # From the family's page to its episode and the agreed plan.
    page.goto(f"{base_url}/families/{family.uuid}/")
    checks.check()
    follow(page, checks, page.get_by_role("link", name="Targeted early help, Tang Hall"), EPISODE_URL)
    follow(page, checks, page.get_by_role("link", name=str(plan)), f"{base_url}/plans/{plan.uuid}/")
    expect(page.get_by_role("heading", name=re.compile(r"^Goal 1: for Leo Ashworth"))).to_be_visible()

    # Create a PDF: the request page shows its progress, then offers the download.
    submit(page, checks, "Create a PDF of this plan", REQUEST_URL)
    expect(success_banner(page)).to_contain_text("Your family plan PDF has been requested. It is being created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Family plan")
    wait_until_ready(page, checks)
    expect(page.get_by_text("OFFICIAL-SENSITIVE").first).to_be_visible()
    pdf = download(page, "Download the PDF", tmp_path)
    assert pdf.name == f"plan-{family.reference}-{timezone.localdate():%Y-%m-%d}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = flat(pdf_text(pdf))
    for expected in (GOAL_SCHOOL, GOAL_HOME, ACTION, "OFFICIAL-SENSITIVE", family.reference, "Leo Ashworth"):
        assert expected in text, f"{expected!r} is not in the PDF's text:\n{text}"
    assert re.search(r"Page 1 of \d+", text, re.IGNORECASE), text

    # The family's documents list it, ready, for this manager.
    follow(
        page,
        checks,
        page.get_by_role("link", name="Back to the family's documents"),
        f"{base_url}/families/{family.uuid}/documents/",
    )
    documents = page.get_by_role("table", name="Documents you asked for, newest first")
    row = documents.get_by_role("row").filter(has=page.get_by_role("link", name="Family plan"))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(2)).to_have_text("Ready")

    # The team's open plans, as one ZIP.
    team_url = f"{base_url}/teams/{journey.team.uuid}/open-plans/"
    page.goto(f"{base_url}/work/team/caseload/")
    checks.check()
    page.get_by_role("link", name="Export the open plans of Tang Hall").click()
    expect(page).to_have_url(team_url)
    checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export the team's open plans")
    expect(page.get_by_text("There is 1 open plan now.")).to_be_visible()
    expect(page.get_by_text("You have not exported this team's plans before.")).to_be_visible()
    submit(page, checks, "Export the open plans", REQUEST_URL)
    expect(success_banner(page)).to_contain_text("The open plans of Tang Hall have been requested.")
    wait_until_ready(page, checks)
    archive_path = download(page, "Download the ZIP file", tmp_path)
    with zipfile.ZipFile(archive_path) as archive:
        names = archive.namelist()
        assert sorted(names) == sorted(["contents.txt", pdf.name]), names
        contents = archive.read("contents.txt").decode()
        (tmp_path / "from-zip.pdf").write_bytes(archive.read(pdf.name))
    assert contents.startswith("OFFICIAL-SENSITIVE\n"), contents
    assert "1 of 1 plans included." in contents, contents
    assert f"{family.reference}: {pdf.name}" in contents, contents
    assert GOAL_SCHOOL in flat(pdf_text(tmp_path / "from-zip.pdf"))

    # Back on the export page, the export is listed as done.
    follow(page, checks, page.get_by_role("link", name="Back to Tang Hall's open plans"), team_url)
    exports = page.get_by_role("table", name="Your earlier exports, newest first")
    expect(exports.locator("tbody").get_by_role("row")).to_have_count(1)
    expect(exports.locator("tbody").get_by_role("cell").nth(1)).to_have_text("Ready")
    expect(exports.locator("tbody").get_by_role("cell").nth(2)).to_have_text("1 of 1")

    # What the service recorded: two documents, each downloaded once, each download an export in the access log and
    # a disclosure to the manager as staff of the team that holds the record.
    requests = DocumentRequest.objects.filter(requested_by=manager)
    assert sorted(requests.values_list("kind", "status")) == [("plan", "ready"), ("team_plans", "ready")]
    assert AccessEvent.objects.filter(user=manager, action=AccessEvent.Action.EXPORT).count() == 2
    disclosures = DisclosureLog.objects.filter(family=family, recipient_user=manager)
    assert sorted(disclosures.values_list("what", "basis")) == [
        ("Family plan as a PDF", DisclosureLog.Basis.RECORD_HOLDER),
        ("Family plan in a team export (ZIP)", DisclosureLog.Basis.RECORD_HOLDER),
    ]

    checks.assert_clean()
    context.close()
