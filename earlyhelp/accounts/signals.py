"""Signed-in sessions follow the user: recorded at sign-in, closed at sign-out, all ended when the account is
disabled (in the administration site or by any save)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_init, post_save

from earlyhelp.accounts.signed_in_sessions import (
    EndReason,
    signed_in_session_record,
    signed_in_session_signed_out,
    signed_in_sessions_end_all,
)

_WAS_ACTIVE = "_signed_in_sessions_was_active"


def session_recorded_at_sign_in(sender, request, user, **kwargs) -> None:
    # The test client's force_login sends a bare request (a session, no address); another sender may send none.
    if request is not None:
        signed_in_session_record(request=request, user=user)


def session_closed_at_sign_out(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        signed_in_session_signed_out(session_key=session_key)


def user_is_active_remembered(sender, instance, **kwargs) -> None:
    # Read from __dict__: a deferred is_active must not cost a query for every user loaded.
    setattr(instance, _WAS_ACTIVE, instance.__dict__.get("is_active"))


def sessions_ended_when_disabled(sender, instance, created, update_fields=None, **kwargs) -> None:
    if update_fields is not None and "is_active" not in update_fields:
        return
    was_active = getattr(instance, _WAS_ACTIVE, None)
    setattr(instance, _WAS_ACTIVE, instance.is_active)
    if not created and was_active and not instance.is_active:
        signed_in_sessions_end_all(user=instance, reason=EndReason.DISABLED)


def connect() -> None:
    """Connect the receivers (from AccountsConfig.ready)."""
    user_model = get_user_model()
    user_logged_in.connect(session_recorded_at_sign_in, dispatch_uid="signed_in_session_recorded")
    user_logged_out.connect(session_closed_at_sign_out, dispatch_uid="signed_in_session_closed")
    post_init.connect(user_is_active_remembered, sender=user_model, dispatch_uid="user_is_active_remembered")
    post_save.connect(sessions_ended_when_disabled, sender=user_model, dispatch_uid="user_disabled_sessions_ended")
