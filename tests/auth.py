"""Signed-in test clients: a persona's client has passed both the password and the second factor."""

import time

from django.test import Client

from earlyhelp.accounts.otp import session_verified_mark
from earlyhelp.accounts.signed_in_sessions import session_touch


def signed_in_client(user, client: Client | None = None) -> Client:
    """A client signed in as `user` with the second factor entered, as after a full sign-in."""
    client = client or Client()
    client.force_login(user)
    session = client.session
    session_verified_mark(session)
    session_touch(session, now=time.time())  # as the sign-in's own save leaves it: the next minute saves nothing
    session.save()
    return client
