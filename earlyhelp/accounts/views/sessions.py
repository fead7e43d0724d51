"""Sessions: where you are signed in (end one or all the others), staying signed in from the timeout warning, and
the page that says why you were signed out."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from earlyhelp.accounts.signed_in_sessions import (
    signed_in_session_end,
    signed_in_session_of,
    signed_in_sessions_end_others,
    signed_in_sessions_ended_page,
    signed_in_sessions_open,
)

# Why the service signed someone out, as the signed-out page explains it (?reason=).
SIGNED_OUT_REASONS = {"idle", "absolute"}


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    open_lines = signed_in_sessions_open(user=request.user, current_session_key=request.session.session_key)
    page, ended_lines = signed_in_sessions_ended_page(user=request.user, page_number=request.GET.get("page"))
    return render(
        request,
        "accounts/sessions.html",
        {
            "current": next((line for line in open_lines if line.is_current), None),
            "others": [line for line in open_lines if not line.is_current],
            "page": page,
            "ended": ended_lines,
            "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
            "absolute_hours": settings.SESSION_ABSOLUTE_SECONDS // 3600,
        },
    )


@login_required
@require_POST
def session_end(request: HttpRequest, uuid) -> HttpResponse:
    record = signed_in_session_of(user=request.user, uuid=uuid)
    if record is None:
        raise Http404
    if record.session_key == request.session.session_key:
        messages.info(request, "To end the session you are using now, sign out.")
    elif signed_in_session_end(user=request.user, signed_in_session=record):
        messages.success(request, "You have signed out of that session. Its browser will need to sign in again.")
    else:
        messages.info(request, "That session had already ended.")
    return redirect("accounts:sessions")


@login_required
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    ended = signed_in_sessions_end_others(user=request.user, keep_session_key=request.session.session_key)
    if ended:
        messages.success(request, f"You have signed out of {ended} other session{'s' if ended != 1 else ''}.")
    else:
        messages.success(request, "You were not signed in anywhere else.")
    return redirect("accounts:sessions")


@login_required
@require_POST
def session_keep_alive(request: HttpRequest) -> HttpResponse:
    """Stay signed in: this request always saves the session, which moves its expiry on, and says how long it
    now has, so the timeout warning can start its clock again without reloading the page."""
    request.session.modified = True
    return JsonResponse({"idle_seconds": settings.SESSION_COOKIE_AGE})


def signed_out(request: HttpRequest) -> HttpResponse:
    """Public: why the service signed you out. Says nothing about who you were."""
    reason = request.GET.get("reason")
    return render(
        request,
        "registration/signed_out.html",
        {
            "reason": reason if reason in SIGNED_OUT_REASONS else None,
            "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
            "absolute_hours": settings.SESSION_ABSOLUTE_SECONDS // 3600,
        },
    )


urlpatterns = [
    path("sessions/", sessions, name="sessions"),
    path("sessions/end-others/", sessions_end_others, name="sessions_end_others"),
    path("sessions/keep-alive/", session_keep_alive, name="session_keep_alive"),
    path("sessions/<uuid:uuid>/end/", session_end, name="session_end"),
    path("signed-out/", signed_out, name="signed_out"),
]
