"""Signed-in test clients: a persona's client has passed both the password and the second factor."""

from django.test import Client

from earlyhelp.accounts.otp import session_verified_mark


def signed_in_client(user, client: Client | None = None) -> Client:
    """A client signed in as `user` with the second factor entered, as after a full sign-in."""
    client = client or Client()
    client.force_login(user)
    session = client.session
    session_verified_mark(session)
    session.save()
    return client
