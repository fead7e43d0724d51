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
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from assessments.models import AssessmentSubject, EarlyHelpAssessment
from cases.demo import casework_parts as parts
from cases.demo.casework_partners import PARTNER_LED, Partners
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
    Transfer,
)
from cases.services import family_access_grant
from consent.selectors import agency_may_receive
from earlyhelp.accounts.models import User
from earlyhelp.core.working_time import working_day_on_or_before, working_days_after
from locality.models import Agency
from referrals.models import Contact

SHARE = 0.25  # of the new families that get an episode of work
CHUNK = 1000  # episodes written per transaction
TAF_PARTNERS_EACH = 2  # families whose Team Around the Family each demo partner practitioner is in, at least

# (stage, weight) for episodes after each team's first ones.
STAGES = [(ALLOCATED, 8), (ASSESSING, 7), (ACTIVE, 62), (REVIEWING, 6), (CLOSING, 3), (CLOSED, 14)]
# Each team's first episodes, all led by its Child and Family Support worker: (stage, extension asked, review late).
FIRST_IN_TEAM = [(ACTIVE, True, False), (ACTIVE, False, True), (CLOSED, False, False), (CLOSING, False, False)]

# The models in the order they are written: each after the records it points to.
ORDER = [
    EarlyHelpAssessment,
    AssessmentSubject,
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
    first: bool = False  # one of its team's first episodes, which show every kind of work
    pathway: str = Episode.Pathway.TARGETED
    lead_agency: Agency | None = None  # the partner agency leading partner-led early help
    episode: Episode | None = None  # the episode the MASH requested, taken up by the team
    dates: tuple = ()  # for a requested episode taken up: requested, allocated, started and ended (or None)


@dataclass
class Rows:
    """Records built for one chunk of episodes, written model by model."""

    records: dict = field(default_factory=lambda: defaultdict(list))
    links: dict = field(default_factory=lambda: defaultdict(list))
    updates: list = field(default_factory=list)  # episodes already saved (requested by the MASH), taken up

    def add(self, *objs) -> None:
        for obj in objs:
            self.records[type(obj)].append(obj)

    def update(self, episode: Episode) -> None:
        self.updates.append(episode)

    def link(self, through, left, people) -> None:
        self.links[through].extend((left, person) for person in people)

    def write(self, *, user: User) -> None:
        for model in ORDER:
            rows_insert(self.records[model], user=user)
            if model is EarlyHelpAssessment:
                self._taken_up_write(user=user)
        for through, pairs in self.links.items():
            links_insert(through, pairs)

    def _taken_up_write(self, *, user: User) -> None:
        """Requested episodes taken up: allocated (with the assessment now saved), and their contacts closed, as
        allocation closes them."""
        if not self.updates:
            return
        now = timezone.now()
        for episode in self.updates:
            episode.assessment_id = episode.assessment.pk if episode.assessment else None
            episode.updated_at = now
        fields = [
            "status",
            "pathway",
            "lead_practitioner",
            "lead_agency",
            "assessment",
            "allocated_at",
            "allocated_by",
            "next_review_due",
            "closed_at",
            "updated_at",
        ]
        bulk_update_with_history(self.updates, Episode, fields, batch_size=500, default_user=user)
        contacts = [episode.contact_id for episode in self.updates]
        Contact.objects.filter(pk__in=contacts, status=Contact.Status.DECIDED).update(status=Contact.Status.CLOSED)


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
    rng = random.Random(f"casework-{seed}")  # nosec B311  # seeded generator for synthetic demo data, not for anything secret
    staff = _staff_by_team(families, users)
    # The requests the MASH made, and the partners, draw on their own random numbers: the rest of the demo stays
    # as it was for a given seed.
    cases = _cases_choose(rng, families, staff) + _taken_up_choose(random.Random(f"taken-up-{seed}"), families, staff)  # nosec B311  # seeded generator for synthetic demo data, not for anything secret
    _taf_partners_choose(cases, users)
    builder = parts.Builder(rng=rng, agencies=agencies)
    partners = Partners(rng=random.Random(f"partners-{seed}"), users=users, agencies=agencies)  # nosec B311  # seeded generator for synthetic demo data, not for anything secret
    for start in range(0, len(cases), CHUNK):
        chunk = cases[start : start + CHUNK]
        with transaction.atomic():
            rows = Rows()
            members = _members_by_family([case.family.pk for case in chunk])
            partners.chunk_start([case.family.pk for case in chunk])
            for case in chunk:
                wanted = not case.first and case.episode is None and partners.rng.random() < PARTNER_LED
                partners.choose(case, members[case.family.pk], builder.today, partner_led_wanted=wanted)
                builder.episode_build(rows, case, members[case.family.pk], partners)
            rows.write(user=seeder)
            partners.grants_write(seeder=seeder)
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


def _taken_up_choose(rng: random.Random, families: list[Family], staff: dict[int, Staff]) -> list[Case]:
    """The early help the MASH asked for over the past year (`mash_history`), each taken up by the family's team a
    few days after the decision: still being assessed or worked on if recent, closed since if not. The requests of
    the last days stay in the allocation queue."""
    today = timezone.localdate()
    ours = {family.pk: family for family in families}
    requested = Episode.objects.filter(
        status=Episode.Status.REQUESTED,
        route=Episode.Route.MASH,
        requested_at__lt=timezone.now() - timedelta(days=2),
        family__restricted=False,
    ).order_by("requested_at", "id")
    cases = []
    for episode in requested:
        family = ours.get(episode.family_id)
        if family is None:
            continue
        episode.family = family
        team = staff[family.local_area_team_id]
        day = timezone.localdate(episode.requested_at)
        allocated = min(working_days_after(day, rng.randint(1, 4)), today)
        stage, started, ended = _taken_up_stage(rng, allocated, today)
        lead = team.cfs if rng.random() < 0.8 else team.lead  # the MASH's requests go mostly to CFS workers
        case = Case(family, stage, lead, team, pathway=episode.pathway, episode=episode)
        case.dates = (day, allocated, started, ended)
        cases.append(case)
    return cases


def _taken_up_stage(rng: random.Random, allocated: date, today: date) -> tuple[str, date, date | None]:
    """The stage an episode allocated on `allocated` has reached, when its work started (the initial TAF meeting
    once there is a plan) and, if closed, when it closed."""
    since = (today - allocated).days
    if since < 12:
        return ALLOCATED, allocated, None
    if since < 25:
        return ASSESSING, allocated, None
    started = working_day_on_or_before(allocated + timedelta(days=rng.randint(7, 18)))
    if (today - started).days <= 70:
        return ACTIVE, started, None
    closed = min(started + timedelta(days=rng.randint(84, 150)), today - timedelta(days=3))
    return CLOSED, started, working_day_on_or_before(closed)


def _cases_choose(rng: random.Random, families: list[Family], staff: dict[int, Staff]) -> list[Case]:
    """Each team's first few families, then about a quarter of the rest, skipping any with open early help or
    stepped up to children's social care by the MASH."""
    already_open = set(Episode.objects.filter(status__in=Episode.OPEN).values_list("family_id", flat=True))
    already_open |= set(
        Transfer.objects.filter(contact__isnull=False, direction=Transfer.Direction.STEP_UP).values_list(
            "family_id", flat=True
        )
    )
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
            cases.append(Case(family, stage, team.cfs, team, extension=extension, review_late=late, first=True))
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
