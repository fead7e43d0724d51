"""Pages for the Team Around the Family: members, invitations, meetings and reviews."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cases.forms.taf import MeetingPlanForm, MeetingRecordForm, TafInviteForm
from cases.models import TafMeeting
from cases.selectors import taf as selectors
from cases.selectors.episodes import episode_get
from cases.services import taf as services
from cases.services.episodes import EpisodeError
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once

# Where a meeting's decision leads next: a page of the plans or episodes area, linked once that page exists.
NEXT_STEP = {
    TafMeeting.Decision.AMEND: ("plan_new", "Draft the amended plan"),
    TafMeeting.Decision.STEP_UP: ("step_up", "Step the family up to children's social care"),
    TafMeeting.Decision.CLOSE: ("closure_request", "Ask to close the episode"),
}


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _url_if_built(name: str, uuid) -> str:
    """The URL of another area's page, or "" until that area has added it."""
    try:
        return reverse(f"cases:{name}", kwargs={"uuid": uuid})
    except NoReverseMatch:
        return ""


def _next_step(meeting: TafMeeting) -> tuple[str, str] | None:
    """A link to what the meeting's decision asks for next, while the episode is still open."""
    if meeting.status != TafMeeting.Status.HELD or not meeting.episode.is_open or meeting.decision not in NEXT_STEP:
        return None
    name, label = NEXT_STEP[meeting.decision]
    url = _url_if_built(name, meeting.episode.uuid)
    return (url, label) if url else None


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def taf(request: HttpRequest, uuid) -> HttpResponse:
    """The Team Around the Family: the lead practitioner, members, former members and meetings."""
    page = selectors.taf_page(user=request.user, uuid=uuid)
    access_event_record(
        user=request.user, action="view", obj=page.episode, detail="Team Around the Family", request=request
    )
    context = {
        "page": page,
        "episode": page.episode,
        "back": _url_if_built("episode_detail", page.episode.uuid)
        or reverse("cases:family_detail", kwargs={"uuid": page.episode.family.uuid}),
        "may_manage": request.user.has_perm(perms.MANAGE_TAF),
        "may_record": request.user.has_perm(perms.RECORD_MEETING),
    }
    return render(request, "cases/taf/taf.html", context)


@login_required
@permission_required(perms.MANAGE_TAF, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def taf_invite(request: HttpRequest, uuid) -> HttpResponse:
    """Invite a practitioner into the team, within the family's consent to share."""
    episode = episode_get(user=request.user, uuid=uuid)
    form = TafInviteForm(_posted(request), practitioners=selectors.taf_invitees(episode=episode))
    if request.method == "POST" and form.is_valid():
        invitee = form.cleaned_data["practitioner"]
        try:
            services.taf_member_invite(
                user=request.user, episode=episode, invitee=invitee, role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            errors_from_validation(form, error)
        except (services.TafError, EpisodeError) as error:
            form.add_error("practitioner", str(error))
        else:
            messages.success(request, f"{invitee.full_name} is now in the Team Around the Family and has been told.")
            return redirect("cases:taf", uuid=episode.uuid)
    return render(request, "cases/taf/invite.html", {"form": form, "episode": episode})


@login_required
@permission_required(perms.MANAGE_TAF, raise_exception=True)
@require_POST
def taf_member_remove(request: HttpRequest, uuid) -> HttpResponse:
    member = selectors.taf_member_get(user=request.user, uuid=uuid)
    try:
        services.taf_member_remove(user=request.user, member=member)
    except (services.TafError, EpisodeError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{member.user.full_name} has left the Team Around the Family and has been told.")
    return redirect("cases:taf", uuid=member.episode.uuid)


@login_required
@permission_required(perms.RECORD_MEETING, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def meeting_new(request: HttpRequest, uuid) -> HttpResponse:
    """Plan a meeting; the due date defaults to when the rules say it is due."""
    episode = episode_get(user=request.user, uuid=uuid)
    form = MeetingPlanForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_plan(user=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        except (services.TafError, EpisodeError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"{meeting.get_kind_display()} planned, due {services.long_date(meeting.due_on)}."
            )
            return redirect("cases:meeting_detail", uuid=meeting.uuid)
    context = {
        "form": form,
        "episode": episode,
        "initial_due": services.meeting_due_default(episode=episode, kind=TafMeeting.Kind.INITIAL),
        "review_due": services.meeting_due_default(episode=episode, kind=TafMeeting.Kind.REVIEW),
    }
    return render(request, "cases/taf/meeting_new.html", context)


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def meeting_detail(request: HttpRequest, uuid) -> HttpResponse:
    """What a meeting recorded: attendance, the scaling snapshot, the result and decision."""
    meeting = selectors.meeting_page(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=meeting, detail="TAF meeting", request=request)
    context = {
        "meeting": meeting,
        "episode": meeting.episode,
        "next_step": _next_step(meeting),
        "may_record": request.user.has_perm(perms.RECORD_MEETING),
    }
    return render(request, "cases/taf/meeting_detail.html", context)


@login_required
@permission_required(perms.RECORD_MEETING, raise_exception=True)
@require_http_methods(["GET", "POST"])
def meeting_record(request: HttpRequest, uuid) -> HttpResponse:
    """Record a planned meeting as held. A meeting already held or cancelled is shown with the reason instead."""
    meeting = selectors.meeting_get(user=request.user, uuid=uuid)
    episode = meeting.episode
    form = None
    if meeting.status == TafMeeting.Status.PLANNED and episode.is_open:
        today = timezone.localdate()
        form = MeetingRecordForm(
            _posted(request),
            practitioners=selectors.meeting_practitioners(episode=episode),
            people=selectors.meeting_family_members(user=request.user, episode=episode),
            goals=selectors.goals_to_scale(episode=episode, user=request.user),
            initial={"held_on": today, "next_review_due": services.review_due_after(today)},
        )
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_record(user=request.user, meeting=meeting, **form.record_fields())
        except ValidationError as error:
            errors_from_validation(form, error)
        except (services.TafError, EpisodeError) as error:
            form.add_error(None, str(error))
        else:
            next_step = _next_step(meeting)
            then = f" Next: {next_step[1].lower()}." if next_step else ""
            messages.success(request, f"{meeting.get_kind_display()} recorded.{then}")
            return redirect("cases:meeting_detail", uuid=meeting.uuid)
    elif form is None and request.method == "POST":
        messages.error(request, _not_recordable(meeting))
        return redirect("cases:meeting_detail", uuid=meeting.uuid)
    context = {"form": form, "meeting": meeting, "episode": episode, "reason": _not_recordable(meeting)}
    return render(request, "cases/taf/meeting_record.html", context)


def _not_recordable(meeting: TafMeeting) -> str:
    if not meeting.episode.is_open:
        return (
            f"This episode is {meeting.episode.get_status_display().lower()}, so its meetings can no longer be recorded"
        )
    if meeting.status != TafMeeting.Status.PLANNED:
        return f"This meeting is {meeting.get_status_display().lower()}, so it cannot be recorded again"
    return ""


@login_required
@permission_required(perms.RECORD_MEETING, raise_exception=True)
@require_POST
def meeting_cancel(request: HttpRequest, uuid) -> HttpResponse:
    meeting = selectors.meeting_get(user=request.user, uuid=uuid)
    try:
        services.meeting_cancel(user=request.user, meeting=meeting)
    except (services.TafError, EpisodeError) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{meeting.get_kind_display()} cancelled.")
    return redirect("cases:meeting_detail", uuid=meeting.uuid)


urlpatterns: list = [
    path("episodes/<uuid:uuid>/taf/", taf, name="taf"),
    path("episodes/<uuid:uuid>/taf/invite/", taf_invite, name="taf_invite"),
    path("episodes/<uuid:uuid>/taf/meetings/new/", meeting_new, name="meeting_new"),
    path("taf/members/<uuid:uuid>/remove/", taf_member_remove, name="taf_member_remove"),
    path("taf/meetings/<uuid:uuid>/", meeting_detail, name="meeting_detail"),
    path("taf/meetings/<uuid:uuid>/record/", meeting_record, name="meeting_record"),
    path("taf/meetings/<uuid:uuid>/cancel/", meeting_cancel, name="meeting_cancel"),
]
