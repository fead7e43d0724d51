"""The data behind each key page, grown a few rows at a time, and the request that opens or saves the page.

Each page's `grow(world, count)` adds `count` more of what the page lists (families, members, goals...), so one test
can measure the page at its small size, grow it, and measure it again. Everything is synthetic."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import count as numbers

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import EarlyHelpAssessment
from cases.models import Closure, Episode, FamilyMember, Relationship, Transfer
from documents.models import Document, DocumentRequest
from earlyhelp.audit.models import AccessChainHead
from earlyhelp.audit.services import GENESIS_HASH, access_event_record
from earlyhelp.core import perms
from locality.services import membership_add
from referrals.models import Contact
from reporting.snapshots import indicators_snapshot_month
from tests.factories import (
    ActionFactory,
    AgencyFactory,
    AllocatedEpisodeFactory,
    AssessmentFactory,
    ClosureFactory,
    ConsentRecordFactory,
    ConsentShareFactory,
    ContactChildFactory,
    ContactFactory,
    EpisodeFactory,
    FamilyFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    GoalScoreFactory,
    InterventionFactory,
    NeedFactory,
    NotificationFactory,
    PersonFactory,
    ProfessionalInvolvementFactory,
    RelationshipFactory,
    TafMeetingFactory,
    TafMemberFactory,
    TaskFactory,
    UserFactory,
)
from tests.reporting.test_snapshots import decide, last_month

SEARCH_NAME = "Ada Quillfeather"
SEARCH_BORN = date(2015, 3, 2)
SEARCH_NHS_NUMBER = "9434765919"


@dataclass
class World:
    """One persona, their client and what the page's builders have made so far."""

    request: object  # pytest's request, for the persona fixtures of tests/conftest.py
    persona: str
    client: Client = field(init=False)
    user: object = field(init=False)
    made: dict = field(default_factory=dict)
    serial: numbers = field(default_factory=lambda: numbers(1))

    def __post_init__(self):
        self.lats = self.request.getfixturevalue("lats")
        self.user = self.request.getfixturevalue(f"{self.persona}_user")
        self.client = self.request.getfixturevalue(f"{self.persona}_client")
        # The access log's chain head exists from the first view on; making it here keeps its one-off creation (a
        # savepoint and an insert) out of every page's count, as in a running service.
        AccessChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})

    @property
    def team(self):
        return self.lats["tang-hall"]

    def next(self) -> int:
        return next(self.serial)


@dataclass(frozen=True)
class Visit:
    """The request a page is measured with, and how many rows the page shows in its response."""

    url: str
    data: dict | None = None  # POSTed when given
    status: int = 200
    shown: Callable | None = None  # response -> rows shown, to check the rows were really there

    def send(self, client: Client):
        return client.get(self.url) if self.data is None else client.post(self.url, self.data)


def _object_list(key: str = "page") -> Callable:
    return lambda response: len(response.context[key].object_list)


# --- Families ----------------------------------------------------------------------------------------------------


def families_grow(world: World, count: int) -> None:
    """Families of the persona's team, each with a child."""
    for _ in range(count):
        FamilyMemberFactory(family=FamilyFactory(local_area_team=world.team))


def family_list_visit(world: World) -> Visit:
    return Visit(reverse("cases:family_list"), shown=_object_list())


def family_setup(world: World) -> None:
    world.made["family"] = FamilyFactory(local_area_team=world.team)
    world.made["members"] = []


def granted_family_setup(world: World) -> None:
    """A family of another team, granted to the persona (a partner sees it while consent covers their agency)."""
    from cases.services import family_access_grant

    world.made["family"] = FamilyFactory(local_area_team=world.lats["clifton"])
    world.made["members"] = []
    family_access_grant(family=world.made["family"], user=world.user)


def family_grow(world: World, count: int) -> None:
    """Members, each related to the one before; a professional involvement, a consent with a share, an open task,
    an assessment and an earlier episode of early help for each."""
    family = world.made["family"]
    for _ in range(count):
        person = FamilyMemberFactory(family=family).person
        if world.made["members"]:
            RelationshipFactory(
                family=family, person=world.made["members"][-1], relative=person, kind=Relationship.Kind.SIBLING
            )
        world.made["members"].append(person)
        ProfessionalInvolvementFactory(family=family, person=person)
        ConsentShareFactory(
            consent=ConsentRecordFactory(family=family, status="given"), agency=None, agency_type="school"
        )
        TaskFactory(family=family, assigned_to=world.user)
        AssessmentFactory(family=family, assessor=world.user)
        EpisodeFactory(family=family, status=Episode.Status.CLOSED, lead_practitioner=world.user)


def family_page_visit(world: World) -> Visit:
    family = world.made["family"]
    return Visit(
        reverse("cases:family_detail", kwargs={"uuid": family.uuid}),
        shown=lambda response: len(response.context["family"].visible_members),
    )


# --- Person search -----------------------------------------------------------------------------------------------


def _search(world: World, criteria: dict) -> None:
    """Post the search once (it is saved in the session, so no name or NHS number is in an address)."""
    born = criteria.get("date_of_birth")
    post = {"name": criteria.get("name", ""), "nhs_number": criteria.get("nhs_number", ""), "postcode": ""}
    if born:
        post |= {"date_of_birth_0": born.day, "date_of_birth_1": born.month, "date_of_birth_2": born.year}
    response = world.client.post(reverse("cases:search"), post)
    assert response.status_code == 302, response.content.decode()[:2000]


def _search_results() -> str:
    return reverse("cases:search") + "?results=1"


def search_by_name_setup(world: World) -> None:
    _search(world, {"name": SEARCH_NAME, "date_of_birth": SEARCH_BORN})


def search_by_name_grow(world: World, count: int) -> None:
    """People of that name and date of birth, each in a family of the persona's team with the same surname, and
    as many in another team's families (each a "record exists" line)."""
    first, last = SEARCH_NAME.split()
    for _ in range(count):
        for team in (world.team, world.lats["hob-moor"]):
            family = FamilyFactory(local_area_team=team, name=last)
            FamilyMemberFactory(
                family=family, person=PersonFactory(first_name=first, last_name=last, date_of_birth=SEARCH_BORN)
            )


def search_visit(world: World) -> Visit:
    return Visit(_search_results(), shown=_object_list())


def search_by_nhs_number_setup(world: World) -> None:
    world.made["person"] = PersonFactory(nhs_number=SEARCH_NHS_NUMBER, date_of_birth=SEARCH_BORN)
    _search(world, {"nhs_number": SEARCH_NHS_NUMBER})


def search_by_nhs_number_grow(world: World, count: int) -> None:
    """The families the person with that NHS number is in: one of the persona's team, one of another team."""
    for _ in range(count):
        for team in (world.team, world.lats["hob-moor"]):
            FamilyMemberFactory(family=FamilyFactory(local_area_team=team), person=world.made["person"])


def search_by_nhs_number_visit(world: World) -> Visit:
    return Visit(
        _search_results(),
        shown=lambda response: len(response.context["page"].object_list[0].visible_memberships),
    )


# --- The MASH ----------------------------------------------------------------------------------------------------


def contacts_grow(world: World, count: int) -> None:
    """Open contacts about families across the city, each about one child, some assigned to the persona; and as
    many closed ones, which the inbox leaves out."""
    teams = list(world.lats.values())
    for _ in range(count):
        number = world.next()
        family = FamilyFactory(local_area_team=teams[number % len(teams)])
        contact = ContactFactory(
            family=family,
            rag=("red", "amber", "green", "")[number % 4],
            status=(Contact.Status.RECEIVED, Contact.Status.SCREENING)[number % 2],
            assigned_to=world.user if number % 3 == 0 else None,
        )
        ContactChildFactory(contact=contact, person=FamilyMemberFactory(family=family).person)
        ContactFactory(family=FamilyFactory(local_area_team=family.local_area_team), status=Contact.Status.CLOSED)


def inbox_visit(world: World) -> Visit:
    return Visit(reverse("referrals:inbox"), shown=_object_list())


# --- A worker's and a team's work --------------------------------------------------------------------------------


def _work_for(world: World, worker, count: int) -> None:
    """For each of `count` families: an episode `worker` leads with a review due, a plan with an overdue action,
    an active intervention, and tasks open and recently done."""
    today = timezone.localdate()
    for _ in range(count):
        family = FamilyFactory(local_area_team=world.team)
        episode = AllocatedEpisodeFactory(family=family, lead_practitioner=worker, next_review_due=today)
        action = ActionFactory(plan=FamilyPlanFactory(episode=episode), owner_user=worker)
        TaskFactory(family=family, episode=episode, assigned_to=worker, key=f"review_due:{episode.uuid}")
        TaskFactory(
            family=family, assigned_to=worker, key=f"action_overdue:{action.uuid}", due_on=today - timedelta(days=2)
        )
        TaskFactory(family=family, assigned_to=worker, status="done", completed_on=today)
        InterventionFactory(episode=episode, family=family, worker=worker)


def own_work_grow(world: World, count: int) -> None:
    _work_for(world, world.user, count)


def caseload_visit(world: World) -> Visit:
    return Visit(reverse("cases:caseload"), shown=_object_list())


def my_tasks_visit(world: World) -> Visit:
    return Visit(reverse("cases:my_tasks"), shown=lambda response: len(response.context["rows"]))


def team_workers_grow(world: World, count: int) -> None:
    """Workers in the manager's team, each with the work of one family."""
    team = world.user.memberships.first().team
    for _ in range(count):
        worker = UserFactory()
        membership_add(user=worker, team=team, role=perms.CFS_WORKER)
        _work_for(world, worker, 1)


def team_caseload_visit(world: World) -> Visit:
    return Visit(reverse("cases:team_caseload"), shown=_object_list("loads"))


def requests_grow(world: World, count: int) -> None:
    """Requests for early help from the MASH, waiting for the persona's team to allocate them."""
    for _ in range(count):
        family = FamilyFactory(local_area_team=world.team)
        EpisodeFactory(family=family, contact=ContactFactory(family=family, status=Contact.Status.DECIDED))


def allocation_queue_visit(world: World) -> Visit:
    return Visit(reverse("cases:allocation_queue"), shown=_object_list())


# --- The home page -----------------------------------------------------------------------------------------------


def home_grow(world: World, count: int) -> None:
    """Families the persona sees with an open task each and a notification each, requests for the team to
    allocate, and open contacts for the MASH."""
    for _ in range(count):
        family = FamilyFactory(local_area_team=world.team)
        TaskFactory(family=family, assigned_to=world.user)
        NotificationFactory(user=world.user)
        EpisodeFactory(family=family)
    contacts_grow(world, count)


def home_visit(world: World) -> Visit:
    return Visit(reverse("core:home"), shown=lambda response: len(response.context["recent_families"]))


# --- The indicators dashboard ------------------------------------------------------------------------------------


def dashboard_grow(world: World, count: int) -> None:
    """Months of stored indicators, most recent first, each with contacts the MASH decided for two teams."""
    done = world.made.get("months", 0)
    for period in last_month().last(done + count)[:count]:  # oldest first: the months before those done
        for day in (2, 9):
            decide(world.team, on=period.start + timedelta(days=day))
        decide(world.lats["hob-moor"], on=period.start + timedelta(days=3))
        indicators_snapshot_month(period=period)
    world.made["months"] = done + count


def dashboard_visit(world: World) -> Visit:
    return Visit(reverse("reporting:dashboard"))


# --- An episode and its plan -------------------------------------------------------------------------------------


def episode_setup(world: World) -> None:
    family = FamilyFactory(local_area_team=world.team)
    world.made["episode"] = AllocatedEpisodeFactory(family=family, lead_practitioner=world.user)


def episode_grow(world: World, count: int) -> None:
    """TAF members, interventions, refused closures and step-up records of the episode."""
    episode = world.made["episode"]
    family = episode.family
    for _ in range(count):
        TafMemberFactory(episode=episode, family=family)
        InterventionFactory(episode=episode, family=family)
        ClosureFactory(episode=episode, family=family, status=Closure.Status.REFUSED, refusal_reason="Not yet")
        Transfer.objects.create(
            family=family, episode=episode, direction="step_up", kind="strategy", created_by=world.user
        )


def episode_visit(world: World) -> Visit:
    return Visit(reverse("cases:episode_detail", kwargs={"uuid": world.made["episode"].uuid}))


def plan_setup(world: World) -> None:
    """A draft plan of an episode the persona leads, built on an authorised assessment."""
    episode_setup(world)
    episode = world.made["episode"]
    assessment = AssessmentFactory(family=episode.family, status=EarlyHelpAssessment.Status.AUTHORISED)
    world.made["assessment"] = assessment
    world.made["meeting"] = TafMeetingFactory(episode=episode, family=episode.family)
    world.made["plan"] = FamilyPlanFactory(episode=episode, family=episode.family, created_by=world.user)


def plan_grow(world: World, count: int) -> None:
    """Goals, each for a member of the family and linked to a need, with two scores and three actions (the
    persona's, an agency's and the person's own), and a TAF member."""
    plan, user, meeting = world.made["plan"], world.user, world.made["meeting"]
    for _ in range(count):
        number = world.next()
        person = FamilyMemberFactory(family=plan.family, role=FamilyMember.Role.CHILD).person
        need = NeedFactory(assessment=world.made["assessment"], person=person)
        goal = GoalFactory(plan=plan, position=number, person=person, need=need)
        GoalScoreFactory(goal=goal, score=4, recorded_by=user)
        GoalScoreFactory(goal=goal, score=6, recorded_by=user, meeting=meeting)
        ActionFactory(plan=plan, goal=goal, owner_user=user)
        ActionFactory(plan=plan, goal=goal, owner_user=None, owner_agency=AgencyFactory())
        ActionFactory(plan=plan, owner_user=None, owner_person=person)
        TafMemberFactory(episode=plan.episode, family=plan.family, user=UserFactory(), agency=AgencyFactory())


def _plan_url(name: str, world: World) -> str:
    return reverse(name, kwargs={"uuid": world.made["plan"].uuid})


def plan_visit(world: World) -> Visit:
    return Visit(_plan_url("cases:plan_detail", world), shown=lambda response: len(response.context["plan"].goal_list))


def plan_save_visit(world: World) -> Visit:
    plan = world.made["plan"]
    plan.refresh_from_db()
    summary = f"Steady routines at home and school, version {world.next()}"
    return Visit(
        _plan_url("cases:plan_edit", world), data={"summary": summary, "lock_version": plan.lock_version}, status=302
    )


def goal_add_visit(world: World) -> Visit:
    need = world.made["assessment"].needs.order_by("id").first()
    data = {
        "text": "Every morning the children are at school by 8:50 within six weeks",
        "person": need.person_id,
        "need": need.pk,
        "baseline": "3",
        "target": "8",
    }
    return Visit(_plan_url("cases:goal_add", world), data=data, status=302)


def plan_pdf_visit(world: World) -> Visit:
    return Visit(_plan_url("documents:plan_pdf", world), data={}, status=302)


# --- Documents and the access log --------------------------------------------------------------------------------


def documents_grow(world: World, count: int) -> None:
    """The persona's requests for PDFs of the family's plan, every other one made."""
    plan = world.made["plan"]
    for _ in range(count):
        ready = world.next() % 2 == 0
        request = DocumentRequest.objects.create(
            kind="plan",
            family=plan.family,
            record_uuid=plan.uuid,
            requested_by=world.user,
            template_version="plan-1",
            status=DocumentRequest.Status.READY if ready else DocumentRequest.Status.QUEUED,
        )
        if ready:
            document = Document.objects.create(
                request=request,
                filename=f"plan-{plan.family.reference}.pdf",
                sha256="0" * 64,
                size=10,
                page_count=1,
                template_version="plan-1",
                record_version="version 1",
            )
            document.families.set([plan.family])


def family_documents_visit(world: World) -> Visit:
    family = world.made["plan"].family
    return Visit(reverse("documents:family_documents", kwargs={"uuid": family.uuid}), shown=_object_list())


def viewed_setup(world: World) -> None:
    world.made["family"] = FamilyFactory(local_area_team=world.team)
    world.made["viewers"] = [world.request.getfixturevalue(name) for name in ("cfs_worker_user", "other_lat_user")]


def viewed_grow(world: World, count: int) -> None:
    """Views of the family, of a new member of it and of an assessment of it, by two practitioners."""
    family = world.made["family"]
    for _ in range(count):
        number = world.next()
        viewer = world.made["viewers"][number % 2]
        person = FamilyMemberFactory(family=family).person
        record = (family, person, AssessmentFactory(family=family))[number % 3]
        access_event_record(user=viewer, action="view", obj=record)


def viewed_visit(world: World) -> Visit:
    family = world.made["family"]
    return Visit(
        reverse("audit:family_access", kwargs={"uuid": family.uuid}),
        shown=lambda response: len(response.context["page"].rows),
    )
