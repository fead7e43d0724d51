"""Second-factor checks shared by sign-in, re-authentication and break-the-glass (django-otp underneath).

A session that has passed the second factor carries the time of the last code entered (`VERIFIED_AT_SESSION_KEY`),
so the check on each request needs no database query and a sensitive action can ask for a recent code."""

from datetime import datetime

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from django_otp import match_token

VERIFIED_AT_SESSION_KEY = "two_factor_verified_at"


def code_matches(*, user, code: str) -> bool:
    """Whether `code` is a current code from one of `user`'s confirmed devices (an authenticator app's TOTP code or
    an unused backup code). django-otp refuses a TOTP code already used and throttles repeated failures."""
    code = "".join((code or "").split())
    if not code:
        return False
    return match_token(user, code) is not None


def session_verified_mark(session: SessionBase, *, at: datetime | None = None) -> None:
    """Record in `session` that its user has just entered a second-factor code."""
    session[VERIFIED_AT_SESSION_KEY] = (at or timezone.now()).isoformat()


def session_verified_at(session: SessionBase) -> datetime | None:
    """When this session's user last entered a second-factor code, or None if they have not."""
    value = session.get(VERIFIED_AT_SESSION_KEY)
    return datetime.fromisoformat(value) if value else None
