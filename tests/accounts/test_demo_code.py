"""The demo users' shared authenticator secret, and `manage.py demo_code`."""

import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.demo.staff import DEMO_PASSWORD, DEMO_TOTP_SECRET, agencies_load, demo_email, demo_totp_key, users_load
from tests.accounts.two_factor_helpers import MONDAY_MORNING

pytestmark = pytest.mark.django_db


def _demo_code() -> str:
    output = io.StringIO()
    call_command("demo_code", stdout=output, stderr=io.StringIO())
    return output.getvalue().strip()


def test_demo_totp_secret_is_a_twenty_byte_base32_key():
    assert len(DEMO_TOTP_SECRET) == 32
    assert len(bytes.fromhex(demo_totp_key())) == 20


def test_users_load_gives_every_demo_user_the_demo_authenticator_once(york_reference_data):
    users = users_load(agencies_load())
    users_load(agencies_load())
    devices = TOTPDevice.objects.filter(user__in=users.values())
    assert devices.count() == len(users)
    assert set(devices.values_list("key", flat=True)) == {demo_totp_key()}
    assert all(devices.values_list("confirmed", flat=True))


def test_demo_code_signs_a_demo_user_in(york_reference_data):
    users_load(agencies_load())
    with time_machine.travel(MONDAY_MORNING, tick=False):
        code = _demo_code()
        assert len(code) == 6 and code.isdigit()
        client = Client()
        response = client.post(
            reverse("accounts:login"), {"username": demo_email("cfs", "tang-hall"), "password": DEMO_PASSWORD}
        )
        assert response["Location"] == reverse("accounts:two_factor_code")
        assert client.post(reverse("accounts:two_factor_code"), {"code": code})["Location"] == reverse("core:home")


def test_demo_code_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never in production"):
        _demo_code()
