"""The work of early help in the demo: for about a quarter of the new families, an episode at a realistic stage, led
by a worker of the family's Local Area Team, with its plan, Team Around the Family, meetings, intervention, case
notes, closure and tasks. Written in bulk with history; deterministic for a given seed (dates follow today).

The first episodes of each team are chosen to show every kind of work even in a small demo: the Child and Family
Support worker leads two active plans (one intervention waiting for an extension decision, one review overdue), one
closed episode and one waiting for a manager to approve its closure.
"""

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from cases.demo import casework_parts as parts
from cases.demo.casework_parts import ACTIVE, ALLOCATED, ASSESSING, CLOSED, CLOSING, REVIEWING
from cases.demo.rows import links_insert, rows_insert
from cases.demo.staff import demo_email
from cases.models import (
    Action,
    CaseNote,
    CaseNoteAmendment,
    Closure,
    Episode,
    Family,
    FamilyMember,
    FamilyPlan,
    FamilyUserObjectPermission,
    Goal,
    GoalScore,
    Intervention,
    InterventionExtension,
    InterventionSession,
    TafAttendance,
    TafMeeting,
    TafMember,
    Task,
)
from cases.services import family_access_grant
from consent.selectors import agency_may_receive
from earlyhelp.accounts.models import User
from locality.models import Agency

SHARE = 0.25  # of the new families that get an episode of work
CHUNK = 1000  # episodes written per transaction
TAF_PARTNERS_EACH = 2  # families whose Team Around the Family each demo partner practitioner is in, at least

# (stage, weight) for episodes after each team's first ones.
STAGES = [(ALLOCATED, 8), (ASSESSING, 7), (ACTIVE, 62), (REVIEWING, 6), (CLOSING, 3), (CLOSED, 14)]
# Each team's first episodes, all led by its Child and Family Support worker: (stage, extension asked, review late).
FIRST_IN_TEAM = [(ACTIVE, True, False), (ACTIVE, False, True), (CLOSED, False, False), (CLOSING, False, False)]

# The models in the order they are written: each after the records it points to.
ORDER = [
    Episode,
    FamilyPlan,
    TafMeeting,
    TafMember,
    TafAttendance,
    Goal,
    GoalScore,
    Action,
    Intervention,
    InterventionSession,
    InterventionExtension,
    CaseNote,
    CaseNoteAmendment,
    Closure,
    Task,
]


@dataclass(frozen=True)
class Staff:
    """The demo users of one Local Area Team."""

    cfs: User
    lead: User
    manager: User


@dataclass
class Case:
    """What the demo will build for one family."""

    family: Family
    stage: str
    lead: User
    staff: Staff
    extension: bool = False
    review_late: bool = False
    partners: list[User] = field(default_factory=list)


@dataclass
class Rows:
    """Records built for one chunk of episodes, written model by model."""

    records: dict = field(default_factory=lambda: defaultdict(list))
    links: dict = field(default_factory=lambda: defaultdict(list))

    def add(self, *objs) -> None:
        for obj in objs:
            self.records[type(obj)].append(obj)

    def link(self, through, left, people) -> None:
        self.links[through].extend((left, person) for person in people)

    def write(self, *, user: User) -> None:
        for model in ORDER:
            rows_insert(self.records[model], user=user)
        for through, pairs in self.links.items():
            links_insert(through, pairs)


def casework_load(
    families: list[Family],
    users: dict[str, User],
    agencies: dict[str, Agency],
    *,
    seed: int,
    seeder: User,
    progress: Callable[[str], object],
) -> int:
    """Episodes of work for about a quarter of `families`; returns how many. Families with open early help (from
    the MASH demo) and restricted families are left as they are."""
    rng = random.Random(f"casework-{seed}")
    cases = _cases_choose(rng, families, _staff_by_team(families, users))
    _taf_partners_choose(cases, users)
    builder = parts.Builder(rng=rng, agencies=agencies)
    for start in range(0, len(cases), CHUNK):
        chunk = cases[start : start + CHUNK]
        with transaction.atomic():
            rows = Rows()
            members = _members_by_family([case.family.pk for case in chunk])
            for case in chunk:
                builder.episode_build(rows, case, members[case.family.pk])
            rows.write(user=seeder)
        progress(f"  {start + len(chunk)} of {len(cases)} episodes of work")
    allocation_tasks_load(seeder=seeder)
    return len(cases)


def _staff_by_team(families: list[Family], users: dict[str, User]) -> dict[int, Staff]:
    teams = {family.local_area_team_id: family.local_area_team for family in families}
    return {
        pk: Staff(
            cfs=users[demo_email("cfs", lat.slug)],
            lead=users[demo_email("lead", lat.slug)],
            manager=users[demo_email("manager", lat.slug)],
        )
        for pk, lat in teams.items()
    }


def _cases_choose(rng: random.Random, families: list[Family], staff: dict[int, Staff]) -> list[Case]:
    """Each team's first few families, then about a quarter of the rest, skipping any with open early help."""
    already_open = set(Episode.objects.filter(status__in=Episode.OPEN).values_list("family_id", flat=True))
    in_team: Counter = Counter()
    cases = []
    for family in families:
        if family.restricted or family.pk in already_open:
            continue
        index = in_team[family.local_area_team_id]
        if index >= len(FIRST_IN_TEAM) and rng.random() >= SHARE:
            continue
        in_team[family.local_area_team_id] += 1
        team = staff[family.local_area_team_id]
        if index < len(FIRST_IN_TEAM):
            stage, extension, late = FIRST_IN_TEAM[index]
            cases.append(Case(family, stage, team.cfs, team, extension=extension, review_late=late))
            continue
        stage = rng.choices([s for s, _ in STAGES], weights=[w for _, w in STAGES])[0]
        lead = team.cfs if rng.random() < 0.6 else team.lead
        extension = stage == ACTIVE and rng.random() < 0.04
        cases.append(Case(family, stage, lead, team, extension=extension, review_late=rng.random() < 0.3))
    return cases


def _taf_partners_choose(cases: list[Case], users: dict[str, User]) -> None:
    """Each demo partner practitioner joins the Team Around the Family of families already granted to them, and
    of a few more whose consent covers their agency (which grants them sight of the family, as an invite does)."""
    working = [case for case in cases if case.stage in (ACTIVE, REVIEWING)]
    for email in (demo_email("partner.school"), demo_email("partner.health")):
        partner = users[email]
        granted = set(
            FamilyUserObjectPermission.objects.filter(user=partner).values_list("content_object_id", flat=True)
        )
        joined = [case for case in working if case.family.pk in granted]
        for case in working:
            if len(joined) >= TAF_PARTNERS_EACH:
                break
            if case not in joined and agency_may_receive(family=case.family, agency=partner.agency).allowed:
                family_access_grant(family=case.family, user=partner)
                joined.append(case)
        for case in joined:
            case.partners.append(partner)


def _members_by_family(family_ids: list[int]) -> dict[int, list[FamilyMember]]:
    members = defaultdict(list)
    for member in FamilyMember.objects.filter(family_id__in=family_ids).select_related("person").order_by("id"):
        members[member.family_id].append(member)
    return members


@transaction.atomic
def allocation_tasks_load(*, seeder: User) -> None:
    """A task for the team's managers for each episode the MASH asked for that is still waiting to be allocated."""
    waiting = Episode.objects.filter(status=Episode.Status.REQUESTED).select_related("family")
    open_keys = set(
        Task.objects.filter(status=Task.Status.OPEN, key__startswith="allocation:").values_list("key", flat=True)
    )
    tasks = [
        Task(
            family=episode.family,
            episode=episode,
            title="Allocate a worker for a request from the MASH",
            kind=Task.Kind.ALLOCATION_WAITING,
            key=f"allocation:{episode.uuid}",
            team_id=episode.local_area_team_id,
            due_on=parts.working_days_after(episode.requested_at.date(), 5),
        )
        for episode in waiting
        if f"allocation:{episode.uuid}" not in open_keys
    ]
    rows_insert(tasks, user=seeder)
