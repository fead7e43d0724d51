"""Reads for a worker's and a team's work: tasks and caseloads, always through the families a user may see."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Q, QuerySet

from cases.models import Action, Episode, Intervention, Task
from cases.selectors import ALLOCATABLE_ROLES, families_visible_to
from earlyhelp.core.perms import LAT_MANAGER, OVERRIDE_FAMILY_TEAM, VIEW_TEAM_CASELOAD
from locality.models import LocalAreaTeam
from locality.selectors import team_ids_with_case_access

RECENTLY_DONE_DAYS = 14
RECENTLY_DONE_SHOWN = 10


def _tasks_mine(user) -> Q:
    """Tasks for `user`, and, for a manager, those for the managers of a team whose families they see."""
    mine = Q(assigned_to=user)
    if user.has_perm(OVERRIDE_FAMILY_TEAM):
        mine |= Q(assigned_to__isnull=True, team__in=team_ids_with_case_access(user))
    return mine


def my_tasks_open(*, user) -> QuerySet[Task]:
    """Open tasks for `user` on families they may see, soonest due first (so overdue ones lead)."""
    return (
        Task.objects.filter(_tasks_mine(user), status=Task.Status.OPEN, family__in=families_visible_to(user))
        .select_related("family", "episode", "team")
        .order_by("due_on", "id")
    )


def my_task_counts(*, user, today: date) -> dict:
    """How many of `user`'s open tasks are overdue, due today and still to come, in one query."""
    return my_tasks_open(user=user).aggregate(
        overdue=Count("id", filter=Q(due_on__lt=today)),
        due_today=Count("id", filter=Q(due_on=today)),
        upcoming=Count("id", filter=Q(due_on__gt=today)),
    )


def my_tasks_done_recently(*, user, today: date) -> list[Task]:
    """The last few tasks `user` (or their team's managers) finished in the past two weeks."""
    return list(
        Task.objects.filter(
            _tasks_mine(user),
            status=Task.Status.DONE,
            completed_on__gte=today - timedelta(days=RECENTLY_DONE_DAYS),
            family__in=families_visible_to(user),
        )
        .select_related("family")
        .order_by("-completed_on", "-id")[:RECENTLY_DONE_SHOWN]
    )


def action_plan_uuids(*, action_uuids) -> dict:
    """The plan each action is on, to link an overdue action's task to its plan."""
    return {str(a): p for a, p in Action.objects.filter(uuid__in=action_uuids).values_list("uuid", "plan__uuid")}


def teams_managed_by(user) -> QuerySet[LocalAreaTeam]:
    """The Local Area Teams `user` manages: a manager's place in one of its teams, and sight of its families."""
    if not user.has_perm(VIEW_TEAM_CASELOAD):
        return LocalAreaTeam.objects.none()
    return LocalAreaTeam.objects.filter(
        pk__in=team_ids_with_case_access(user),
        teams__memberships__user=user,
        teams__memberships__role=LAT_MANAGER,
    ).distinct()


def _team_families(user) -> QuerySet:
    return families_visible_to(user).filter(local_area_team__in=teams_managed_by(user).values("pk"))


def team_workers_managed_by(*, user) -> list:
    """The workers of the teams `user` manages (those episodes are allocated to), by name."""
    from earlyhelp.accounts.models import User

    return list(
        User.objects.filter(
            memberships__team__local_area_team__in=teams_managed_by(user).values("pk"),
            memberships__role__in=ALLOCATABLE_ROLES,
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "id")
    )


def team_tasks_open(*, user, today: date, worker_id: int | None = None, overdue: bool = False) -> QuerySet[Task]:
    """Open tasks on the families of the teams `user` manages, by the person they are for (the team's own first),
    then soonest due."""
    tasks = Task.objects.filter(status=Task.Status.OPEN, family__in=_team_families(user))
    if worker_id:
        tasks = tasks.filter(assigned_to_id=worker_id)
    if overdue:
        tasks = tasks.filter(due_on__lt=today)
    return tasks.select_related("family", "episode", "assigned_to", "team").order_by(
        F("assigned_to__full_name").asc(nulls_first=True), "assigned_to_id", "due_on", "id"
    )


def caseload_episodes(*, user, worker=None) -> QuerySet[Episode]:
    """Open episodes led by `worker` (by default `user`), on families `user` may see, next review first."""
    episodes = Episode.objects.filter(
        lead_practitioner=worker or user, status__in=Episode.OPEN, family__in=families_visible_to(user)
    )
    if worker is not None:
        episodes = episodes.filter(family__in=_team_families(user))
    return episodes.select_related("family").order_by(F("next_review_due").asc(nulls_last=True), "requested_at", "id")


def caseload_interventions(*, user, worker=None) -> QuerySet[Intervention]:
    """Active interventions `worker` (by default `user`) is working, on families `user` may see, ending first."""
    interventions = Intervention.objects.filter(
        worker=worker or user, status=Intervention.Status.ACTIVE, family__in=families_visible_to(user)
    )
    if worker is not None:
        interventions = interventions.filter(family__in=_team_families(user))
    return interventions.select_related("family").order_by("planned_end_on", "id")


@dataclass
class WorkerLoad:
    worker: object
    open_episodes: int = 0
    reviews_overdue: int = 0
    active_interventions: int = 0
    overdue_tasks: int = 0


def team_caseload(*, user, today: date, workers: list) -> list[WorkerLoad]:
    """Per worker of the teams `user` manages: open episodes, reviews overdue, active interventions and overdue
    tasks on the team's families. Three grouped counts, however many workers."""
    families = _team_families(user)
    ids = [worker.pk for worker in workers]
    episodes = (
        Episode.objects.filter(status__in=Episode.OPEN, family__in=families, lead_practitioner_id__in=ids)
        .values("lead_practitioner_id")
        .annotate(total=Count("id"), late=Count("id", filter=Q(next_review_due__lt=today)))
    )
    interventions = (
        Intervention.objects.filter(status=Intervention.Status.ACTIVE, family__in=families, worker_id__in=ids)
        .values("worker_id")
        .annotate(total=Count("id"))
    )
    tasks = (
        Task.objects.filter(status=Task.Status.OPEN, due_on__lt=today, family__in=families, assigned_to_id__in=ids)
        .values("assigned_to_id")
        .annotate(total=Count("id"))
    )
    rows = {worker.pk: WorkerLoad(worker=worker) for worker in workers}
    for row in episodes:
        load = rows[row["lead_practitioner_id"]]
        load.open_episodes, load.reviews_overdue = row["total"], row["late"]
    for row in interventions:
        rows[row["worker_id"]].active_interventions = row["total"]
    for row in tasks:
        rows[row["assigned_to_id"]].overdue_tasks = row["total"]
    return list(rows.values())


def intervention_week(intervention: Intervention, *, today: date) -> tuple[int, int]:
    """Which week of how many planned the intervention is in: (10, 12) for week 10 of 12."""
    planned = max(1, -(-(intervention.planned_end_on - intervention.started_on).days // 7))
    return max(1, (today - intervention.started_on).days // 7 + 1), planned
