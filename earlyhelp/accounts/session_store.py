"""Django's database sessions, keeping the record of a signed-in session when its key changes.

Sign-in and the second-factor step rotate the session key (`cycle_key`); the user's `SignedInSession` moves to the
new key with it, so "Where you are signed in" still knows this device and can end it."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db


class SessionStore(db.SessionStore):
    def cycle_key(self) -> None:
        old_key = self.session_key
        signed_in = bool(old_key) and SESSION_KEY in self._session
        super().cycle_key()
        if signed_in:
            from earlyhelp.accounts.signed_in_sessions import signed_in_session_rekey

            signed_in_session_rekey(old_key=old_key, new_key=self.session_key)
