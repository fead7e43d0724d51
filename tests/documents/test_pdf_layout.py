"""A family plan PDF looks the same, page by page, as the saved reference images: a moved block, a lost footer
or a new page break fails the test.

The plan is fixed in every detail that reaches the page: names, family reference, dates (the clock is frozen, so
"made on" and due dates never change), goals with their scaling history and actions, and the Team Around the
Family. It is rendered through the real path (`document_request`, the eager worker, the stored file). Each page is
turned into a 50 dpi grey PNG with Debian's `pdftoppm` and compared with `tests/documents/reference/plan-<n>.png`:
same number of pages, same size, and within a small tolerance (see MAX_MEAN_DIFFERENCE and MAX_CHANGED_SHARE).
On a failure the actual page and a diff image (changed pixels dark on white) are written to the test's tmp dir,
named in the assertion message.

When a layout change is intended (print.css or a template in templates/pdf/ changed, and the kind's version was
bumped), look at the new pages and write them as the references with:

    UPDATE_PDF_REFERENCES=1 .venv/bin/python -m pytest tests/documents/test_pdf_layout.py

then commit tests/documents/reference/. The test skips after writing them, so a run with the variable set never
passes by accident. The pages use the system's DejaVu Sans (fonts-dejavu-core, installed by .ci/run).
"""

import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image, ImageChops

from cases.models import Action, FamilyMember, FamilyPlan, Goal, TafMeeting
from documents.models import DocumentRequest
from documents.services import document_request
from locality.models import Agency
from tests.factories import (
    ActionFactory,
    AgencyFactory,
    AllocatedEpisodeFactory,
    FamilyFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    GoalScoreFactory,
    PersonFactory,
    TafMeetingFactory,
    TafMemberFactory,
    UserFactory,
)

REFERENCE_DIR = Path(__file__).parent / "reference"
UPDATE_REFERENCES = os.environ.get("UPDATE_PDF_REFERENCES") == "1"

RESOLUTION = 50  # dots per inch: an A4 page is 414 x 585 pixels, 10 to 30 kB as a grey PNG
# A page matches when the mean absolute difference is under 1% of full scale and under 0.3% of its pixels changed
# by more than a quarter of full scale. The same render is pixel-identical from run to run; the slack is for a
# different Poppler or FreeType. Measured on this plan: 1 mm more above each h2 changes 3.4% to 5.9% of the pixels
# of the pages it moves, 0.5 mm under a goal's scale line 2.8% to 9.3%, 1 mm more cell padding 0.6% to 1.6%.
# A lost footer changes only 0.03%, so the page text is checked for it instead.
MAX_MEAN_DIFFERENCE = 0.01 * 255
CHANGED_BY = 64
MAX_CHANGED_SHARE = 0.003

MADE_AT = datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Europe/London"))


def _fixed_plan(*, lead, council, local_area_team) -> FamilyPlan:
    """An agreed plan with four goals, their scaling history and actions, two TAF members and two meetings held.
    Every value that is printed is spelt out here."""
    family = FamilyFactory(reference="EH-LAYOUT01", name="Fairweather", local_area_team=local_area_team)
    mother = PersonFactory(first_name="Rowan", last_name="Fairweather", date_of_birth=date(1990, 5, 14))
    son = PersonFactory(first_name="Alder", last_name="Fairweather", date_of_birth=date(2015, 9, 3))
    daughter = PersonFactory(first_name="Hazel", last_name="Fairweather", date_of_birth=date(2019, 1, 22))
    FamilyMemberFactory(family=family, person=mother, role=FamilyMember.Role.PARENT)
    FamilyMemberFactory(family=family, person=son, role=FamilyMember.Role.CHILD)
    FamilyMemberFactory(family=family, person=daughter, role=FamilyMember.Role.CHILD)

    school = AgencyFactory(name="Layout Lane Primary School", type=Agency.Type.SCHOOL)
    health = AgencyFactory(name="Layout Health Visiting Service", type=Agency.Type.HEALTH)
    teacher = UserFactory(full_name="Tess Teacher", agency=school)
    visitor = UserFactory(full_name="Hal Visitor", agency=health)

    episode = AllocatedEpisodeFactory(
        family=family, lead_practitioner=lead, lead_agency=council, next_review_due=date(2026, 4, 21)
    )
    TafMemberFactory(episode=episode, user=teacher, agency=school, role="Class teacher", invited_by=lead)
    TafMemberFactory(episode=episode, user=visitor, agency=health, role="Health visitor", invited_by=lead)
    initial = TafMeetingFactory(
        episode=episode, kind=TafMeeting.Kind.INITIAL, status=TafMeeting.Status.HELD, held_on=date(2026, 1, 20)
    )
    review = TafMeetingFactory(
        episode=episode, kind=TafMeeting.Kind.REVIEW, status=TafMeeting.Status.HELD, held_on=date(2026, 3, 3)
    )

    plan = FamilyPlanFactory(
        episode=episode,
        created_by=lead,
        status=FamilyPlan.Status.AGREED,
        agreed_on=date(2026, 1, 20),
        agreed_by=lead,
        family_agreed=True,
        summary=(
            "Mornings are calm and the children get to school on time. Rowan has support with the rent arrears,\n"
            "and Hazel's speech is checked before she starts school."
        ),
    )
    goals = [
        (
            son,
            "Alder is at school by 8:50 every day for six weeks running",
            (3, 8),
            [(date(2026, 1, 20), 3, initial, "Late four days in ten"), (date(2026, 3, 3), 6, review, "Late twice")],
        ),
        (
            mother,
            "Rowan agrees a plan with the landlord to clear the rent arrears by the summer",
            (2, 7),
            [(date(2026, 1, 20), 2, initial, "Letter from the landlord"), (date(2026, 2, 12), 4, None, "")],
        ),
        (
            daughter,
            "Hazel's speech and language is assessed and the advice is used at home every day",
            (4, 9),
            [(date(2026, 1, 20), 4, initial, "")],
        ),
        (
            None,
            "The family eats together at least four evenings a week",
            (5, 8),
            [(date(2026, 1, 20), 5, initial, "Mostly at weekends"), (date(2026, 3, 3), 7, review, "")],
        ),
    ]
    for position, (person, text, (baseline, target), scores) in enumerate(goals):
        goal = GoalFactory(
            plan=plan,
            person=person,
            text=text,
            baseline=baseline,
            target=target,
            latest=scores[-1][1],
            position=position,
        )
        for scored_on, score, meeting, comment in scores:
            GoalScoreFactory(
                goal=goal, score=score, scored_on=scored_on, meeting=meeting, comment=comment, recorded_by=lead
            )
    goal_list = list(plan.goals.order_by("position"))
    actions = [
        (goal_list[0], "Agree a morning routine chart with the family", {"owner_user": lead}, date(2026, 1, 30)),
        (goal_list[0], "Set up a place at breakfast club", {"owner_user": teacher}, date(2026, 3, 20)),
        (goal_list[1], "Book an appointment with the housing officer", {"owner_person": mother}, date(2026, 2, 6)),
        (
            goal_list[1],
            "Check entitlement to a discretionary housing payment",
            {"owner_agency": council},
            date(2026, 3, 27),
        ),
        (goal_list[2], "Refer Hazel to speech and language therapy", {"owner_user": visitor}, date(2026, 2, 2)),
        (goal_list[3], "Plan the week's meals together on Sundays", {"owner_person": mother}, date(2026, 3, 15)),
        (None, "Review the plan at the next TAF meeting", {"owner_user": lead}, date(2026, 4, 21)),
    ]
    done = {0: date(2026, 1, 28), 2: date(2026, 2, 5)}
    for index, (goal, what, owner, due_on) in enumerate(actions):
        ActionFactory(
            plan=plan,
            goal=goal,
            what=what,
            due_on=due_on,
            status=Action.Status.DONE if index in done else Action.Status.NOT_STARTED,
            completed_on=done.get(index),
            **{"owner_user": None, **owner},
        )
    assert len(goal_list) == 4 and set(plan.goals.values_list("status", flat=True)) == {Goal.Status.OPEN}
    return plan


def _pages(pdf: Path, into: Path) -> list[Path]:
    """Each page of `pdf` as a grey PNG, in page order."""
    subprocess.run(
        ["pdftoppm", "-r", str(RESOLUTION), "-gray", "-png", str(pdf), str(into / "page")], check=True, timeout=60
    )
    return sorted(into.glob("page-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))


def _difference(expected: Image.Image, actual: Image.Image) -> tuple[float, float, Image.Image]:
    """Mean absolute difference (0 to 255), the share of pixels changed by more than CHANGED_BY, and a diff image
    that shows changed pixels dark on white."""
    diff = ImageChops.difference(expected.convert("L"), actual.convert("L"))
    histogram = diff.histogram()
    pixels = expected.width * expected.height
    mean = sum(value * count for value, count in enumerate(histogram)) / pixels
    changed = sum(histogram[CHANGED_BY + 1 :]) / pixels
    return mean, changed, ImageChops.invert(diff.point(lambda value: min(255, value * 4)))


@pytest.fixture
def rendered_plan(cfs_worker_user, council, lats, django_capture_on_commit_callbacks, tmp_path) -> Path:
    """The fixed plan, asked for by its lead practitioner and rendered by the (eager) worker: the stored PDF."""
    with time_machine.travel(MADE_AT, tick=False):
        plan = _fixed_plan(lead=cfs_worker_user, council=council, local_area_team=lats["tang-hall"])
        with django_capture_on_commit_callbacks(execute=True):
            request = document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
    request.refresh_from_db()
    assert request.status == DocumentRequest.Status.READY, request.error
    pdf = tmp_path / "plan.pdf"
    with request.document.file.open("rb") as stored:
        pdf.write_bytes(stored.read())
    return pdf


def test_plan_pdf_pages_match_the_saved_reference_images(rendered_plan, tmp_path):
    text = subprocess.run(["pdftotext", "-layout", str(rendered_plan), "-"], capture_output=True, text=True).stdout
    assert "Page 1 of" in text, "The footer with the page number is missing from the plan PDF"
    assert "OFFICIAL-SENSITIVE" in text and "EH-LAYOUT01 · made 10 March 2026" in text

    rendered = tmp_path / "rendered"
    rendered.mkdir()
    actual_pages = _pages(rendered_plan, rendered)
    assert actual_pages, "pdftoppm made no pages"

    if UPDATE_REFERENCES:
        REFERENCE_DIR.mkdir(exist_ok=True)
        for old in REFERENCE_DIR.glob("plan-*.png"):
            old.unlink()
        for number, page in enumerate(actual_pages, start=1):
            # pdftoppm writes grey pages as RGB PNGs; one channel holds it all, at a third of the size.
            Image.open(page).convert("L").save(REFERENCE_DIR / f"plan-{number}.png", optimize=True)
        pytest.skip(f"Wrote {len(actual_pages)} reference pages to {REFERENCE_DIR}: look at them, then commit them")

    references = sorted(REFERENCE_DIR.glob("plan-*.png"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    assert references, f"No reference pages in {REFERENCE_DIR}: write them with UPDATE_PDF_REFERENCES=1"
    assert len(actual_pages) == len(references), (
        f"The plan has {len(actual_pages)} pages, the reference {len(references)}: the pages are in {rendered}"
    )

    failures = []
    for number, (reference, page) in enumerate(zip(references, actual_pages, strict=True), start=1):
        expected, actual = Image.open(reference), Image.open(page)
        if expected.size != actual.size:
            failures.append(f"page {number} is {actual.size}, the reference {expected.size}: {page}")
            continue
        mean, changed, diff = _difference(expected, actual)
        if mean > MAX_MEAN_DIFFERENCE or changed > MAX_CHANGED_SHARE:
            kept = tmp_path / f"actual-{number}.png"
            shutil.copy(page, kept)
            diff.save(tmp_path / f"diff-{number}.png")
            failures.append(
                f"page {number}: mean difference {mean / 255:.2%}, {changed:.2%} of pixels changed; "
                f"actual {kept}, diff {tmp_path / f'diff-{number}.png'}, reference {reference}"
            )
    assert not failures, "The plan PDF no longer matches its reference pages:\n" + "\n".join(failures)
