"""Pages for targeted Child and Family Support: interventions, sessions and extensions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cases.forms.interventions import (
    ExtensionDecisionForm,
    ExtensionRequestForm,
    InterventionEndForm,
    InterventionForm,
    SessionForm,
)
from cases.selectors import interventions as selectors
from cases.selectors import team_workers
from cases.selectors.episodes import episode_get
from cases.services import interventions as services
from cases.services.episodes import EpisodeError
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once

PER_PAGE = 25
REFUSALS = (EpisodeError, services.InterventionError)


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _write_refusal(intervention, user, action: str = services.CHANGE) -> str:
    """Why `user` cannot change this intervention now (its episode has ended, or it has, or they do not work in
    the episode's Local Area Team), or ""."""
    try:
        services.intervention_require_active(intervention, user=user, action=action)
    except REFUSALS as error:
        return str(error)
    return ""


def _save(request: HttpRequest, form, save, success: str):
    """Validate, call the service, say what happened; a refusal stays on the page with what was typed."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        record = save(form.cleaned_data)
    except ValidationError as error:
        errors_from_validation(form, error)
    except REFUSALS as error:
        form.add_error(None, str(error))
    else:
        messages.success(request, success)
        return record
    return None


@login_required
@permission_required(perms.WORK_INTERVENTION, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def intervention_new(request: HttpRequest, uuid) -> HttpResponse:
    """Start targeted Child and Family Support for a family in an allocated episode."""
    episode = episode_get(user=request.user, uuid=uuid)
    workers = team_workers(local_area_team=episode.local_area_team)
    form = InterventionForm(_posted(request), workers=workers)
    if not form.is_bound and workers.filter(pk=request.user.pk).exists():
        form.initial["worker"] = request.user.pk
    intervention = _save(
        request,
        form,
        lambda data: services.intervention_start(user=request.user, episode=episode, **data),
        "Intervention started.",
    )
    if intervention:
        return redirect("cases:intervention_detail", uuid=intervention.uuid)
    context = {
        "form": form,
        "episode": episode,
        "refusal": services.intervention_may_start(episode, user=request.user),
    }
    return render(request, "cases/interventions/new.html", context)


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def intervention_detail(request: HttpRequest, uuid) -> HttpResponse:
    """An intervention: its plan and progress, its sessions newest first, and its extensions."""
    intervention = selectors.intervention_get(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=intervention, request=request)
    sessions = selectors.intervention_sessions(user=request.user, intervention=intervention)
    extensions = selectors.intervention_extensions(intervention=intervention)
    context = {
        "intervention": intervention,
        "family": intervention.family,
        "progress": selectors.intervention_progress(intervention=intervention, today=timezone.localdate()),
        "page": Paginator(sessions, PER_PAGE).get_page(request.GET.get("page")),
        "extensions": extensions,
        "waiting": next((e for e in extensions if e.status == e.Status.REQUESTED), None),
        "refusal": _write_refusal(intervention, request.user),
    }
    return render(request, "cases/interventions/detail.html", context)


@login_required
@permission_required(perms.WORK_INTERVENTION, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def session_add(request: HttpRequest, uuid) -> HttpResponse:
    intervention = selectors.intervention_get(user=request.user, uuid=uuid)
    people = selectors.session_people(user=request.user, family=intervention.family)
    form = SessionForm(_posted(request), people=people)
    saved = _save(
        request,
        form,
        lambda data: services.session_record(
            user=request.user, intervention=intervention, **{**data, "people_seen": list(data["people_seen"])}
        ),
        "Session recorded.",
    )
    if saved:
        return redirect("cases:intervention_detail", uuid=intervention.uuid)
    refusal = _write_refusal(intervention, request.user, services.SESSION)
    context = {"form": form, "intervention": intervention, "refusal": refusal}
    return render(request, "cases/interventions/session_add.html", context)


@login_required
@permission_required(perms.WORK_INTERVENTION, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def extension_request(request: HttpRequest, uuid) -> HttpResponse:
    intervention = selectors.intervention_get(user=request.user, uuid=uuid)
    form = ExtensionRequestForm(_posted(request))
    saved = _save(
        request,
        form,
        lambda data: services.extension_request(user=request.user, intervention=intervention, **data),
        "Extension requested. The team's managers have been asked to decide.",
    )
    if saved:
        return redirect("cases:intervention_detail", uuid=intervention.uuid)
    refusal = _write_refusal(intervention, request.user, services.EXTEND)
    if not refusal and services.extension_waiting(intervention):
        refusal = "An extension request is already waiting for a manager's decision"
    context = {"form": form, "intervention": intervention, "refusal": refusal}
    return render(request, "cases/interventions/extension_request.html", context)


@login_required
@permission_required(perms.DECIDE_EXTENSION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def extension_decide(request: HttpRequest, uuid) -> HttpResponse:
    extension = selectors.extension_get(user=request.user, uuid=uuid)
    form = ExtensionDecisionForm(_posted(request))
    saved = _save(
        request,
        form,
        lambda data: services.extension_decide(
            user=request.user, extension=extension, approve=form.approve, reason=data["reason"]
        ),
        "Decision recorded. The worker has been told.",
    )
    if saved:
        return redirect("cases:intervention_detail", uuid=extension.intervention.uuid)
    context = {
        "form": form,
        "extension": extension,
        "intervention": extension.intervention,
        "refusal": services.extension_may_decide(user=request.user, extension=extension),
    }
    return render(request, "cases/interventions/extension_decide.html", context)


@login_required
@permission_required(perms.WORK_INTERVENTION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def intervention_end(request: HttpRequest, uuid) -> HttpResponse:
    intervention = selectors.intervention_get(user=request.user, uuid=uuid)
    form = InterventionEndForm(_posted(request))
    saved = _save(
        request,
        form,
        lambda data: services.intervention_end(user=request.user, intervention=intervention, **data),
        "Intervention ended.",
    )
    if saved:
        return redirect("cases:intervention_detail", uuid=intervention.uuid)
    refusal = _write_refusal(intervention, request.user, services.END)
    context = {"form": form, "intervention": intervention, "refusal": refusal}
    return render(request, "cases/interventions/end.html", context)


urlpatterns: list = [
    path("episodes/<uuid:uuid>/interventions/new/", intervention_new, name="intervention_new"),
    path("interventions/<uuid:uuid>/", intervention_detail, name="intervention_detail"),
    path("interventions/<uuid:uuid>/sessions/add/", session_add, name="session_add"),
    path("interventions/<uuid:uuid>/extension/", extension_request, name="extension_request"),
    path("interventions/<uuid:uuid>/end/", intervention_end, name="intervention_end"),
    path("extensions/<uuid:uuid>/", extension_decide, name="extension_decide"),
]
