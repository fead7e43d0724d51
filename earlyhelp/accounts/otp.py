"""Second-factor checks shared by sign-in, re-authentication and break-the-glass (django-otp underneath).

A session that has passed the second factor carries the time of the last code entered (`VERIFIED_AT_SESSION_KEY`),
so the check on each request needs no database query and a sensitive action can ask for a recent code."""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

VERIFIED_AT_SESSION_KEY = "two_factor_verified_at"
TOTP_DIGITS = 6


@dataclass(frozen=True)
class CodeCheck:
    """What became of a code: accepted, or refused (wrong, already used, or asked for too soon after failures)."""

    accepted: bool
    throttled_until: datetime | None = None


def code_normalise(code: str) -> str:
    """A code as typed, without spaces or dashes and in lower case (backup codes are letters and digits)."""
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-").lower()


def _is_totp_code(code: str) -> bool:
    return len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()


def _device_for(user, code: str):
    """The confirmed device a code is meant for: six digits are the authenticator app's, anything else is a backup
    code. Only that device is tried, so a backup code never counts as a wrong app code (and the reverse)."""
    model = TOTPDevice if _is_totp_code(code) else StaticDevice
    return model.objects.devices_for_user(user, confirmed=True).select_for_update().order_by("pk").first()


def code_check(*, user, code: str) -> CodeCheck:
    """Check `code` against `user`'s confirmed authenticator app (a TOTP code) or backup codes. django-otp refuses a
    TOTP code from a time step already used (replay) and, after each failure, refuses every code for 1, 2, 4, 8...
    seconds (throttling), even a right one; a backup code is used up when accepted."""
    code = code_normalise(code)
    if not code or user is None or not user.is_authenticated:
        return CodeCheck(accepted=False)
    with transaction.atomic():
        device = _device_for(user, code)
        if device is None:
            return CodeCheck(accepted=False)
        allowed, detail = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(accepted=False, throttled_until=(detail or {}).get("locked_until"))
        return CodeCheck(accepted=device.verify_token(code))


def totp_time_step(*, key: str, code: str, tolerance: int = 1) -> int | None:
    """The time step at which `code` is the TOTP code of the hex `key` (within `tolerance` steps of now), or None.
    Used to confirm a new authenticator app before its device is saved."""
    code = code_normalise(code)
    if not _is_totp_code(code):
        return None
    totp = TOTP(bytes.fromhex(key), step=30, t0=0, digits=TOTP_DIGITS)
    totp.time = time.time()
    return totp.t() if totp.verify(int(code), tolerance) else None


def totp_code_now(*, key: str) -> str:
    """The current six-digit code for the hex `key` (for the demo's `demo_code` command and the browser tests)."""
    totp = TOTP(bytes.fromhex(key), step=30, t0=0, digits=TOTP_DIGITS)
    totp.time = time.time()
    return f"{totp.token():0{TOTP_DIGITS}d}"


def session_verified_mark(session: SessionBase, *, at: datetime | None = None) -> None:
    """Record in `session` that its user has just entered a second-factor code."""
    session[VERIFIED_AT_SESSION_KEY] = (at or timezone.now()).isoformat()


def session_verified_at(session: SessionBase) -> datetime | None:
    """When this session's user last entered a second-factor code, or None if they have not."""
    value = session.get(VERIFIED_AT_SESSION_KEY)
    return datetime.fromisoformat(value) if value else None


def session_verified_recently(session: SessionBase, *, minutes: int | None = None) -> bool:
    """Whether this session's user entered a code less than `minutes` (default settings.REAUTH_MINUTES) ago."""
    verified_at = session_verified_at(session)
    limit = timedelta(minutes=settings.REAUTH_MINUTES if minutes is None else minutes)
    return verified_at is not None and timezone.now() - verified_at < limit


def reauthentication_url(next_url: str) -> str:
    """The "Enter a code to continue" page, coming back to `next_url` once a code is accepted."""
    return f"{reverse('accounts:reauthenticate')}?{urlencode({'next': next_url})}"


def reauthentication_required(view):
    """Decorate a view for a sensitive action (an export, break-the-glass, a change to one's own credentials): unless
    the session's last second-factor code is under settings.REAUTH_MINUTES (default 15) old, the user is sent to the
    "Enter a code to continue" page (accounts:reauthenticate) and, once a code is accepted, back to this address (a
    GET of it: the data of a POST sent with an old code is not kept). Anonymous users are sent to sign in.

    Put it below @login_required and @permission_required, so a user without the permission is refused (403) before
    being asked for a code:

        @login_required
        @permission_required(perms.EXPORT_TEAM_PLANS, raise_exception=True)
        @reauthentication_required
        def team_plans(request, uuid): ...
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not session_verified_recently(request.session):
            return redirect(reauthentication_url(request.get_full_path()))
        return view(request, *args, **kwargs)

    return wrapped
