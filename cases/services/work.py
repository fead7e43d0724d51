"""Tasks: reminders raised and closed by key, and the daily sweep that keeps them in step with the casework.

A reminder's key names what it is about (`review_due:<episode uuid>`), so it is raised once while it is open and
whoever finishes the work can close it by key. The sweep owns the five keys below: it raises a reminder when the
work falls due, moves it when the date or the person changes, and closes it when the work no longer needs doing.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from cases.models import Action, Episode, FamilyPlan, Intervention, Task
from consent.models import ConsentRecord
from earlyhelp.core.states import status_move
from earlyhelp.core.working_time import working_days_after

REVIEW_NOTICE_WORKING_DAYS = 5  # a review due within a working week is on the lead practitioner's list
INTERVENTION_NOTICE = timedelta(weeks=2)  # week 10 of a 12-week intervention: plan the ending or ask to extend
CONSENT_NOTICE = timedelta(days=30)  # the same 30 days as the family page's warning (ConsentRecord.review_due_soon)
ALLOCATION_WAIT_WORKING_DAYS = 2  # a request for targeted help should be allocated within two working days
TITLE_MAX = 200

REVIEW_DUE = "review_due"
INTERVENTION_ENDING = "intervention_ending"
CONSENT_REVIEW = "consent_review"
ACTION_OVERDUE = "action_overdue"
ALLOCATION = "allocation"
SWEPT_PREFIXES = (REVIEW_DUE, INTERVENTION_ENDING, CONSENT_REVIEW, ACTION_OVERDUE, ALLOCATION)
# What the sweep brings up to date on a reminder that is already open (for allocation: nothing, as the episode's
# own request task may carry a different due date, and only allocating or declining ends the wait).
SYNCED_FIELDS = {
    REVIEW_DUE: ("due_on", "assigned_to_id", "team_id"),
    INTERVENTION_ENDING: ("due_on", "assigned_to_id", "team_id"),
    CONSENT_REVIEW: ("due_on", "assigned_to_id", "team_id"),
    ACTION_OVERDUE: ("title", "due_on", "assigned_to_id", "team_id"),
    ALLOCATION: (),
}
_RELATIONS = ("family", "episode", "assigned_to", "team")


class TaskError(Exception):
    """A task change the rules refuse; the message is shown to the user."""


def task_key(prefix: str, subject) -> str:
    """The key of the reminder about `subject` (a record with a uuid), e.g. `review_due:<episode uuid>`."""
    return f"{prefix}:{subject.uuid}"


def _open_with_key(key: str):
    return Task.objects.filter(key=key, status=Task.Status.OPEN).first()


@transaction.atomic
def task_raise(*, key: str, kind: str, family, title: str, due_on: date, episode=None, assigned_to=None, team=None):
    """Raise a reminder for a person (or a team's managers) unless one with `key` is already open; return it."""
    if not key:
        raise ValueError("A reminder needs a key, so it is raised only once")
    if (assigned_to is None) == (team is None):
        raise ValueError("A reminder is for one person or for one team's managers")
    existing = _open_with_key(key)
    if existing is not None:
        return existing
    task = Task(
        key=key,
        kind=kind,
        family=family,
        episode=episode,
        title=title[:TITLE_MAX],
        due_on=due_on,
        assigned_to=assigned_to,
        team=team,
    )
    # The partial unique constraint on open keys is the guard; a race with another raiser is caught below.
    task.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:
        existing = _open_with_key(key)
        if existing is None:
            raise
        return existing
    return task


def _mark_done(task: Task, *, today: date) -> None:
    status_move(task, Task.Status.DONE, error=TaskError, noun="A task")
    task.completed_on = today


@transaction.atomic
def task_close(*, key: str):
    """Mark done the open reminder raised under `key`, once the work it asked for is done; None if none is open."""
    task = Task.objects.select_for_update().filter(key=key, status=Task.Status.OPEN).first()
    if task is None:
        return None
    _mark_done(task, today=timezone.localdate())
    task.save(update_fields=["status", "completed_on", "updated_at"])
    return task


# The daily sweep ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """A reminder the casework calls for today: what `Task` row should be open under `key`."""

    key: str
    kind: str
    family_id: int
    episode_id: int | None
    title: str
    due_on: date
    assigned_to_id: int | None = None
    team_id: int | None = None

    @property
    def prefix(self) -> str:
        return self.key.split(":", 1)[0]


@dataclass
class SweepResult:
    raised: int = 0
    moved: int = 0
    closed: int = 0
    live: set = field(default_factory=set, repr=False)  # keys still about open work, though not raised today

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "live"}


def _for(person_id: int | None, team_id: int | None) -> dict:
    """A named person where there is one, otherwise the team's managers."""
    return {"assigned_to_id": person_id} if person_id else {"team_id": team_id}


def _reviews_due(*, today: date) -> list[Reminder]:
    horizon = working_days_after(today, REVIEW_NOTICE_WORKING_DAYS)
    rows = Episode.objects.filter(status__in=Episode.OPEN, next_review_due__lte=horizon).values_list(
        "pk", "uuid", "family_id", "lead_practitioner_id", "family__local_area_team_id", "next_review_due"
    )
    return [
        Reminder(
            key=f"{REVIEW_DUE}:{uuid}",
            kind=Task.Kind.REVIEW_DUE,
            family_id=family_id,
            episode_id=pk,
            title="Review due: hold the family's Team Around the Family review",
            due_on=due_on,
            **_for(lead_id, team_id),
        )
        for pk, uuid, family_id, lead_id, team_id, due_on in rows
    ]


def _interventions_ending(*, today: date) -> list[Reminder]:
    rows = Intervention.objects.filter(
        status=Intervention.Status.ACTIVE,
        planned_end_on__lte=today + INTERVENTION_NOTICE,
        episode__status__in=Episode.OPEN,
    ).values_list("uuid", "family_id", "episode_id", "worker_id", "planned_end_on")
    return [
        Reminder(
            key=f"{INTERVENTION_ENDING}:{uuid}",
            kind=Task.Kind.INTERVENTION_ENDING,
            family_id=family_id,
            episode_id=episode_id,
            title="Intervention ends in two weeks: plan its ending with the family, or ask to extend it",
            due_on=planned_end_on,
            assigned_to_id=worker_id,
        )
        for uuid, family_id, episode_id, worker_id, planned_end_on in rows
    ]


def _consents_for_review(*, today: date) -> list[Reminder]:
    """Consent's own job raises tasks once consent has lapsed; this one asks the lead practitioner to renew it
    before then, while the family page shows its 30-day warning."""
    led = Episode.objects.filter(
        family_id=OuterRef("family_id"), status__in=Episode.OPEN, lead_practitioner__isnull=False
    )
    rows = (
        ConsentRecord.objects.filter(
            status__in=ConsentRecord.ACTIVE, review_on__gte=today, review_on__lte=today + CONSENT_NOTICE
        )
        .annotate(open_episode_id=Subquery(led.values("pk")[:1]), lead_id=Subquery(led.values("lead_practitioner")[:1]))
        .filter(open_episode_id__isnull=False)
        .values_list("uuid", "family_id", "open_episode_id", "lead_id", "review_on", "override_reason")
    )
    return [
        Reminder(
            key=f"{CONSENT_REVIEW}:{uuid}",
            kind=Task.Kind.CONSENT_REVIEW,
            family_id=family_id,
            episode_id=episode_id,
            title=(
                "Safeguarding override review due: decide whether it is still needed"
                if override
                else "Consent review due: ask the family to renew their consent"
            ),
            due_on=review_on,
            assigned_to_id=lead_id,
        )
        for uuid, family_id, episode_id, lead_id, review_on, override in rows
    ]


def _actions_overdue(*, today: date) -> list[Reminder]:
    rows = (
        Action.objects.filter(
            status__in=(Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS),
            due_on__lt=today,
            plan__status__in=(FamilyPlan.Status.DRAFT, FamilyPlan.Status.AGREED),
            plan__episode__status__in=Episode.OPEN,
        )
        # A draft's copy of an action still on the agreed plan is the same piece of work: remind once.
        .exclude(plan__status=FamilyPlan.Status.DRAFT, carried_from__plan__status=FamilyPlan.Status.AGREED)
        .values_list(
            "uuid",
            "what",
            "due_on",
            "owner_user_id",
            "plan__family_id",
            "plan__episode_id",
            "plan__episode__lead_practitioner_id",
            "plan__family__local_area_team_id",
        )
    )
    return [
        Reminder(
            key=f"{ACTION_OVERDUE}:{uuid}",
            kind=Task.Kind.ACTION_OVERDUE,
            family_id=family_id,
            episode_id=episode_id,
            title=f"Overdue action: {' '.join(what.split())}"[:TITLE_MAX],
            due_on=due_on,
            # An agency's or a family member's action is followed up by the lead practitioner.
            **_for(owner_id or lead_id, team_id),
        )
        for uuid, what, due_on, owner_id, family_id, episode_id, lead_id, team_id in rows
    ]


def _allocations_waiting(*, today: date, result: SweepResult) -> list[Reminder]:
    rows = Episode.objects.filter(status=Episode.Status.REQUESTED).values_list(
        "pk", "uuid", "family_id", "family__local_area_team_id", "requested_at"
    )
    reminders = []
    for pk, uuid, family_id, team_id, requested_at in rows:
        key = f"{ALLOCATION}:{uuid}"
        result.live.add(key)  # a request keeps its reminder until it is allocated or declined
        due_on = working_days_after(timezone.localdate(requested_at), ALLOCATION_WAIT_WORKING_DAYS)
        if today > due_on:
            reminders.append(
                Reminder(
                    key=key,
                    kind=Task.Kind.ALLOCATION_WAITING,
                    family_id=family_id,
                    episode_id=pk,
                    title="Allocate the request for targeted early help: waiting more than 2 working days",
                    due_on=due_on,
                    team_id=team_id,
                )
            )
    return reminders


def _swept_keys() -> Q:
    condition = Q()
    for prefix in SWEPT_PREFIXES:
        condition |= Q(key__startswith=f"{prefix}:")
    return condition


def _is_swept(task: Task) -> bool:
    """Other services may raise review tasks under other keys (a meeting's): the sweep owns only the episode's."""
    prefix = task.key.split(":", 1)[0]
    return prefix != REVIEW_DUE or task.key == f"{REVIEW_DUE}:{task.episode_uuid}"


def _task_new(reminder: Reminder) -> Task:
    task = Task(
        key=reminder.key,
        kind=reminder.kind,
        family_id=reminder.family_id,
        episode_id=reminder.episode_id,
        title=reminder.title,
        due_on=reminder.due_on,
        assigned_to_id=reminder.assigned_to_id,
        team_id=reminder.team_id,
    )
    # Related rows come from the queries above; checking each one again would cost a query per task.
    task.full_clean(exclude=_RELATIONS, validate_unique=False, validate_constraints=False)
    return task


def _tasks_create(reminders: list[Reminder]) -> None:
    tasks = [_task_new(reminder) for reminder in reminders]
    if not tasks:
        return
    try:
        with transaction.atomic():
            bulk_create_with_history(tasks, Task)
    except IntegrityError:  # a service raised one of these keys meanwhile: raise the rest one by one
        for task in tasks:
            task_raise(
                key=task.key,
                kind=task.kind,
                family=task.family,
                title=task.title,
                due_on=task.due_on,
                episode=task.episode,
                assigned_to=task.assigned_to,
                team=task.team,
            )


def _bring_up_to_date(task: Task, reminder: Reminder, *, now: datetime) -> bool:
    changed = False
    for name in SYNCED_FIELDS[reminder.prefix]:
        if getattr(task, name) != getattr(reminder, name):
            setattr(task, name, getattr(reminder, name))
            changed = True
    if changed:
        task.updated_at = now
    return changed


@transaction.atomic
def case_tasks_sweep(*, today: date) -> SweepResult:
    """Raise the reminders the casework calls for on `today`, move those whose date or person changed, and close
    those no longer needed. Idempotent, and a fixed number of queries however many families there are."""
    result = SweepResult()
    reminders = [
        *_reviews_due(today=today),
        *_interventions_ending(today=today),
        *_consents_for_review(today=today),
        *_actions_overdue(today=today),
        *_allocations_waiting(today=today, result=result),
    ]
    wanted = {reminder.key: reminder for reminder in reminders}
    open_tasks = list(
        Task.objects.filter(_swept_keys(), status=Task.Status.OPEN).annotate(episode_uuid=F("episode__uuid"))
    )
    # Someone who marked a reminder done is not asked again for the same date; a new date is a new reminder.
    done = set(
        Task.objects.filter(_swept_keys(), status=Task.Status.DONE, episode__status__in=Episode.OPEN).values_list(
            "key", "due_on"
        )
    )
    now = timezone.now()
    to_close, to_move = [], []
    for task in filter(_is_swept, open_tasks):
        reminder = wanted.get(task.key)
        if reminder is None and task.key not in result.live:
            _mark_done(task, today=today)
            task.updated_at = now
            to_close.append(task)
        elif reminder is not None and _bring_up_to_date(task, reminder, now=now):
            to_move.append(task)
    bulk_update_with_history(to_close, Task, ["status", "completed_on", "updated_at"])
    bulk_update_with_history(to_move, Task, ["title", "due_on", "assigned_to", "team", "updated_at"])
    already = {task.key for task in open_tasks}
    new = [r for key, r in wanted.items() if key not in already and (key, r.due_on) not in done]
    _tasks_create(new)
    result.raised, result.moved, result.closed = len(new), len(to_move), len(to_close)
    return result
