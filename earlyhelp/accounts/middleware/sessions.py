"""Session limits: however active, a session ends SESSION_ABSOLUTE_SECONDS (12 hours) after sign-in.

The idle timeout is Django's own (SESSION_COOKIE_AGE, moved on when the session is saved: at most once a minute,
see SessionTouchMiddleware). The time of sign-in is kept in the session, so this check reads the session the request
loads anyway and adds no database query."""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from earlyhelp.accounts.signed_in_sessions import (
    EndReason,
    session_absolute_limit_passed,
    session_signed_in_at,
    session_signed_in_mark,
    session_touch,
    session_touch_due,
    signed_in_session_signed_out,
)


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.SESSION_COOKIE_NAME in request.COOKIES and SESSION_KEY in request.session:
            if session_signed_in_at(request.session) is None:
                # Signed in before sign-in times were kept: the clock starts now.
                session_signed_in_mark(request.session)
            elif session_absolute_limit_passed(request.session, now=timezone.now()):
                return self._signed_out(request)
        return self.get_response(request)

    def _signed_out(self, request) -> HttpResponseRedirect:
        signed_in_session_signed_out(session_key=request.session.session_key, reason=EndReason.ABSOLUTE_LIMIT)
        logout(request)
        return HttpResponseRedirect(f"{reverse('accounts:signed_out')}?{urlencode({'reason': 'absolute'})}")


class SessionTouchMiddleware:
    """The idle timeout without a write on every request: a signed-in session is saved, which moves its expiry on,
    when it changed anyway or when SESSION_TOUCH_SECONDS (60) have passed since it last was. So a session ends 29 to
    30 minutes after its last request, and most requests write nothing to the session store. The timeout warning is
    told the time actually left (`session_idle_seconds_left`). Sits just inside SessionMiddleware, which saves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = time.time()
            if session_touch_due(session, now=now):
                session_touch(session, now=now)
        return response
