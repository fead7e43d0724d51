"""Journey 3: a Child and Family Support worker in the Tang Hall Local Area Team is allocated a family and works with
it for eight weeks and more, with the clock moved on between visits: the plan from the assessment's needs, the Team
Around the Family, a 12-week intervention with weekly sessions, goals scaled, a review, an extension the manager
approves, a case note, the chronology, and closure with the family's feedback, after which the episode is read-only.

Drives Debian's Chromium through Playwright against pytest-django's live server, reusing the helpers of the other
journeys and the personas of tests/conftest.py. The clock is moved with time-machine in the test process; the live
server runs in the same process, so it sees the moved clock (the browser keeps the real one). A session ends after
30 minutes idle, so after each jump the worker and the manager are asked to sign in again and are taken back to the
page they asked for. Every page visited is checked with axe-core (no serious or critical violations) and for Content
Security Policy violations reported on the console.
"""

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from assessments.models import EarlyHelpAssessment
from cases.forms.taf import practitioner_label
from cases.models import (
    CaseNote,
    Closure,
    Episode,
    FamilyMember,
    FamilyPlan,
    GoalScore,
    Intervention,
    InterventionExtension,
    InterventionSession,
    TafMeeting,
    TafMember,
)
from cases.selectors import families_visible_to
from consent.models import ConsentRecord
from locality.models import Agency, LocalAreaTeam
from tests.e2e.test_assessment_journey import signed_in_page
from tests.e2e.test_family_journey import PageChecks, _async_unsafe_allowed, browser, fill_date, second_factor
from tests.e2e.test_referral_journey import expect_errors, nav, submit, success_banner, york
from tests.factories import (
    PASSWORD,
    AssessmentFactory,
    ConsentRecordFactory,
    ConsentShareFactory,
    ConsentSubjectFactory,
    EpisodeFactory,
    FamilyFactory,
    FamilyMemberFactory,
    NeedFactory,
    ScalingFactory,
)

pytestmark = [pytest.mark.e2e]

__all__ = ["_async_unsafe_allowed", "browser", "york"]  # fixtures, imported so pytest finds them here

LONDON = ZoneInfo("Europe/London")
# Monday 2 March 2026: week 1 of the intervention. Its twelve weeks end on the Spring bank holiday (25 May), so the
# planned end is the Friday before; the extension runs to Friday 12 June, within 16 weeks of the start.
START = datetime(2026, 3, 2, 9, 30, tzinfo=LONDON)
PLANNED_END = date(2026, 5, 22)
EXTENDED_END = date(2026, 6, 12)

EPISODE_URL = re.compile(r"/episodes/[0-9a-f-]+/$")
PLAN_URL = re.compile(r"/plans/[0-9a-f-]+/$")
TAF_URL = re.compile(r"/episodes/[0-9a-f-]+/taf/$")
MEETING_URL = re.compile(r"/taf/meetings/[0-9a-f-]+/$")
INTERVENTION_URL = re.compile(r"/interventions/[0-9a-f-]+/$")
NOTE_URL = re.compile(r"/notes/[0-9a-f-]+/$")

ATTENDANCE_NEED = "Mia's attendance has fallen to 84% since the family moved in January."
HOUSING_NEED = "The flat is damp and the family is two months behind with the rent."
GOAL_SCHOOL = "Mia is at school on time every day, reaching 95% attendance by the end of the summer term."
GOAL_HOME = "The flat is dry and the rent arrears are cleared through an agreed repayment plan within 12 weeks."
ACTION = "Dana calls the housing officer about the damp and the repayment plan."
AIMS = "Calm mornings with a routine Mia and Theo know, so Mia gets to school on time."
EXTENSION_REASON = "The repayment plan starts in May; two more fortnightly visits will see the new routine settle."
NOTE_TEXT = "Closing visit with Dana, Mia and Theo. Mia's attendance is 96% this half term; the damp is fixed."
SUMMARY = "Mia is at school every day and on time; the flat is repaired and the arrears are being paid."
FAMILY_COMMENTS = "Dana said the mornings are calmer and she knows who to call if things slip."

WEEKLY_SESSIONS = {  # week of the intervention: (type of session, what was done)
    1: ("home_visit", "Talked through a morning routine with Dana; a chart for the fridge."),
    2: ("school", "Met Mia at school with her teacher; she chose a morning reward."),
    3: ("home_visit", "Routine chart in use four days out of five; bedtimes agreed for Theo."),
    4: ("phone", "Dana called the housing officer with me; a repair visit is booked."),
    5: ("centre", "Parenting session at the children's centre on calm mornings."),
    6: ("home_visit", "Mia on time every day this week; the damp has been treated."),
    7: ("school", "Attendance meeting at school: Mia at 93% this half term."),
    8: ("home_visit", "Repayment plan agreed with the landlord; mornings calm."),
}


def moment(week: int, weekday: int = 2, hour: int = 10) -> datetime:
    """A time in week `week` of the intervention (1 is the week it starts); weekday 0 is Monday."""
    day = START.date() + timedelta(weeks=week - 1, days=weekday)
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


@pytest.fixture
def clock():
    """The clock, moved to Monday 2 March 2026 and ticking, before anything is created. Asked for first."""
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


@pytest.fixture
def support_journey(clock, york, cfs_worker_user, lat_manager_user, partner_user):
    """A Tang Hall family of a parent and two children: consent given, including to share with schools; an
    Early Help Assessment authorised last week with two needs; and a request for targeted early help from the MASH
    waiting in the Tang Hall allocation queue. The school's practitioner cannot see the family yet."""
    family = FamilyFactory(name="Hartley", local_area_team=LocalAreaTeam.objects.get(slug="tang-hall"))
    parent, mia, theo = (
        FamilyMemberFactory(
            family=family,
            role=role,
            parental_responsibility=role == FamilyMember.Role.PARENT,
            person__first_name=first_name,
            person__last_name="Hartley",
            person__date_of_birth=born,
        ).person
        for role, first_name, born in (
            (FamilyMember.Role.PARENT, "Dana", date(1990, 7, 19)),
            (FamilyMember.Role.CHILD, "Mia", date(2016, 9, 8)),
            (FamilyMember.Role.CHILD, "Theo", date(2020, 2, 11)),
        )
    )
    consent = ConsentRecordFactory(
        family=family,
        status=ConsentRecord.Status.GIVEN,
        given_by=parent,
        obtained_by=cfs_worker_user,
        obtained_on=timezone.localdate() - timedelta(days=14),
    )
    for person in (parent, mia, theo):
        ConsentSubjectFactory(consent=consent, person=person)
    ConsentShareFactory(consent=consent, agency=None, agency_type=Agency.Type.SCHOOL)

    authorised = timezone.now() - timedelta(days=5)
    assessment = AssessmentFactory(
        family=family,
        version=1,
        status=EarlyHelpAssessment.Status.AUTHORISED,
        assessor=cfs_worker_user,
        started_on=authorised.date() - timedelta(days=10),
        completed_on=authorised.date() - timedelta(days=1),
        level_of_need=EarlyHelpAssessment.Level.TARGETED,
        pathway=EarlyHelpAssessment.Pathway.TARGETED,
        analysis="Mornings are chaotic since the move, and the flat's damp and arrears weigh on Dana.",
        decided_by=lat_manager_user,
        decided_at=authorised,
    )
    ScalingFactory(assessment=assessment, person=None, score=3, note="A long way to go at home.")
    ScalingFactory(assessment=assessment, person=mia, score=4, note="School is OK when I get there.")
    ScalingFactory(assessment=assessment, person=parent, score=5, note="Getting there.")
    NeedFactory(assessment=assessment, person=mia, headline="education", description=ATTENDANCE_NEED)
    NeedFactory(assessment=assessment, person=None, headline="housing", description=HOUSING_NEED)
    episode = EpisodeFactory(
        family=family,
        route=Episode.Route.MASH,
        pathway=Episode.Pathway.TARGETED,
        level=3,
        assessment=assessment,
        requested_at=timezone.now() - timedelta(days=3),
    )
    return SimpleNamespace(
        clock=clock,
        worker=cfs_worker_user,
        manager=lat_manager_user,
        partner=partner_user,
        family=family,
        parent=parent,
        mia=mia,
        theo=theo,
        episode=episode,
        assessment=assessment,
    )


def sign_in_again(page, checks: PageChecks, user, url: str) -> None:
    """Open `url` after the clock has moved on. The session ended while the person was away (30 minutes idle), so
    the service asks them to sign in, then takes them to the page they asked for."""
    from playwright.sync_api import expect

    page.goto(url)
    page.wait_for_url(re.compile(r"/accounts/sign-in/\?next="))
    checks.check()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Early Help")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    second_factor(page, checks, email=user.email)
    page.wait_for_url(url)
    checks.check()


def follow(page, checks: PageChecks, link, url) -> None:
    """Click a link (or a link styled as a button) and wait for the page it leads to."""
    with page.expect_navigation(url=url):
        link.click()
    checks.check()


def heading_tag(page):
    return page.get_by_role("heading", level=1).locator(".govuk-tag")


def summary_value(scope, key: str):
    """The value beside `key` in the first summary list within `scope` (a page or a part of it) that has it."""
    return scope.locator(f'dt.govuk-summary-list__key:text-is("{key}") + dd').first


def control(page, name: str):
    """A link or a button named `name`: some pages draw a link as a button."""
    return page.get_by_role("link", name=name, exact=True).or_(page.get_by_role("button", name=name, exact=True))


def select_containing(select, text: str) -> None:
    """Choose the option of `select` whose text starts like `text` (long goals are cut short in lists)."""
    option = select.locator("option").filter(has_text=text[:40])
    select.select_option(value=option.get_attribute("value"))


def chronology_titles(page) -> list[str]:
    """The events' titles in the chronology's order (each cell's first line, less its hidden date)."""
    events = page.get_by_role("table", name="Significant events").locator("tbody td:nth-child(2)")
    return [re.sub(r" on \d+ \w+ \d{4}$", "", text.split("\n")[0].strip()) for text in events.all_inner_texts()]


def record_session(page, checks: PageChecks, intervention_url: str, week: int, journey) -> None:
    """From the intervention's page: record this week's session, dated today."""
    from playwright.sync_api import expect

    kind, notes = WEEKLY_SESSIONS[week]
    follow(page, checks, page.get_by_role("link", name="Record a session"), f"{intervention_url}sessions/add/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a session")
    today = timezone.localdate()
    expect(page.locator("input[name='held_on_0']")).to_have_value(str(today.day))
    expect(page.locator("input[name='held_on_2']")).to_have_value(str(today.year))
    page.locator(f"input[name='kind'][value='{kind}']").check()
    if kind != "phone":
        page.get_by_label(re.compile(r"Mia Hartley \(")).check()
    page.get_by_label(re.compile(r"Dana Hartley \(")).check()
    if kind == "school":
        page.get_by_label("A child was seen alone").check()
    page.locator("textarea[name='notes']").fill(notes)
    submit(page, checks, "Save the session", intervention_url)
    expect(success_banner(page)).to_contain_text("Session recorded.")
    sessions = page.get_by_role("table", name="Sessions of this intervention")
    newest = sessions.locator("tbody").get_by_role("row").first
    expect(newest.get_by_role("cell").nth(0)).to_have_text(short_date(today))
    expect(newest.get_by_role("cell").nth(4)).to_contain_text(notes)
    expect(page.get_by_text(f"{week} session{'s' if week > 1 else ''}, newest first.")).to_be_visible()


def test_support_worker_is_allocated_works_eight_weeks_and_closes_with_the_familys_feedback(
    live_server, support_journey, browser
):
    from playwright.sync_api import expect

    base_url = live_server.url
    journey = support_journey
    clock = journey.clock
    worker, manager = journey.worker, journey.manager
    family_url = f"{base_url}/families/{journey.family.uuid}/"
    episode_url = f"{base_url}/episodes/{journey.episode.uuid}/"

    # Day 1 (Monday 2 March). The Tang Hall manager allocates the request from the queue.
    manager_context, manager_page, manager_checks = signed_in_page(browser, base_url, manager)
    page = manager_page
    nav(page, manager_checks, "Allocations", f"{base_url}/allocations/")
    queue = page.get_by_role("table", name="Early help requests waiting to be allocated")
    row = queue.get_by_role("row").filter(has_text="Hartley family")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Targeted early help")
    expect(row.get_by_role("cell").nth(4)).to_have_text("Tang Hall")
    follow(
        page,
        manager_checks,
        row.get_by_role("link", name="Allocate the Hartley family"),
        re.compile(r"/allocations/[0-9a-f-]+/$"),
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Allocate early help")
    page.get_by_label("Allocate to").select_option(label=worker.full_name)
    submit(page, manager_checks, "Allocate", f"{base_url}/allocations/")
    expect(success_banner(page)).to_contain_text(f"Allocated to {worker.full_name}, who has been told.")
    expect(page.get_by_text("There are no requests waiting.")).to_be_visible()

    # The worker is told, and opens the episode from the family's page.
    worker_context, page, checks = signed_in_page(browser, base_url, worker)
    worker_page = page
    follow(
        page,
        checks,
        page.get_by_role("link", name="You have been allocated early help for the Hartley family"),
        family_url,
    )
    follow(page, checks, page.get_by_role("link", name="Targeted early help, Tang Hall"), episode_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Early help")
    expect(heading_tag(page)).to_have_text("Allocated")
    expect(summary_value(page, "Lead practitioner")).to_contain_text(worker.full_name)
    expect(summary_value(page, "Allocated")).to_have_text(f"2 March 2026 by {manager.full_name}")

    # The plan starts from the assessment's two needs: each becomes a SMART goal with its baseline and target.
    follow(page, checks, control(page, "Start the plan"), f"{episode_url}plans/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Start the family's plan")
    expect(page.get_by_role("group", name="Need 1: Getting a good education, for Mia Hartley")).to_be_visible()
    expect(page.get_by_role("group", name="Need 2: Secure housing, for Whole family")).to_be_visible()
    expect(page.locator("textarea[name='goal_1_text']")).to_have_value(ATTENDANCE_NEED)
    expect(page.locator("input[name='goal_1_baseline']")).to_have_value("4")  # Mia's own scaling
    expect(page.locator("input[name='goal_2_baseline']")).to_have_value("3")  # the practitioner's, for the family
    page.locator("textarea[name='summary']").fill("Calm mornings, Mia at school every day, and a dry, secure home.")
    page.locator("textarea[name='goal_1_text']").fill(GOAL_SCHOOL)
    page.locator("textarea[name='goal_2_text']").fill(GOAL_HOME)
    submit(page, checks, "Start the draft plan", f"{episode_url}plans/new/")
    expect(page).to_have_title(re.compile(r"^Error: Start a plan"))
    expect_errors(page, "Enter the target for goal 1", "Enter the target for goal 2")
    expect(page.locator("textarea[name='goal_1_text']")).to_have_value(GOAL_SCHOOL)  # nothing typed is lost
    page.locator("input[name='goal_1_target']").fill("8")
    page.locator("input[name='goal_2_target']").fill("8")
    submit(page, checks, "Start the draft plan", PLAN_URL)
    plan_url = page.url
    expect(success_banner(page)).to_contain_text("Draft plan version 1 started. Agree it with the family next.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Family plan, version 1")
    expect(heading_tag(page)).to_have_text("Draft")
    expect(page.get_by_role("heading", name=re.compile(r"^Goal 1: for Mia Hartley"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Goal 2: for the whole family"))).to_be_visible()
    expect(page.get_by_text("Started at 4, target 8, latest 4 out of 10")).to_be_visible()
    expect(page.get_by_text("Started at 3, target 8, latest 3 out of 10")).to_be_visible()

    # The family agrees it at the first visit.
    follow(page, checks, control(page, "Agree the plan with the family"), f"{plan_url}agree/")
    page.get_by_label("The family agreed this plan").check()
    submit(page, checks, "Agree the plan", plan_url)
    expect(success_banner(page)).to_contain_text("Plan version 1 is agreed. It is now the family's plan.")
    expect(heading_tag(page)).to_have_text("Agreed")
    expect(summary_value(page, "Agreed")).to_have_text(f"2 March 2026 by {worker.full_name}; the family agreed")

    # An action for Dana, due in a fortnight, on the housing goal.
    follow(page, checks, control(page, "Add an action"), f"{plan_url}actions/add/")
    page.locator("textarea[name='what']").fill(ACTION)
    select_containing(page.get_by_label("Goal it helps with (optional)"), GOAL_HOME)
    page.locator("input[name='owner_kind'][value='person']").check()
    page.get_by_label("If someone in the family: who").select_option(label="Dana Hartley")
    submit(page, checks, "Add the action", f"{plan_url}actions/add/")
    expect_errors(page, "Enter the date the action is due")
    fill_date(page, "due_on", 16, 3, 2026)
    submit(page, checks, "Add the action", plan_url)
    expect(success_banner(page)).to_contain_text("Action added to the plan.")
    actions = page.get_by_role("table", name="Actions").filter(has_text=ACTION)
    action_row = actions.get_by_role("row").filter(has_text=ACTION)
    expect(action_row.get_by_role("cell").nth(1)).to_have_text("Dana Hartley (family)")
    expect(action_row.get_by_role("cell").nth(2)).to_have_text("16 Mar 2026")
    expect(action_row.get_by_role("cell").nth(3)).to_have_text("Not started")

    # The school's designated safeguarding lead joins the Team Around the Family: the family agreed to share with
    # schools, so the invitation gives them sight of the family.
    follow(page, checks, page.get_by_role("link", name="The Team Around the Family and its meetings"), TAF_URL)
    taf_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Team Around the Family")
    expect(page.get_by_text("No one from another agency is in the team yet.")).to_be_visible()
    follow(page, checks, control(page, "Invite a practitioner"), f"{taf_url}invite/")
    page.get_by_label("Practitioner", exact=True).select_option(label=practitioner_label(journey.partner))
    page.get_by_label("Their role in the team").fill("Designated safeguarding lead")
    submit(page, checks, "Invite", taf_url)
    expect(success_banner(page)).to_contain_text(
        f"{journey.partner.full_name} is now in the Team Around the Family and has been told."
    )
    member = page.get_by_role("table", name="Members of the team").get_by_role("row").filter(has_text="Pat Partner")
    expect(member.get_by_role("cell").nth(1)).to_have_text("Test Primary School")
    expect(member.get_by_role("cell").nth(2)).to_have_text("Designated safeguarding lead")

    # A 12-week intervention starts today.
    page.goto(episode_url)
    checks.check()
    expect(heading_tag(page)).to_have_text("Plan active")
    follow(page, checks, control(page, "Start an intervention"), f"{episode_url}interventions/new/")
    expect(page.get_by_label("Worker")).to_have_value(str(worker.pk))
    page.locator("input[name='kind'][value='routines']").check()
    page.locator("textarea[name='aims']").fill(AIMS)
    fill_date(page, "started_on", 2, 3, 2026)
    page.get_by_label("Planned length in weeks").fill("14")
    submit(page, checks, "Start the intervention", f"{episode_url}interventions/new/")
    expect_errors(page, "An intervention can run beyond 12 weeks only with a manager's approved extension")
    page.get_by_label("Planned length in weeks").fill("12")
    submit(page, checks, "Start the intervention", INTERVENTION_URL)
    intervention_url = page.url
    expect(success_banner(page)).to_contain_text("Intervention started.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Routines and boundaries")
    expect(heading_tag(page)).to_have_text("Active")
    expect(summary_value(page, "Planned end")).to_have_text(long_date(PLANNED_END))
    expect(page.get_by_text("No sessions recorded yet.")).to_be_visible()

    # Weeks 1 to 8: a session every Wednesday. Each time the worker comes back, the session has ended and they sign
    # in again; the service takes them back to the intervention.
    for week in range(1, 9):
        clock.move_to(moment(week), tick=True)
        sign_in_again(page, checks, worker, intervention_url)
        expect(summary_value(page, "Progress")).to_contain_text(f"Week {week} of 12")
        record_session(page, checks, intervention_url, week, journey)

        if week == 2:
            # The family is on the worker's caseload, with the intervention's week.
            nav(page, checks, "My caseload", f"{base_url}/work/caseload/")
            led = page.get_by_role("table", name="Open early help you lead, next review first")
            row = led.get_by_role("row").filter(has_text="Hartley family")
            expect(row.get_by_role("cell").nth(1)).to_have_text("Plan active")
            working = page.get_by_role("table", name="Your active interventions, ending soonest first")
            row = working.get_by_role("row").filter(has_text="Hartley family")
            expect(row.get_by_role("cell").nth(1)).to_have_text("Routines and boundaries")
            expect(row.get_by_role("cell").nth(2)).to_have_text("Week 2 of 12")
            expect(row.get_by_role("cell").nth(3)).to_have_text(short_date(PLANNED_END))

        if week == 4:
            # Scaling mid-way: Mia is getting to school more often.
            page.goto(plan_url)
            checks.check()
            follow(
                page,
                checks,
                page.get_by_role("link", name="Record a score for goal 1"),
                re.compile(r"/goals/[0-9a-f-]+/score/$"),
            )
            expect(page.get_by_role("heading", level=1)).to_have_text("Record a score")
            page.get_by_label("Where are things now?").fill("6")
            page.get_by_label("Comment (optional)").fill("Late twice this week, down from every day.")
            submit(page, checks, "Save the score", plan_url)
            expect(success_banner(page)).to_contain_text("Score recorded.")
            expect(page.get_by_text("Started at 4, target 8, latest 6 out of 10")).to_be_visible()
            history = page.get_by_role("table", name=re.compile(r"^Scaling history of the goal: Mia is at school"))
            expect(history.get_by_role("row").filter(has_text="Late twice this week")).to_contain_text("25 Mar 2026")

        if week == 6:
            # The six-week review: planned and held the same day, with the school there.
            page.goto(taf_url)
            checks.check()
            follow(page, checks, control(page, "Plan a meeting"), f"{taf_url}meetings/new/")
            page.locator("input[name='kind'][value='review']").check()
            fill_date(page, "due_on", 8, 4, 2026)
            submit(page, checks, "Plan the meeting", MEETING_URL)
            meeting_url = page.url
            expect(success_banner(page)).to_contain_text("Review planned, due 8 April 2026.")
            expect(heading_tag(page)).to_have_text("Planned")
            follow(page, checks, control(page, "Record the meeting"), f"{meeting_url}record/")
            expect(page.get_by_role("heading", level=1)).to_have_text("Record the meeting: Review")
            page.get_by_role("group", name=practitioner_label(worker)).get_by_label("Attended", exact=True).check()
            page.get_by_role("group", name=practitioner_label(journey.partner)).get_by_label(
                "Attended", exact=True
            ).check()
            page.get_by_role("group", name="Dana Hartley", exact=True).get_by_label("Attended", exact=True).check()
            page.get_by_role("group", name="Mia Hartley", exact=True).get_by_label("Attended", exact=True).check()
            page.get_by_role("group", name="Theo Hartley", exact=True).get_by_label(
                "Did not attend", exact=True
            ).check()
            page.get_by_label("The family was at the meeting").check()
            page.get_by_role("group", name=re.compile("^" + re.escape(GOAL_SCHOOL[:50]))).get_by_label(
                "7", exact=True
            ).check()
            page.get_by_role("group", name=re.compile("^" + re.escape(GOAL_HOME[:50]))).get_by_label(
                "5", exact=True
            ).check()
            page.locator("textarea[name='notes']").fill("Mornings are calmer; the repair is booked. Carry on.")
            submit(page, checks, "Record the meeting", f"{meeting_url}record/")
            expect_errors(page, "Select how things have changed for the family", "Select what the meeting decided")
            page.locator("input[name='result'][value='improved']").check()
            page.locator("input[name='decision'][value='continue']").check()
            submit(page, checks, "Record the meeting", meeting_url)
            expect(success_banner(page)).to_contain_text("Review recorded.")
            expect(heading_tag(page)).to_have_text("Held")
            expect(summary_value(page, "Held on")).to_have_text("8 April 2026")
            expect(summary_value(page, "Result")).to_have_text("Improved")
            expect(summary_value(page, "Decision")).to_have_text("Continue the plan")
            expect(summary_value(page, "Next review due")).to_have_text("20 May 2026")
            attendance = page.get_by_role("table", name="Who attended")
            expect(attendance.get_by_role("row").filter(has_text="Pat Partner")).to_contain_text("Attended")
            expect(attendance.get_by_role("row").filter(has_text="Theo Hartley")).to_contain_text("Did not attend")
            scaling = page.get_by_role("table", name=re.compile(r"^Each goal's scale at this meeting"))
            school_row = scaling.get_by_role("row").filter(has_text=GOAL_SCHOOL)
            expect(school_row.get_by_role("cell").nth(1)).to_have_text("Mia Hartley")
            expect(school_row.get_by_role("cell").nth(4)).to_have_text("7")
            home_row = scaling.get_by_role("row").filter(has_text=GOAL_HOME)
            expect(home_row.get_by_role("cell").nth(1)).to_have_text("The whole family")
            expect(home_row.get_by_role("cell").nth(4)).to_have_text("5")
            page.goto(plan_url)
            checks.check()
            expect(page.get_by_text("Started at 4, target 8, latest 7 out of 10")).to_be_visible()
            expect(page.get_by_text("Started at 3, target 8, latest 5 out of 10")).to_be_visible()

    # Week 8: the family needs longer than 12 weeks. An end beyond 16 weeks is refused; 12 June is asked for.
    expect(summary_value(page, "Progress")).to_contain_text("Week 8 of 12")
    follow(page, checks, page.get_by_role("link", name="Ask for an extension"), f"{intervention_url}extension/")
    fill_date(page, "new_end_on", 3, 7, 2026)
    page.locator("textarea[name='reason']").fill(EXTENSION_REASON)
    submit(page, checks, "Ask for the extension", f"{intervention_url}extension/")
    expect_errors(page, "An intervention can be extended to at most 16 weeks from its start")
    expect(page.locator("textarea[name='reason']")).to_have_value(EXTENSION_REASON)
    fill_date(page, "new_end_on", EXTENDED_END.day, EXTENDED_END.month, EXTENDED_END.year)
    submit(page, checks, "Ask for the extension", intervention_url)
    expect(success_banner(page)).to_contain_text("Extension requested. The team's managers have been asked to decide.")
    expect(page.locator(".govuk-inset-text")).to_contain_text(
        f"An extension to {long_date(EXTENDED_END)} is waiting for a manager's decision."
    )
    expect(page.get_by_role("link", name="Ask for an extension")).to_have_count(0)

    # The manager, back at their desk, signs in again and approves it from their notification.
    page = manager_page
    sign_in_again(page, manager_checks, manager, f"{base_url}/")
    follow(
        page,
        manager_checks,
        page.get_by_role("link", name=f"{worker.full_name} asks to extend an intervention with the Hartley family"),
        re.compile(r"/extensions/[0-9a-f-]+/$"),
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("Decide an extension")
    expect(page.get_by_role("main")).to_contain_text(EXTENSION_REASON)
    page.locator("input[name='decision'][value='approve']").check()
    submit(page, manager_checks, "Save the decision", intervention_url)
    expect(success_banner(page)).to_contain_text("Decision recorded. The worker has been told.")
    expect(summary_value(page, "Planned end")).to_have_text(long_date(EXTENDED_END))
    extension_card = page.locator(".govuk-summary-card").filter(has_text=f"To {long_date(EXTENDED_END)}")
    expect(extension_card.locator(".govuk-tag")).to_have_text("Approved")
    expect(summary_value(extension_card, "Decided by")).to_have_text(manager.full_name)

    # Friday 12 June, the extended end: the worker is told of the approval, ends the intervention and writes the
    # closing visit up as a case note.
    clock.move_to(datetime(2026, 6, 12, 9, 30, tzinfo=LONDON), tick=True)
    page = worker_page
    sign_in_again(page, checks, worker, f"{base_url}/")
    follow(
        page,
        checks,
        page.get_by_role(
            "link",
            name=f"The extension of an intervention with the Hartley family was approved to {long_date(EXTENDED_END)}",
        ),
        intervention_url,
    )
    expect(summary_value(page, "Planned end")).to_have_text(long_date(EXTENDED_END))
    follow(page, checks, page.get_by_role("link", name="End the intervention"), f"{intervention_url}end/")
    page.locator("input[name='status'][value='completed']").check()
    page.locator("textarea[name='outcome']").fill("Mornings run to the routine; Mia's attendance is 96%.")
    submit(page, checks, "End the intervention", intervention_url)
    expect(success_banner(page)).to_contain_text("Intervention ended.")
    expect(heading_tag(page)).to_have_text("Completed")
    expect(page.get_by_text("8 sessions, newest first.")).to_be_visible()

    page.goto(episode_url)
    checks.check()
    follow(page, checks, page.get_by_role("link", name="Case notes"), f"{family_url}notes/")
    follow(page, checks, control(page, "Add a case note"), f"{family_url}notes/new/")
    page.locator("input[name='kind'][value='home_visit']").check()
    fill_date(page, "happened_on", 12, 6, 2026)
    for name in ("Dana Hartley", "Mia Hartley", "Theo Hartley"):
        page.get_by_role("group", name="Who does the note concern?").get_by_label(name).check()
    page.get_by_label("A child was seen", exact=True).check()
    page.locator("textarea[name='text']").fill(NOTE_TEXT)
    page.get_by_label(re.compile(r"This is a significant event")).check()
    submit(page, checks, "Save the note", NOTE_URL)
    expect(success_banner(page)).to_contain_text("Case note saved. You can change it until this time tomorrow.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Home visit, 12 June 2026")
    expect(page.get_by_text(NOTE_TEXT)).to_be_visible()

    # The chronology tells the story so far, oldest first.
    page.goto(episode_url)
    checks.check()
    follow(page, checks, page.get_by_role("link", name="Chronology"), f"{family_url}chronology/")
    events = page.get_by_role("table", name="Significant events").locator("tbody").get_by_role("row")
    for title, on, what in (
        ("Consent given", "16 Feb 2026", ""),
        ("Assessment authorised", "25 Feb 2026", "Early Help Assessment 1 authorised"),
        ("Plan agreed", "2 Mar 2026", "Plan version 1 agreed"),
        ("Intervention started", "2 Mar 2026", f"Routines and boundaries with {worker.full_name}"),
        ("Review held", "8 Apr 2026", "Result: improved. Decision: continue the plan"),
        ("Intervention extended", "22 Apr 2026", f"extended to {long_date(EXTENDED_END)}"),
        ("Intervention completed", "12 Jun 2026", "Routines and boundaries"),
        ("Significant event", "12 Jun 2026", "Home visit: Closing visit with Dana"),
    ):
        event = events.filter(has=page.get_by_role("cell").filter(has_text=re.compile(rf"^{re.escape(title)}")))
        expect(event.first.get_by_role("cell").nth(0)).to_have_text(on)
        if what:
            expect(event.first.get_by_role("cell").nth(2)).to_contain_text(what)
    titles = chronology_titles(page)
    assert titles.index("Plan agreed") < titles.index("Review held") < titles.index("Significant event"), titles

    # Closure, with what the family said. A closure with no closure meeting waits for a manager.
    page.goto(episode_url)
    checks.check()
    follow(page, checks, control(page, "Close early help"), f"{episode_url}closure/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Close early help")
    page.locator("input[name='reason'][value='outcomes_achieved']").check()
    page.locator("textarea[name='summary']").fill(SUMMARY)
    submit(page, checks, "Ask to close", f"{episode_url}closure/")
    expect_errors(
        page,
        "Choose how satisfied the family was, or that they did not say",
        "Choose whether the family said the help made a difference",
    )
    expect(page.locator("textarea[name='summary']")).to_have_value(SUMMARY)
    page.locator("input[name='satisfaction'][value='5']").check()
    page.locator("input[name='made_difference'][value='yes']").check()
    page.locator("textarea[name='family_comments']").fill(FAMILY_COMMENTS)
    submit(page, checks, "Ask to close", episode_url)
    expect(success_banner(page)).to_contain_text("Closure sent to a Local Area Team manager for approval.")
    expect(heading_tag(page)).to_have_text("Closing")
    closure_summary = page.locator("h3:text-is('Closure asked for on 12 June 2026') + dl")
    expect(summary_value(closure_summary, "Family's satisfaction")).to_have_text("5 out of 5")
    expect(summary_value(closure_summary, "Did the help make a difference")).to_have_text("Yes")
    expect(summary_value(closure_summary, "Status")).to_have_text("Awaiting a manager's approval")

    # While the manager decides, the worker has the goal's score page open in another tab.
    stale_tab = worker_context.new_page()
    stale_checks = PageChecks(stale_tab)
    stale_tab.goto(plan_url)
    stale_checks.check()
    follow(
        stale_tab,
        stale_checks,
        stale_tab.get_by_role("link", name="Record a score for goal 2"),
        re.compile(r"/goals/[0-9a-f-]+/score/$"),
    )
    score_url = stale_tab.url

    # The manager signs in again and approves the closure from their notification.
    page = manager_page
    sign_in_again(page, manager_checks, manager, f"{base_url}/")
    follow(
        page,
        manager_checks,
        page.get_by_role("link", name="The closure of early help for the Hartley family is waiting for your decision"),
        re.compile(r"/closures/[0-9a-f-]+/$"),
    )
    expect(page.get_by_role("main")).to_contain_text(SUMMARY)
    page.locator("input[name='decision'][value='approve']").check()
    submit(page, manager_checks, "Save the decision", episode_url)
    expect(success_banner(page)).to_contain_text("Closure approved: early help is closed.")
    expect(heading_tag(page)).to_have_text("Closed")
    manager_context.close()

    # The episode is closed and read-only: the score typed into the open tab is refused, with a clear message and
    # the comment kept; the pages say why nothing can be changed.
    stale_tab.get_by_label("Where are things now?").fill("8")
    stale_tab.get_by_label("Comment (optional)").fill("Dry flat, arrears cleared.")
    submit(stale_tab, stale_checks, "Save the score", score_url)
    expect_errors(stale_tab, "This episode is closed, so its records can no longer be changed")
    expect(stale_tab.get_by_label("Comment (optional)")).to_have_value("Dry flat, arrears cleared.")
    stale_tab.close()

    page = worker_page
    page.goto(episode_url)
    checks.check()
    expect(heading_tag(page)).to_have_text("Closed")
    expect(page.locator(".govuk-inset-text").first).to_contain_text(
        "This episode is closed, so its records can no longer be changed."
    )
    expect(control(page, "Start an intervention")).to_have_count(0)
    expect(control(page, "Close early help")).to_have_count(0)
    closure_summary = page.locator("h3:text-is('Closure asked for on 12 June 2026') + dl")
    expect(summary_value(closure_summary, "Status")).to_have_text(f"Closed by {manager.full_name} on 12 June 2026")
    page.goto(plan_url)
    checks.check()
    expect(page.locator(".govuk-inset-text")).to_contain_text(
        "This episode is closed, so its records can no longer be changed."
    )
    expect(control(page, "Add a goal")).to_have_count(0)
    expect(page.get_by_role("link", name="Record a score for goal 1")).to_have_count(0)
    page.goto(f"{intervention_url}sessions/add/")
    checks.check()
    expect(page.locator(".govuk-inset-text")).to_contain_text("This episode is closed")
    expect(page.get_by_role("button", name="Save the session")).to_have_count(0)
    nav(page, checks, "My caseload", f"{base_url}/work/caseload/")
    expect(page.get_by_text("You are not the lead practitioner for any open early help.")).to_be_visible()
    worker_context.close()

    # What the pages showed is what was saved.
    episode = Episode.objects.get(pk=journey.episode.pk)
    assert episode.status == Episode.Status.CLOSED
    assert episode.lead_practitioner == worker
    assert episode.allocated_by == manager
    assert timezone.localdate(episode.closed_at) == date(2026, 6, 12)
    closure = Closure.objects.get(episode=episode)
    assert closure.status == Closure.Status.APPROVED
    assert closure.requested_by == worker and closure.decided_by == manager
    assert closure.reason == Closure.Reason.OUTCOMES_ACHIEVED
    assert closure.satisfaction == 5
    assert closure.made_difference == Closure.Difference.YES
    assert closure.family_comments == FAMILY_COMMENTS
    plan = FamilyPlan.objects.get(episode=episode)
    assert plan.status == FamilyPlan.Status.AGREED and plan.family_agreed
    school, home = plan.goals.order_by("position")
    assert (school.text, school.person, school.need.headline) == (GOAL_SCHOOL, journey.mia, "education")
    assert (home.text, home.person, home.need.headline) == (GOAL_HOME, None, "housing")
    review = TafMeeting.objects.get(episode=episode, kind=TafMeeting.Kind.REVIEW)
    assert (review.status, review.result, review.decision) == ("held", "improved", "continue")
    assert list(GoalScore.objects.filter(goal=school).values_list("score", "scored_on", "meeting")) == [
        (4, date(2026, 3, 2), None),
        (6, date(2026, 3, 25), None),
        (7, date(2026, 4, 8), review.pk),
    ]
    assert list(GoalScore.objects.filter(goal=home).values_list("score", "meeting")) == [(3, None), (5, review.pk)]
    assert TafMember.objects.get(episode=episode).user == journey.partner
    assert families_visible_to(journey.partner).filter(pk=journey.family.pk).exists()  # until the grace period ends
    intervention = Intervention.objects.get(episode=episode)
    assert intervention.status == Intervention.Status.COMPLETED
    assert intervention.planned_end_on == EXTENDED_END
    assert sorted(InterventionSession.objects.filter(intervention=intervention).values_list("held_on", flat=True)) == [
        moment(week).date() for week in range(1, 9)
    ]
    extension = InterventionExtension.objects.get(intervention=intervention)
    assert extension.status == InterventionExtension.Status.APPROVED
    assert (extension.requested_by, extension.decided_by, extension.new_end_on) == (worker, manager, EXTENDED_END)
    note = CaseNote.objects.get(family=journey.family)
    assert note.significant and note.episode == episode and note.author == worker

    # Every page visited, for each person and tab: no serious or critical accessibility violations, no CSP refusals.
    for page_checks in (checks, manager_checks, stale_checks):
        page_checks.assert_clean()
