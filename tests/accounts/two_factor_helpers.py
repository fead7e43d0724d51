"""A user's authenticator app in tests: a confirmed TOTP device with a known key, and the code it shows now."""

from datetime import UTC, datetime

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from earlyhelp.accounts.otp import totp_code_now
from tests.factories import PASSWORD

# 20 bytes, hex, as django-otp stores a key.
TEST_KEY = "3132333435363738393031323334353637383930"
# Five seconds into a 30-second TOTP time step, so a test's codes all belong to one step.
MONDAY_MORNING = datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC)


def authenticator_add(user, key: str = TEST_KEY) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", key=key, confirmed=True)


def code_now(key: str = TEST_KEY) -> str:
    return totp_code_now(key=key)


def password_given(user, client: Client | None = None, next_url: str = "") -> tuple[Client, object]:
    """A client that has given `user`'s password (the first step only), and the response."""
    client = client or Client()
    data = {"username": user.email, "password": PASSWORD} | ({"next": next_url} if next_url else {})
    return client, client.post(reverse("accounts:login"), data)
