"""Writes for the family plan: versions (draft, agreed, superseded), SMART goals and their scaling, and actions.

Every write refuses changes to a closed episode (`episode_require_open`) and to a superseded version. Plans, goals
and actions are saved through `locked_save`, so a stale copy is refused instead of overwriting someone's change.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from cases.models import Action, Episode, FamilyPlan, Goal, GoalScore, Person
from cases.selectors.plans import OPEN_ACTION, action_practitioners
from cases.services.episodes import EpisodeError, episode_move, episode_require_open
from earlyhelp.core.locking import locked_save
from earlyhelp.core.states import status_move
from earlyhelp.core.validation import full_clean_new, full_clean_only

DRAFT_EXISTS = (
    "There is already a draft of this plan. Carry on with that draft: an episode has only one draft at a time"
)
SUPERSEDED_READ_ONLY = "This version of the plan has been replaced by a later one, so it can no longer be changed"
NO_OWNER = "Choose who owns the action: a practitioner, an agency or a family member"
ACTION_FINISHED = (Action.Status.DONE, Action.Status.NOT_DONE)


class PlanError(EpisodeError):
    """A change to a plan that the rules refuse; the message is shown to the user."""


@dataclass(frozen=True)
class GoalDraft:
    """A goal the worker confirmed from a need of the assessment."""

    text: str
    baseline: int
    target: int
    person: Person | None = None
    need: object | None = None


def action_overdue_key(action: Action) -> str:
    """The key of the task raised when `action` is overdue (raised by the daily sweep, closed here)."""
    return f"action_overdue:{action.uuid}"


def _require_editable(plan: FamilyPlan) -> None:
    episode_require_open(plan.episode)
    if plan.status == FamilyPlan.Status.SUPERSEDED:
        raise PlanError(SUPERSEDED_READ_ONLY)


def _require_family_person(plan: FamilyPlan, person: Person | None, field: str) -> None:
    if person is not None and not plan.family.members.filter(person=person).exists():
        raise ValidationError({field: "Choose someone in this family"})


def _require_family_need(plan: FamilyPlan, need, field: str = "need") -> None:
    if need is not None and need.assessment.family_id != plan.family_id:
        raise ValidationError({field: "Choose a need from this family's assessment"})


def _goal_save_new(*, user, plan: FamilyPlan, draft: GoalDraft, position: int) -> Goal:
    goal = Goal(
        plan=plan,
        text=draft.text.strip(),
        person=draft.person,
        need=draft.need,
        baseline=draft.baseline,
        target=draft.target,
        latest=draft.baseline,
        position=position,
    )
    full_clean_new(goal)
    goal.save()
    # The history of a goal's scale starts where the family starts.
    score = GoalScore(goal=goal, score=draft.baseline, comment="Baseline", recorded_by=user)
    full_clean_new(score)
    score.save()
    return goal


def _plan_copy(*, source: FamilyPlan, plan: FamilyPlan) -> None:
    """Carry the agreed plan's open goals and unfinished actions into the new draft."""
    carried: dict[int, Goal] = {}
    for goal in source.goals.filter(status=Goal.Status.OPEN):
        copy = Goal(
            plan=plan,
            text=goal.text,
            person_id=goal.person_id,
            need_id=goal.need_id,
            baseline=goal.baseline,
            target=goal.target,
            latest=goal.latest,
            position=goal.position,
            carried_from=goal,
        )
        copy.full_clean()
        copy.save()
        carried[goal.pk] = copy
    for action in source.actions.filter(status__in=OPEN_ACTION):
        copy = Action(
            plan=plan,
            goal=carried.get(action.goal_id),
            what=action.what,
            owner_user_id=action.owner_user_id,
            owner_agency_id=action.owner_agency_id,
            owner_person_id=action.owner_person_id,
            due_on=action.due_on,
            status=action.status,
            carried_from=action,
        )
        copy.full_clean()
        copy.save()


@transaction.atomic
def plan_create(*, user, episode: Episode, summary: str = "", goals: Sequence[GoalDraft] = ()) -> FamilyPlan:
    """Start the next version of an episode's plan: the first from the needs the worker confirmed, a later one as a
    draft copied from the agreed plan. An episode has at most one draft."""
    episode = Episode.objects.select_for_update().select_related("family").get(pk=episode.pk)
    episode_require_open(episode)
    if episode.plans.filter(status=FamilyPlan.Status.DRAFT).exists():
        raise PlanError(DRAFT_EXISTS)
    agreed = episode.plans.filter(status=FamilyPlan.Status.AGREED).first()
    version = (episode.plans.aggregate(last=Max("version"))["last"] or 0) + 1
    summary = summary.strip() or (agreed.summary if agreed else "")
    plan = FamilyPlan(episode=episode, family=episode.family, version=version, summary=summary, created_by=user)
    plan.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:  # another draft started at the same moment
        raise PlanError(DRAFT_EXISTS) from None
    if agreed is not None:
        _plan_copy(source=agreed, plan=plan)
    start = plan.goals.count()
    for number, draft in enumerate(goals, start=1):
        _require_family_person(plan, draft.person, "person")
        _require_family_need(plan, draft.need)
        try:
            _goal_save_new(user=user, plan=plan, draft=draft, position=start + number)
        except ValidationError as error:
            raise ValidationError([f"Goal {number}: {message}" for message in error.messages]) from None
    return plan


@transaction.atomic
def plan_agree(*, user, plan: FamilyPlan, agreed_on: date, family_agreed: bool) -> FamilyPlan:
    """The family and the lead practitioner agree a draft: the previously agreed version is superseded, and an
    episode still being allocated or assessed becomes one with an active plan."""
    plan = FamilyPlan.objects.select_for_update().select_related("episode").get(pk=plan.pk)
    episode_require_open(plan.episode)
    status_move(plan, FamilyPlan.Status.AGREED, error=PlanError, noun="A plan")
    if not plan.goals.exists():
        raise PlanError("Add at least one goal before the plan is agreed")
    if not family_agreed:
        raise ValidationError({"family_agreed": "Confirm that the family agreed the plan"})
    if agreed_on > timezone.localdate():
        raise ValidationError({"agreed_on": "The date the plan was agreed must be today or in the past"})
    previous = FamilyPlan.objects.select_for_update().filter(episode=plan.episode, status=FamilyPlan.Status.AGREED)
    for old in previous:
        status_move(old, FamilyPlan.Status.SUPERSEDED, error=PlanError, noun="A plan")
        old.save(update_fields=["status", "updated_at"])
    plan.agreed_on, plan.agreed_by, plan.family_agreed = agreed_on, user, True
    plan.full_clean()
    plan.save(update_fields=["status", "agreed_on", "agreed_by", "family_agreed", "updated_at"])
    if plan.episode.status in (Episode.Status.ALLOCATED, Episode.Status.ASSESSING):
        episode_move(episode=plan.episode, status=Episode.Status.PLAN_ACTIVE)
    return plan


@transaction.atomic
def plan_edit(*, user, plan: FamilyPlan, summary: str, lock_version: int) -> FamilyPlan:
    """Change what needs to happen, unless someone else saved the plan since this person opened it."""
    _require_editable(plan)
    plan.summary = summary.strip()
    full_clean_only(plan, "summary")
    locked_save(plan, expected_version=lock_version, update_fields=["summary"])
    return plan


@transaction.atomic
def goal_add(
    *, user, plan: FamilyPlan, text: str, baseline: int, target: int, person: Person | None = None, need=None
) -> Goal:
    """Add a SMART goal to a plan; its scaling history starts at the baseline."""
    _require_editable(plan)
    _require_family_person(plan, person, "person")
    _require_family_need(plan, need)
    position = (plan.goals.aggregate(last=Max("position"))["last"] or 0) + 1
    draft = GoalDraft(text=text, baseline=baseline, target=target, person=person, need=need)
    return _goal_save_new(user=user, plan=plan, draft=draft, position=position)


@transaction.atomic
def goal_edit(
    *,
    user,
    goal: Goal,
    text: str,
    baseline: int,
    target: int,
    status: str,
    lock_version: int,
    person: Person | None = None,
    need=None,
) -> Goal:
    """Change a goal's wording, scale or status, unless someone else saved it since this person opened it."""
    _require_editable(goal.plan)
    _require_family_person(goal.plan, person, "person")
    _require_family_need(goal.plan, need)
    goal.text, goal.person, goal.need = text.strip(), person, need
    goal.baseline, goal.target = baseline, target
    if status != goal.status:
        status_move(goal, status, error=PlanError, noun="A goal")
    goal.full_clean()
    locked_save(
        goal, expected_version=lock_version, update_fields=["text", "person", "need", "baseline", "target", "status"]
    )
    return goal


@transaction.atomic
def goal_score(*, user, goal: Goal, score: int, scored_on: date, comment: str = "", meeting=None) -> GoalScore:
    """Record where the family now is on a goal's scale; the goal's latest score follows the most recent date."""
    _require_editable(goal.plan)
    if scored_on > timezone.localdate():
        raise ValidationError({"scored_on": "The date of the score must be today or in the past"})
    record = GoalScore(
        goal=goal, score=score, scored_on=scored_on, comment=comment.strip(), meeting=meeting, recorded_by=user
    )
    record.full_clean()
    record.save()
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    goal.latest = goal.scores.order_by("-scored_on", "-id").values_list("score", flat=True).first()
    goal.save(update_fields=["latest", "updated_at"])
    return record


def _action_checks(
    plan: FamilyPlan, *, goal, owner_user, owner_agency, owner_person, due_on, keep_user=None, keep_due=None
) -> None:
    errors: dict[str, str] = {}
    if sum(owner is not None for owner in (owner_user, owner_agency, owner_person)) != 1:
        errors["owner_kind"] = NO_OWNER
    elif owner_user is not None and owner_user.pk != keep_user:
        if not action_practitioners(episode=plan.episode).filter(pk=owner_user.pk).exists():
            errors["owner_user"] = (
                "Choose the lead practitioner, a member of the Team Around the Family or a worker in the team"
            )
    elif owner_person is not None and not plan.family.members.filter(person=owner_person).exists():
        errors["owner_person"] = "Choose someone in this family"
    if due_on is None:
        errors["due_on"] = "Enter the date the action is due"
    elif due_on != keep_due and due_on < timezone.localdate():
        errors["due_on"] = "The due date must be today or in the future"
    if goal is not None and goal.plan_id != plan.pk:
        errors["goal"] = "Choose a goal from this plan"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def action_add(
    *,
    user,
    plan: FamilyPlan,
    what: str,
    due_on: date | None,
    goal=None,
    owner_user=None,
    owner_agency=None,
    owner_person=None,
) -> Action:
    """Add who will do what by when: the owner is exactly one practitioner, agency or family member."""
    _require_editable(plan)
    _action_checks(
        plan, goal=goal, owner_user=owner_user, owner_agency=owner_agency, owner_person=owner_person, due_on=due_on
    )
    action = Action(
        plan=plan,
        goal=goal,
        what=what.strip(),
        owner_user=owner_user,
        owner_agency=owner_agency,
        owner_person=owner_person,
        due_on=due_on,
    )
    action.full_clean()
    action.save()
    return action


def _overdue_task_close(action: Action) -> None:
    """A finished action no longer needs its overdue reminder (raised by the daily sweep under the same key)."""
    from cases.services.work import task_close

    task_close(key=action_overdue_key(action))


@transaction.atomic
def action_edit(
    *,
    user,
    action: Action,
    what: str,
    due_on: date | None,
    status: str,
    lock_version: int,
    goal=None,
    owner_user=None,
    owner_agency=None,
    owner_person=None,
) -> Action:
    """Change an action or move its status, unless someone else saved it since this person opened it. When it is
    done, its completion date is set and any overdue reminder for it is closed."""
    _require_editable(action.plan)
    _action_checks(
        action.plan,
        goal=goal,
        owner_user=owner_user,
        owner_agency=owner_agency,
        owner_person=owner_person,
        due_on=due_on,
        keep_user=action.owner_user_id,
        keep_due=action.due_on,
    )
    if status != action.status:
        status_move(action, status, error=PlanError, noun="An action")
        action.completed_on = timezone.localdate() if status == Action.Status.DONE else None
    action.what, action.goal, action.due_on = what.strip(), goal, due_on
    action.owner_user, action.owner_agency, action.owner_person = owner_user, owner_agency, owner_person
    action.full_clean()
    fields = ["what", "goal", "owner_user", "owner_agency", "owner_person", "due_on", "status", "completed_on"]
    locked_save(action, expected_version=lock_version, update_fields=fields)
    if action.status in ACTION_FINISHED:
        _overdue_task_close(action)
    return action
