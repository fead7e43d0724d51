"""Pages for an episode of early help: its overview, starting it, closure and reopening, step-up and step-down."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from cases.forms.episodes import (
    ClosureDecisionForm,
    ClosureRequestForm,
    EpisodeStartForm,
    ReopenForm,
    StepDownForm,
    StepUpForm,
    StepUpReferenceForm,
    TransferOutcomeForm,
)
from cases.models import Episode, Transfer
from cases.selectors import episodes as selectors
from cases.selectors import family_get, team_workers
from cases.selectors.transfers import transfer_get
from cases.services import episodes as services
from cases.services import transfer_reference_record
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _form_page(
    request: HttpRequest,
    *,
    form,
    blocked: str,
    save: Callable[[dict], tuple[str, str]],
    template: str,
    context: dict,
) -> HttpResponse:
    """The shape every episode form shares. A GET always shows the page (with the reason when the action is not
    possible now); a POST calls the service, shows its refusal on the form with what was typed, or redirects.
    `save` returns the success message and the URL to go to."""
    if request.method == "POST":
        if blocked:
            form.is_valid()
            form.add_error(None, blocked)
        elif form.is_valid():
            try:
                message, url = save(form.cleaned_data)
            except ValidationError as error:
                errors_from_validation(form, error)
            except services.EpisodeError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, message)
                return redirect(url)
    return render(request, template, context | {"form": form, "blocked": blocked})


def _episode_url(episode: Episode) -> str:
    return reverse("cases:episode_detail", kwargs={"uuid": episode.uuid})


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def episode_detail(request: HttpRequest, uuid) -> HttpResponse:
    episode = selectors.episode_page(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=episode, request=request)
    step_up = episode.step_up
    context = {
        "episode": episode,
        "closure_blocked": selectors.closure_request_blocked(episode=episode),
        "step_up_blocked": selectors.step_up_blocked(episode=episode),
        "reopen_until": selectors.reopen_until(episode=episode),
        "reference_form": StepUpReferenceForm() if step_up and not step_up.external_reference else None,
    }
    return render(request, "cases/episodes/detail.html", context)


@login_required
@permission_required(perms.START_EPISODE, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def episode_start(request: HttpRequest, uuid) -> HttpResponse:
    """Start early help without the MASH: lead it as a partner, or ask the Local Area Team for targeted help."""
    family = family_get(user=request.user, uuid=uuid)

    def save(data: dict) -> tuple[str, str]:
        episode = services.episode_start(user=request.user, family=family, **data)
        if episode.pathway == Episode.Pathway.PARTNER_LED:
            return "Early help started. You are the lead practitioner.", _episode_url(episode)
        return (
            f"Request for targeted early help sent to the {family.local_area_team} Local Area Team to allocate.",
            _episode_url(episode),
        )

    return _form_page(
        request,
        form=EpisodeStartForm(_posted(request)),
        blocked=selectors.episode_start_blocked(family=family),
        save=save,
        template="cases/episodes/start.html",
        context={"family": family, "assessment": selectors.latest_authorised_assessment(family=family)},
    )


@login_required
@permission_required(perms.REQUEST_CLOSURE, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def closure_request(request: HttpRequest, uuid) -> HttpResponse:
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    meetings = selectors.closure_meetings(episode=episode)

    def save(data: dict) -> tuple[str, str]:
        closure = services.closure_request(user=request.user, episode=episode, **data)
        if closure.meeting_id:
            message = (
                f"Early help is closed, as the closure meeting agreed. Partners keep access to the family until "
                f"{closure.grants_end_on:%d %B %Y}."
            )
        else:
            message = "Closure sent to a Local Area Team manager for approval."
        return message, _episode_url(episode)

    return _form_page(
        request,
        form=ClosureRequestForm(_posted(request), meetings=meetings),
        blocked=selectors.closure_request_blocked(episode=episode),
        save=save,
        template="cases/episodes/closure_request.html",
        context={"episode": episode, "has_meetings": meetings.exists()},
    )


@login_required
@permission_required(perms.APPROVE_CLOSURE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def closure_decide(request: HttpRequest, uuid) -> HttpResponse:
    closure = selectors.closure_get(user=request.user, uuid=uuid)

    def save(data: dict) -> tuple[str, str]:
        approve = data["decision"] == "approve"
        services.closure_decide(
            user=request.user, closure=closure, approve=approve, refusal_reason=data["refusal_reason"]
        )
        message = (
            "Closure approved: early help is closed."
            if approve
            else "Closure refused: the plan carries on and the practitioner has been told."
        )
        return message, _episode_url(closure.episode)

    return _form_page(
        request,
        form=ClosureDecisionForm(_posted(request)),
        blocked=selectors.closure_decide_blocked(user=request.user, closure=closure),
        save=save,
        template="cases/episodes/closure_decide.html",
        context={"closure": closure, "episode": closure.episode},
    )


@login_required
@permission_required(perms.APPROVE_CLOSURE, raise_exception=True)
@require_http_methods(["GET", "POST"])
def episode_reopen(request: HttpRequest, uuid) -> HttpResponse:
    episode = selectors.episode_get(user=request.user, uuid=uuid)

    def save(data: dict) -> tuple[str, str]:
        services.episode_reopen(user=request.user, episode=episode, **data)
        return "Episode reopened: the plan is active again.", _episode_url(episode)

    return _form_page(
        request,
        form=ReopenForm(_posted(request)),
        blocked=selectors.episode_reopen_blocked(user=request.user, episode=episode),
        save=save,
        template="cases/episodes/reopen.html",
        context={"episode": episode, "reopen_until": selectors.reopen_until(episode=episode)},
    )


@login_required
@permission_required(perms.STEP_UP, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def step_up(request: HttpRequest, uuid) -> HttpResponse:
    episode = selectors.episode_get(user=request.user, uuid=uuid)

    def save(data: dict) -> tuple[str, str]:
        services.step_up(user=request.user, episode=episode, **data)
        return (
            "Stepped up to children's social care. The Local Area Team's managers have been told.",
            _episode_url(episode),
        )

    return _form_page(
        request,
        form=StepUpForm(_posted(request)),
        blocked=selectors.step_up_blocked(episode=episode),
        save=save,
        template="cases/episodes/step_up.html",
        context={"episode": episode},
    )


@login_required
@permission_required(perms.STEP_UP, raise_exception=True)
@require_http_methods(["GET", "POST"])
def step_up_reference(request: HttpRequest, uuid) -> HttpResponse:
    """Record children's social care's case reference for this episode's step-up, once they give it."""
    episode = selectors.episode_get(user=request.user, uuid=uuid)
    transfer = selectors.step_up_transfer(episode=episode)
    blocked = "" if transfer else "This episode was not stepped up, so there is no reference to record"

    def save(data: dict) -> tuple[str, str]:
        transfer_reference_record(user=request.user, transfer=transfer, **data)
        return "Children's social care reference recorded.", _episode_url(episode)

    initial = {"external_reference": transfer.external_reference} if transfer else {}
    return _form_page(
        request,
        form=StepUpReferenceForm(_posted(request), initial=initial),
        blocked=blocked,
        save=save,
        template="cases/episodes/step_up_reference.html",
        context={"episode": episode, "transfer": transfer},
    )


@login_required
@permission_required(perms.STEP_DOWN, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def step_down(request: HttpRequest, uuid) -> HttpResponse:
    """A Local Area Team manager records a family stepped down from children's social care into early help."""
    family = family_get(user=request.user, uuid=uuid)
    workers = team_workers(local_area_team=family.local_area_team)

    def save(data: dict) -> tuple[str, str]:
        episode = services.step_down(user=request.user, family=family, **data)
        return (
            f"Step-down recorded. {episode.lead_practitioner.full_name} is the lead practitioner and has been told.",
            _episode_url(episode),
        )

    return _form_page(
        request,
        form=StepDownForm(_posted(request), workers=workers),
        blocked=selectors.step_down_blocked(user=request.user, family=family),
        save=save,
        template="cases/episodes/step_down.html",
        context={"family": family},
    )


def _transfer_url(*, user, transfer: Transfer) -> str:
    """Where a step-up is shown: its episode; else, for the MASH, the contact it came from; else the family."""
    if transfer.episode_id:
        return _episode_url(transfer.episode)
    if transfer.contact_id and user.has_perm(perms.TRIAGE_CONTACT):
        return reverse("referrals:contact_detail", kwargs={"uuid": transfer.contact.uuid})
    return reverse("cases:family_detail", kwargs={"uuid": transfer.family.uuid})


@login_required
@permission_required(perms.RECORD_SOCIAL_CARE_OUTCOME, raise_exception=True)
@require_http_methods(["GET", "POST"])
def transfer_outcome(request: HttpRequest, uuid) -> HttpResponse:
    """Record what children's social care did with a step-up, once they say (indicators d and f)."""
    transfer = transfer_get(user=request.user, uuid=uuid)
    back = _transfer_url(user=request.user, transfer=transfer)
    blocked = (
        ""
        if transfer.direction == Transfer.Direction.STEP_UP
        else "This is a step-down, so there is no outcome from children's social care to record"
    )

    def save(data: dict) -> tuple[str, str]:
        services.transfer_outcome_record(user=request.user, transfer=transfer, **data)
        return "The outcome in children's social care is recorded.", back

    initial = {"outcome": transfer.social_care_outcome, "outcome_on": transfer.outcome_on}
    return _form_page(
        request,
        form=TransferOutcomeForm(_posted(request), initial=initial if transfer.social_care_outcome else {}),
        blocked=blocked,
        save=save,
        template="cases/episodes/transfer_outcome.html",
        context={"transfer": transfer, "back": back},
    )


urlpatterns: list = [
    path("episodes/<uuid:uuid>/", episode_detail, name="episode_detail"),
    path("families/<uuid:uuid>/early-help/start/", episode_start, name="episode_start"),
    path("families/<uuid:uuid>/early-help/step-down/", step_down, name="step_down"),
    path("episodes/<uuid:uuid>/closure/", closure_request, name="closure_request"),
    path("closures/<uuid:uuid>/", closure_decide, name="closure_decide"),
    path("episodes/<uuid:uuid>/reopen/", episode_reopen, name="episode_reopen"),
    path("episodes/<uuid:uuid>/step-up/", step_up, name="step_up"),
    path("episodes/<uuid:uuid>/step-up/reference/", step_up_reference, name="step_up_reference"),
    path("transfers/<uuid:uuid>/outcome/", transfer_outcome, name="transfer_outcome"),
]
