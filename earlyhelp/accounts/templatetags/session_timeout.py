"""The timeout warning dialog, with the idle and warning times the script reads from its data attributes."""

import time

from django import template
from django.conf import settings

from earlyhelp.accounts.otp import session_verified_at
from earlyhelp.accounts.signed_in_sessions import session_idle_seconds_left

register = template.Library()


@register.inclusion_tag("accounts/sessions_timeout_dialog.html", takes_context=True)
def session_timeout_dialog(context) -> dict:
    """The dialog and its script, for a session signed in with both factors (before the code, the sign-in pages have
    nothing to keep and the server's timeout is enough)."""
    session = getattr(context.get("request"), "session", None)
    warning = settings.SESSION_WARNING_SECONDS
    minutes, seconds = divmod(warning, 60)
    parts = [f"{minutes} minute{'s' if minutes != 1 else ''}"] if minutes else []
    parts += [f"{seconds} second{'s' if seconds != 1 else ''}"] if seconds or not minutes else []
    return {
        "signed_in": session is not None and session_verified_at(session) is not None,
        "session_idle_seconds": (
            session_idle_seconds_left(session, now=time.time()) if session is not None else settings.SESSION_COOKIE_AGE
        ),
        "session_warning_seconds": warning,
        "session_warning_text": " ".join(parts),
    }
