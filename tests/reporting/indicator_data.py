"""Hand-built records for the indicator tests, each dated explicitly (time is moved for the timestamps a model
sets itself), so every test can say which month a record falls in. All names are synthetic."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from cases.models import Closure, Episode, FamilyPlan, Goal, GoalScore, TafMeeting, TafMember, Transfer
from locality.models import Agency
from referrals.models import MashDecision
from reporting.indicators import Period
from reporting.models import CaseAudit, TrainingRecord
from tests.factories import (
    AgencyFactory,
    AllocatedEpisodeFactory,
    AssessmentFactory,
    ClosureFactory,
    ContactFactory,
    EpisodeFactory,
    FamilyFactory,
    GoalFactory,
    InterventionFactory,
    TafMeetingFactory,
    TafMemberFactory,
    UserFactory,
)

YORK = ZoneInfo("Europe/London")
MARCH = Period.month(2025, 3)
FEB_28 = date(2025, 2, 28)  # the last day before the month
APR_1 = date(2025, 4, 1)  # the first day after it


def at(day: date, hour: int = 12) -> datetime:
    """A moment on `day`, York time."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=YORK)


@contextmanager
def on(day: date, hour: int = 12):
    """Records saved inside were created (and last changed) on `day`."""
    with time_machine.travel(at(day, hour), tick=False):
        yield


def mar(day: int) -> date:
    return date(2025, 3, day)


def family(team):
    return FamilyFactory(local_area_team=team)


def episode(
    team, *, requested: date = date(2025, 1, 6), status=Episode.Status.PLAN_ACTIVE, fam=None, **fields
) -> Episode:
    """An episode for a family (a new one unless `fam` is given) in `team`, requested on `requested` and last
    changed on `ended` (by default the day it was requested)."""
    with on(fields.pop("ended", requested)):
        return AllocatedEpisodeFactory(
            family=fam or family(team), local_area_team=team, requested_at=at(requested), status=status, **fields
        )


def closed_episode(team, *, closed: date) -> Episode:
    return episode(team, status=Episode.Status.CLOSED, closed_at=at(closed), ended=closed)


def agreed_plan(ep: Episode, *, agreed: date, version: int = 1, status=FamilyPlan.Status.AGREED) -> FamilyPlan:
    return FamilyPlan.objects.create(
        episode=ep,
        family=ep.family,
        version=version,
        status=status,
        agreed_on=agreed,
        created_by=UserFactory(),
        family_agreed=True,
    )


def taf_members(ep: Episode, *agency_types: str, joined: date = date(2025, 2, 3), **fields) -> list[TafMember]:
    """One member of the episode's Team Around the Family for each agency type given (each a different agency
    of that type, unless the same type is given twice)."""
    members = []
    for agency_type in agency_types:
        with on(joined):
            agency = AgencyFactory(name=f"Test {agency_type} agency", type=agency_type)
            members.append(TafMemberFactory(episode=ep, family=ep.family, agency=agency, **fields))
    return members


def multi_agency_episode(team, *, agreed: date = date(2025, 2, 1), **fields) -> Episode:
    """An episode open all through March with an agreed plan and a school and a health visitor in its TAF."""
    ep = episode(team, **fields)
    agreed_plan(ep, agreed=agreed)
    taf_members(ep, Agency.Type.SCHOOL, Agency.Type.HEALTH)
    return ep


def goal(plan: FamilyPlan, *, baseline: int, scores: dict[date, int] | None = None, carried_from: Goal | None = None):
    """A goal with its baseline scaled on 1 February, then each of `scores`."""
    made = GoalFactory(plan=plan, baseline=baseline, target=10, latest=baseline, carried_from=carried_from)
    if carried_from is None:
        GoalScore.objects.create(goal=made, score=baseline, scored_on=date(2025, 2, 1), recorded_by=UserFactory())
    for day, score in (scores or {}).items():
        GoalScore.objects.create(goal=made, score=score, scored_on=day, recorded_by=UserFactory())
    return made


def closure(team, *, decided: date | None, satisfaction: int | None, **fields) -> Closure:
    status = Closure.Status.APPROVED if decided else Closure.Status.AWAITING_APPROVAL
    ep = episode(team, status=Episode.Status.CLOSED if decided else Episode.Status.CLOSING)
    return ClosureFactory(
        episode=ep,
        family=ep.family,
        status=status,
        decided_at=at(decided) if decided else None,
        satisfaction=satisfaction,
        **fields,
    )


def step_up(
    team,
    *,
    outcome: str = "",
    outcome_on: date | None = None,
    made: date = date(2025, 1, 10),
    via: str = "episode",
    fam=None,
) -> Transfer:
    """A step-up to children's social care from an episode, a MASH contact or (via "family") neither."""
    fam = fam or family(team)
    ep = contact = None
    if via == "episode":
        ep = episode(team, status=Episode.Status.STEPPED_UP, ended=made, fam=fam)
    elif via == "contact":
        contact = ContactFactory(family=fam, local_area_team=team)
    with on(made):
        return Transfer.objects.create(
            family=fam,
            episode=ep,
            contact=contact,
            direction=Transfer.Direction.STEP_UP,
            kind=Transfer.Kind.SOCIAL_CARE,
            created_by=UserFactory(),
            social_care_outcome=outcome,
            outcome_on=outcome_on,
        )


def step_down(fam, *, made: date) -> Transfer:
    with on(made):
        return Transfer.objects.create(
            family=fam, direction=Transfer.Direction.STEP_DOWN, kind=Transfer.Kind.STEP_DOWN, created_by=UserFactory()
        )


def contact(team, *, received: date, re_referral: bool = False, outcome: str = "", due: datetime | None = None, **f):
    """A contact received on `received` (decision due the next day unless `due` is given), decided with `outcome`."""
    fam = family(team) if team is not None else FamilyFactory()
    made = ContactFactory(
        family=fam,
        local_area_team=team,
        received_at=at(received, 9),
        due_at=due or at(received + timedelta(days=1), 17),
        re_referral=re_referral,
        **f,
    )
    if outcome:
        decide(made, outcome=outcome, decided=at(received, 15))
    return made


def decide(made, *, outcome: str, decided: datetime) -> MashDecision:
    return MashDecision.objects.create(
        contact=made,
        level=3,
        outcome=outcome,
        rationale="Test rationale",
        next_steps="Test next steps",
        consent_basis=MashDecision.ConsentBasis.HELD,
        local_area_team=made.local_area_team if outcome in MashDecision.EARLY_HELP else None,
        decided_by=UserFactory(),
        decided_at=decided,
    )


def assessment(team, *, started: date, completed: date | None, organisation_type: str | None = None):
    organisation = (
        AgencyFactory(name=f"Assessing {organisation_type}", type=organisation_type) if organisation_type else None
    )
    return AssessmentFactory(family=family(team), started_on=started, completed_on=completed, organisation=organisation)


def meeting(ep: Episode, *, kind=TafMeeting.Kind.REVIEW, due: date | None = None, held: date | None = None, **f):
    status = f.pop("status", TafMeeting.Status.HELD if held else TafMeeting.Status.PLANNED)
    return TafMeetingFactory(episode=ep, family=ep.family, kind=kind, due_on=due, held_on=held, status=status, **f)


def intervention(team, *, started: date, ended: date | None, status="completed"):
    ep = episode(team)
    return InterventionFactory(
        episode=ep,
        family=ep.family,
        started_on=started,
        planned_end_on=started + timedelta(weeks=8),
        ended_on=ended,
        status=status,
    )


def audit(team, *, kind: str, grade: str, audited: date) -> CaseAudit:
    user = UserFactory()
    return CaseAudit.objects.create(
        kind=kind,
        family=family(team),
        local_area_team=team,
        worker=user,
        auditor=UserFactory(),
        audited_on=audited,
        grade=grade,
        comments="Test audit",
    )


def trained(email: str, team, *, course: str, completed: date) -> TrainingRecord:
    return TrainingRecord.objects.create(
        practitioner_name="Test Practitioner",
        practitioner_email=email,
        local_area_team=team,
        course=course,
        completed_on=completed,
        recorded_by=UserFactory(),
    )


def family_with_everything(team, *, n: int) -> None:
    """One family whose March has something for every indicator (the query-count test adds these)."""
    ep = multi_agency_episode(team)
    plan = ep.plans.get()
    goal(plan, baseline=3, scores={mar(10): 6})
    meeting(ep, due=mar(10), held=mar(9))
    InterventionFactory(
        episode=ep,
        family=ep.family,
        started_on=date(2025, 2, 1),
        ended_on=mar(15),
        planned_end_on=mar(29),
        status="completed",
    )
    closure(team, decided=mar(12), satisfaction=5)
    step_up(team, outcome="cin", outcome_on=mar(5), made=mar(2))
    contact(team, received=mar(3), re_referral=True, outcome=MashDecision.Outcome.TARGETED)
    assessment(team, started=mar(1), completed=mar(20), organisation_type=Agency.Type.SCHOOL)
    audit(team, kind=CaseAudit.Kind.ASSESSMENT_PLAN, grade=CaseAudit.Grade.GOOD, audited=mar(4))
    audit(team, kind=CaseAudit.Kind.DIRECT_WORK, grade=CaseAudit.Grade.GOOD, audited=mar(4))
    trained(f"conflict{n}@example.org", team, course="parental_conflict", completed=mar(6))
    trained(f"neglect{n}@example.org", team, course="neglect", completed=mar(6))
    with on(mar(7)):
        EpisodeFactory(
            family=family(team), local_area_team=team, route=Episode.Route.STEP_DOWN, requested_at=at(mar(7))
        )
