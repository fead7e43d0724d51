"""Pages for a worker's and a team's work: tasks and caseloads."""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone

from cases.forms.work import TeamTaskFilterForm, WorkerFilterForm
from cases.models import Task
from cases.selectors import work as selectors
from earlyhelp.core import perms

PER_PAGE = 25
INTERVENTIONS_PAGE = "interventions_page"

# Where a task's own record is, by the first part of its key: (URL name, permission the page needs).
_RECORD_PAGES = {
    "intervention_ending": ("cases:intervention_detail", None),
    "action_overdue": ("cases:plan_detail", None),
    "allocation": ("cases:episode_allocate", perms.ALLOCATE_EPISODE),
    "extension": ("cases:extension_decide", perms.DECIDE_EXTENSION),
    "closure": ("cases:closure_decide", perms.APPROVE_CLOSURE),
}


def _page(request: HttpRequest, items, param: str = "page"):
    return Paginator(items, PER_PAGE).get_page(request.GET.get(param))


def _query(request: HttpRequest, *, leave_out: str) -> str:
    """The page's other parameters, for its pagination links."""
    return urlencode({k: v for k, v in request.GET.items() if k != leave_out and v})


def _url(name: str, **kwargs) -> str:
    """The URL, or "" while the page does not exist yet (areas land at different times) or the key is not a uuid."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _family_url(family) -> str:
    return reverse("cases:family_detail", kwargs={"uuid": family.uuid})


def _record_url(task: Task, *, user, plan_uuids: dict) -> str:
    """The page of the record a task is about; else its episode's page; else its family's."""
    prefix, _, subject = task.key.partition(":")
    url = ""
    if prefix == "consent_review":
        url = _url("consent:detail", uuid=task.family.uuid, consent_uuid=subject)
    elif prefix in _RECORD_PAGES:
        name, permission = _RECORD_PAGES[prefix]
        if prefix == "action_overdue":
            subject = plan_uuids.get(subject, "")
        if subject and (permission is None or user.has_perm(permission)):
            url = _url(name, uuid=subject)
    if not url and task.episode_id:
        url = _url("cases:episode_detail", uuid=task.episode.uuid)
    return url or _family_url(task.family)


@dataclass
class TaskRow:
    task: Task
    url: str
    when: str  # overdue, today or upcoming


def _task_rows(tasks, *, user, today: date) -> list[TaskRow]:
    tasks = list(tasks)
    action_uuids = [t.key.partition(":")[2] for t in tasks if t.key.startswith("action_overdue:")]
    plan_uuids = selectors.action_plan_uuids(action_uuids=action_uuids) if action_uuids else {}
    return [
        TaskRow(
            task=task,
            url=_record_url(task, user=user, plan_uuids=plan_uuids),
            when="overdue" if task.due_on < today else "today" if task.due_on == today else "upcoming",
        )
        for task in tasks
    ]


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def my_tasks(request: HttpRequest) -> HttpResponse:
    """My open tasks, overdue first, each linked to its record; and what I finished lately."""
    today = timezone.localdate()
    page = _page(request, selectors.my_tasks_open(user=request.user))
    context = {
        "page": page,
        "rows": _task_rows(page.object_list, user=request.user, today=today),
        "counts": selectors.my_task_counts(user=request.user, today=today),
        "done": selectors.my_tasks_done_recently(user=request.user, today=today),
        "query": "",
    }
    return render(request, "cases/work/my_tasks.html", context)


@login_required
@permission_required(perms.VIEW_TEAM_CASELOAD, raise_exception=True)
def team_tasks(request: HttpRequest) -> HttpResponse:
    """Open tasks on the families of the teams I manage, by the person they are for."""
    today = timezone.localdate()
    workers = selectors.team_workers_managed_by(user=request.user)
    form = TeamTaskFilterForm(request.GET or None, workers=workers)
    data = form.cleaned_data if form.is_valid() else {}
    tasks = selectors.team_tasks_open(
        user=request.user, today=today, worker_id=data.get("worker"), overdue=bool(data.get("overdue"))
    )
    page = _page(request, tasks)
    query = _query(request, leave_out="page")
    context = {
        "form": form,
        "page": page,
        "rows": _task_rows(page.object_list, user=request.user, today=today),
        "query": query,
        "filtered": bool(query),
        "has_teams": bool(workers),
    }
    return render(request, "cases/work/team_tasks.html", context)


def _caseload_pages(request: HttpRequest, *, worker=None) -> dict:
    """One worker's open episodes and active interventions, each list paged on its own."""
    today = timezone.localdate()
    episodes = _page(request, selectors.caseload_episodes(user=request.user, worker=worker))
    for episode in episodes.object_list:
        episode.days_open = (today - timezone.localdate(episode.requested_at)).days
        episode.review_overdue = bool(episode.next_review_due and episode.next_review_due < today)
        episode.url = _url("cases:episode_detail", uuid=episode.uuid) or _family_url(episode.family)
    interventions = _page(
        request, selectors.caseload_interventions(user=request.user, worker=worker), param=INTERVENTIONS_PAGE
    )
    for intervention in interventions.object_list:
        intervention.week, intervention.weeks = selectors.intervention_week(intervention, today=today)
        intervention.url = _url("cases:intervention_detail", uuid=intervention.uuid) or _family_url(intervention.family)
    return {
        "page": episodes,
        "query": _query(request, leave_out="page"),
        "interventions": interventions,
        "interventions_query": _query(request, leave_out=INTERVENTIONS_PAGE),
    }


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def caseload(request: HttpRequest) -> HttpResponse:
    """The families I lead early help for and the interventions I am working, next review first."""
    return render(request, "cases/work/caseload.html", _caseload_pages(request))


@login_required
@permission_required(perms.VIEW_TEAM_CASELOAD, raise_exception=True)
def team_caseload(request: HttpRequest) -> HttpResponse:
    """Per worker of the teams I manage: open episodes, reviews overdue, interventions and overdue tasks; choose a
    worker to see their list."""
    today = timezone.localdate()
    workers = selectors.team_workers_managed_by(user=request.user)
    form = WorkerFilterForm(request.GET or None, workers=workers)
    chosen = form.cleaned_data.get("worker") if form.is_valid() else None
    worker = next((w for w in workers if w.pk == chosen), None)
    loads = selectors.team_caseload(user=request.user, today=today, workers=[worker] if worker else workers)
    context = {"form": form, "worker": worker, "has_teams": bool(workers)}
    if worker is None:
        context |= {"loads": _page(request, loads), "query": _query(request, leave_out="page")}
        if request.user.has_perm(perms.EXPORT_TEAM_PLANS):
            context["export_teams"] = list(selectors.teams_managed_by(request.user).order_by("name"))
    else:
        context |= {"load": loads[0], **_caseload_pages(request, worker=worker)}
    return render(request, "cases/work/team_caseload.html", context)


urlpatterns = [
    path("work/tasks/", my_tasks, name="my_tasks"),
    path("work/caseload/", caseload, name="caseload"),
    path("work/team/tasks/", team_tasks, name="team_tasks"),
    path("work/team/caseload/", team_caseload, name="team_caseload"),
]
