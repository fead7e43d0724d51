"""Reads of family plans, their goals and actions, always through the families a user may see."""

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from assessments.models import EarlyHelpAssessment, Need, Scaling
from cases.models import Action, Episode, FamilyPlan, Goal, GoalScore, TafMember
from cases.selectors import families_visible_to, family_people_visible, people_visible_to, team_workers
from locality.models import Agency

# How a family member the reader may not see is named instead (restricted people only through the allow-list).
SOMEONE_IN_THE_FAMILY = "someone in the family"

OPEN_ACTION = (Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS)
LIVE_PLAN = (FamilyPlan.Status.DRAFT, FamilyPlan.Status.AGREED)

_PLAN_RELATED = ("episode", "family", "episode__lead_practitioner", "created_by", "agreed_by")


def plan_get(*, user, uuid) -> FamilyPlan:
    """A plan of a family `user` may see, with its episode, or 404."""
    try:
        return (
            FamilyPlan.objects.filter(family__in=families_visible_to(user))
            .select_related(*_PLAN_RELATED)
            .get(uuid=uuid)
        )
    except (FamilyPlan.DoesNotExist, ValueError):
        raise Http404("No such plan") from None


def goal_get(*, user, uuid) -> Goal:
    """A goal on a plan of a family `user` may see, or 404."""
    try:
        return (
            Goal.objects.filter(plan__family__in=families_visible_to(user))
            .select_related(*(f"plan__{name}" for name in _PLAN_RELATED), "person", "need")
            .get(uuid=uuid)
        )
    except (Goal.DoesNotExist, ValueError):
        raise Http404("No such goal") from None


def action_get(*, user, uuid) -> Action:
    """An action on a plan of a family `user` may see, or 404."""
    try:
        return (
            Action.objects.filter(plan__family__in=families_visible_to(user))
            .select_related(
                *(f"plan__{name}" for name in _PLAN_RELATED), "goal", "owner_user", "owner_agency", "owner_person"
            )
            .get(uuid=uuid)
        )
    except (Action.DoesNotExist, ValueError):
        raise Http404("No such action") from None


def visible_person_ids(*, user, family) -> set[int]:
    """The ids of the members of `family` that `user` may see, in one query."""
    return set(family_people_visible(user=user, family=family).values_list("pk", flat=True))


def person_is_hidden(person_id: int | None, visible_ids: set[int]) -> bool:
    """Whether a record names a family member the reader may not see: name them as someone in the family."""
    return person_id is not None and person_id not in visible_ids


def action_is_overdue(action: Action, today=None) -> bool:
    """Past its due date and not yet done (or given up)."""
    return action.status in OPEN_ACTION and action.due_on < (today or timezone.localdate())


def plan_page(*, user, uuid) -> FamilyPlan:
    """A plan with everything its page shows, in a fixed number of queries: goals with their scaling history,
    actions grouped by goal, the Team Around the Family, and the plan's other versions. A goal's person or an
    action's owner that `user` may not see is marked hidden (`person_hidden`, `owner_hidden`), never named."""
    plan = plan_get(user=user, uuid=uuid)
    scores = GoalScore.objects.select_related("recorded_by", "meeting")
    goals = list(
        plan.goals.select_related("person", "need", "carried_from__plan").prefetch_related(
            Prefetch("scores", queryset=scores, to_attr="score_list")
        )
    )
    actions = list(plan.actions.select_related("owner_user", "owner_agency", "owner_person", "goal"))
    today = timezone.localdate()
    visible = visible_person_ids(user=user, family=plan.family)
    for action in actions:
        action.overdue = action_is_overdue(action, today)
        action.owner_hidden = person_is_hidden(action.owner_person_id, visible)
    for goal in goals:
        goal.person_hidden = person_is_hidden(goal.person_id, visible)
        goal.action_list = [a for a in actions if a.goal_id == goal.pk]
    plan.goal_list = goals
    plan.unlinked_actions = [a for a in actions if a.goal_id is None]
    plan.action_count = len(actions)
    plan.overdue_count = sum(a.overdue for a in actions)
    plan.taf_list = list(
        TafMember.objects.filter(episode_id=plan.episode_id, status=TafMember.Status.ACTIVE).select_related(
            "user", "agency"
        )
    )
    plan.versions = list(FamilyPlan.objects.filter(episode_id=plan.episode_id).only("uuid", "version", "status"))
    return plan


def plan_draft_for(*, episode: Episode) -> FamilyPlan | None:
    """The episode's draft plan, if there is one."""
    return episode.plans.filter(status=FamilyPlan.Status.DRAFT).first()


def plan_agreed_for(*, episode: Episode) -> FamilyPlan | None:
    """The episode's agreed plan, if there is one: a new version is copied from it."""
    return episode.plans.filter(status=FamilyPlan.Status.AGREED).first()


def plan_copy_counts(*, plan: FamilyPlan) -> tuple[int, int]:
    """How many goals and actions a new version would carry over from `plan`."""
    return (
        plan.goals.filter(status=Goal.Status.OPEN).count(),
        plan.actions.filter(status__in=OPEN_ACTION).count(),
    )


def plan_source_assessment(*, episode: Episode) -> EarlyHelpAssessment | None:
    """The authorised assessment a first plan is built on: the episode's own, else the family's latest authorised."""
    authorised = EarlyHelpAssessment.Status.AUTHORISED
    if episode.assessment_id and episode.assessment.status == authorised:
        return episode.assessment
    return (
        EarlyHelpAssessment.objects.filter(family_id=episode.family_id, status=authorised).order_by("-version").first()
    )


@dataclass(frozen=True)
class GoalSuggestion:
    """An identified need offered as a goal on a first plan."""

    need: Need
    for_whom: str
    text: str
    baseline: int | None


def plan_goal_suggestions(*, user, assessment: EarlyHelpAssessment | None) -> list[GoalSuggestion]:
    """Each need of an authorised assessment (about someone `user` may see) as a goal to confirm, with a baseline
    from that person's own scaling in the assessment (the practitioner's for a whole-family need)."""
    if assessment is None or assessment.status != EarlyHelpAssessment.Status.AUTHORISED:
        return []
    needs = assessment.needs.filter(Q(person__isnull=True) | Q(person__in=people_visible_to(user))).select_related(
        "person"
    )
    scales: dict[int | None, int] = {}
    for scaling in Scaling.objects.filter(assessment=assessment).order_by("id"):
        scales.setdefault(scaling.person_id, scaling.score)
    return [
        GoalSuggestion(
            need=need,
            for_whom=need.person.full_name if need.person_id else "Whole family",
            text=need.description,
            baseline=scales.get(need.person_id),
        )
        for need in needs
    ]


def plan_needs(*, user, plan: FamilyPlan) -> QuerySet[Need]:
    """The needs a goal on `plan` may be linked to: those of the plan's source assessment about people `user` sees."""
    assessment = plan_source_assessment(episode=plan.episode)
    if assessment is None:
        return Need.objects.none()
    return assessment.needs.filter(Q(person__isnull=True) | Q(person__in=people_visible_to(user))).select_related(
        "person"
    )


def plan_people(*, user, plan: FamilyPlan):
    """The family members `user` may see: who a goal is for, or who owns an action."""
    return family_people_visible(user=user, family=plan.family)


def action_practitioners(*, episode: Episode, include=None) -> QuerySet:
    """Practitioners who may own an action: the lead practitioner, active TAF members and the team's workers
    (and the current owner, so an edit never loses them)."""
    from earlyhelp.accounts.models import User

    chosen = Q(pk__in=team_workers(local_area_team=episode.local_area_team).values("pk"))
    chosen |= Q(pk__in=TafMember.objects.filter(episode=episode, status=TafMember.Status.ACTIVE).values("user"))
    if episode.lead_practitioner_id:
        chosen |= Q(pk=episode.lead_practitioner_id)
    if include is not None:
        chosen |= Q(pk=include)
    return User.objects.filter(chosen).order_by("full_name", "id")


def action_agencies() -> QuerySet[Agency]:
    """Agencies that may own an action."""
    return Agency.objects.order_by("name")


def my_actions(*, user) -> QuerySet[Action]:
    """Outstanding actions on live plans of open episodes that `user` owns, or that their agency owns on an episode
    where they are an active member of the Team Around the Family; only families `user` may see. Soonest due first."""
    mine = Q(owner_user=user)
    if user.agency_id:
        taf_episodes = TafMember.objects.filter(user=user, status=TafMember.Status.ACTIVE).values("episode")
        mine |= Q(owner_agency_id=user.agency_id, plan__episode__in=taf_episodes)
    return (
        Action.objects.filter(
            mine,
            plan__status__in=LIVE_PLAN,
            plan__episode__status__in=Episode.OPEN,
            plan__family__in=families_visible_to(user),
            status__in=OPEN_ACTION,
        )
        .select_related("plan", "plan__family", "goal", "owner_user", "owner_agency", "owner_person")
        .order_by("due_on", "id")
    )
