"""Re-authentication before sensitive actions, and the changes a user makes to their own credentials."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from earlyhelp.accounts.otp import session_verified_at
from earlyhelp.accounts.two_factor import backup_codes_generate
from tests.accounts.two_factor_helpers import MONDAY_MORNING, authenticator_add, code_now, password_given
from tests.auth import signed_in_client
from tests.factories import PASSWORD
from tests.pages import messages_of, page_of

pytestmark = pytest.mark.django_db

REAUTH_PAGE = reverse("accounts:reauthenticate")
NEW_PASSWORD = "kettle-orchard-lantern-47"


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


def _verified(user, client: Client | None = None) -> Client:
    """A client signed in as `user` with the second factor entered now (on the clock as it is)."""
    return signed_in_client(user, client)


def _reauth_url(next_url: str) -> str:
    return f"{REAUTH_PAGE}?next={quote(next_url, safe='')}"


# ---------------------------------------------------------------------------------------------------------------
# Re-authentication
# ---------------------------------------------------------------------------------------------------------------

SENSITIVE = [
    ("reporting:dashboard_download", "analyst", {}, "?format=csv"),
    ("reporting:annex_a", "analyst", {}, ""),
    ("cases:sf_return", "sf_officer", {}, ""),
    ("documents:team_plans", "lat_manager", {"team": "tang-hall"}, ""),
    ("accounts:password_change", "cfs_worker", {}, ""),
    ("accounts:authenticator_replace", "cfs_worker", {}, ""),
    ("accounts:backup_codes_regenerate", "cfs_worker", {}, ""),
]


def _sensitive_url(request, name: str, kwargs: dict, query: str) -> str:
    if "team" in kwargs:
        kwargs = {"uuid": request.getfixturevalue("lats")[kwargs["team"]].uuid}
    return reverse(name, kwargs=kwargs) + query


@pytest.mark.parametrize(("name", "persona", "kwargs", "query"), SENSITIVE)
def test_reauthentication_required_when_the_last_code_is_fifteen_minutes_old(
    request, clock, name, persona, kwargs, query
):
    client = _verified(request.getfixturevalue(f"{persona}_user"))
    url = _sensitive_url(request, name, kwargs, query)
    clock.shift(timedelta(minutes=15))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == _reauth_url(url)


@pytest.mark.parametrize(("name", "persona", "kwargs", "query"), SENSITIVE)
def test_reauthentication_not_asked_within_fifteen_minutes_of_a_code(request, clock, name, persona, kwargs, query):
    client = _verified(request.getfixturevalue(f"{persona}_user"))
    clock.shift(timedelta(minutes=14, seconds=59))
    assert client.get(_sensitive_url(request, name, kwargs, query)).status_code == 200


def test_reauthentication_minutes_come_from_the_setting(clock, settings, analyst_user):
    settings.REAUTH_MINUTES = 5
    client = _verified(analyst_user)
    clock.shift(timedelta(minutes=5))
    assert client.get(reverse("reporting:annex_a"))["Location"] == _reauth_url(reverse("reporting:annex_a"))


def test_reauthentication_with_a_code_goes_back_to_the_download(clock, analyst_user):
    authenticator_add(analyst_user)
    client = _verified(analyst_user)
    url = reverse("reporting:dashboard_download") + "?format=csv"
    clock.shift(timedelta(minutes=20))
    page = page_of(client.get(_reauth_url(url)))
    assert "Enter a code to continue" in page
    before = client.cookies["sessionid"].value

    response = client.post(REAUTH_PAGE, {"code": code_now(), "next": url})

    assert response["Location"] == url
    assert session_verified_at(client.session) == MONDAY_MORNING + timedelta(minutes=20)
    assert client.cookies["sessionid"].value != before
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")


def test_reauthentication_refuses_a_wrong_code(clock, analyst_user):
    authenticator_add(analyst_user)
    client = _verified(analyst_user)
    clock.shift(timedelta(minutes=20))
    wrong = "000000" if code_now() != "000000" else "111111"
    page = page_of(client.post(REAUTH_PAGE, {"code": wrong, "next": reverse("reporting:annex_a")}))
    assert "govuk-error-summary" in page
    assert client.get(reverse("reporting:annex_a")).status_code == 302


def test_reauthentication_accepts_a_backup_code(clock, analyst_user):
    codes = backup_codes_generate(user=analyst_user)
    client = _verified(analyst_user)
    clock.shift(timedelta(minutes=20))
    response = client.post(REAUTH_PAGE, {"code": codes[3], "next": reverse("reporting:annex_a")})
    assert response["Location"] == reverse("reporting:annex_a")


def test_reauthentication_sends_anonymous_users_to_sign_in():
    response = Client().get(reverse("reporting:annex_a"))
    assert response["Location"].startswith(reverse("accounts:login"))


def test_reauthentication_comes_after_the_permission_check(clock, cfs_worker_user):
    client = _verified(cfs_worker_user)
    clock.shift(timedelta(minutes=20))
    assert client.get(reverse("reporting:annex_a")).status_code == 403


# ---------------------------------------------------------------------------------------------------------------
# Your account and credential changes
# ---------------------------------------------------------------------------------------------------------------


def test_account_page_links_to_each_change(cfs_worker_client, cfs_worker_user):
    backup_codes_generate(user=cfs_worker_user)
    page = page_of(cfs_worker_client.get(reverse("accounts:account")))
    assert "Your account" in page
    assert cfs_worker_user.email in page
    for name in ("accounts:password_change", "accounts:authenticator_replace", "accounts:backup_codes_regenerate"):
        assert f'href="{reverse(name)}"' in page
    assert "10 unused" in page


def _other_session(user) -> Client:
    other = _verified(user)
    assert other.get(reverse("core:home")).status_code == 200
    return other


def test_password_change_keeps_this_session_ends_the_others_and_sends_an_e_mail(clock, cfs_worker_user, mailoutbox):
    client = _verified(cfs_worker_user)
    other = _other_session(cfs_worker_user)
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}

    response = client.post(reverse("accounts:password_change"), data)

    assert response["Location"] == reverse("accounts:account")
    assert "Your password has been changed" in messages_of(response)[0]
    assert client.get(reverse("core:home")).status_code == 200
    assert other.get(reverse("core:home")).status_code == 302
    assert Session.objects.count() == 1
    cfs_worker_user.refresh_from_db()
    assert cfs_worker_user.check_password(NEW_PASSWORD)
    assert [mail.subject for mail in mailoutbox] == ["Your Early Help password was changed"]
    assert mailoutbox[0].to == [cfs_worker_user.email]
    assert "If you did not make this change" in mailoutbox[0].body


def test_password_change_refuses_a_wrong_current_password_and_a_weak_new_one(clock, cfs_worker_user, mailoutbox):
    client = _verified(cfs_worker_user)
    data = {"old_password": "not-my-password-9", "new_password1": "password1234", "new_password2": "password1234"}
    page = page_of(client.post(reverse("accounts:password_change"), data))
    assert "Your current password is not right" in page
    assert "govuk-error-summary" in page
    data["old_password"] = PASSWORD
    page = page_of(client.post(reverse("accounts:password_change"), data))
    assert "This password is too common" in page
    cfs_worker_user.refresh_from_db()
    assert cfs_worker_user.check_password(PASSWORD)
    assert mailoutbox == []


def _secret_key(page: str) -> str:
    from base64 import b32decode

    return b32decode(re.search(r'id="authenticator-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")).hex()


def test_authenticator_replace_swaps_the_app_ends_other_sessions_and_sends_an_e_mail(
    clock, cfs_worker_user, mailoutbox
):
    old = authenticator_add(cfs_worker_user)
    client = _verified(cfs_worker_user)
    other = _other_session(cfs_worker_user)
    page = page_of(client.get(reverse("accounts:authenticator_replace")))
    assert "Set up a new authenticator app" in page
    assert '<img src="data:image/svg+xml' in page
    key = _secret_key(page)

    response = client.post(reverse("accounts:authenticator_replace"), {"code": code_now(key)})

    assert response["Location"] == reverse("accounts:account")
    assert list(TOTPDevice.objects.filter(user=cfs_worker_user).values_list("key", flat=True)) == [key]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert client.get(reverse("core:home")).status_code == 200
    assert other.get(reverse("core:home")).status_code == 302
    assert [mail.subject for mail in mailoutbox] == ["A new authenticator app was set up for Early Help"]


def test_authenticator_replace_keeps_the_old_app_after_a_wrong_code(clock, cfs_worker_user, mailoutbox):
    old = authenticator_add(cfs_worker_user)
    client = _verified(cfs_worker_user)
    key = _secret_key(page_of(client.get(reverse("accounts:authenticator_replace"))))
    wrong = "000000" if code_now(key) != "000000" else "111111"
    page = page_of(client.post(reverse("accounts:authenticator_replace"), {"code": wrong}))
    assert "The code is not right" in page
    assert list(TOTPDevice.objects.filter(user=cfs_worker_user)) == [old]
    assert mailoutbox == []


def test_backup_codes_regenerate_replaces_the_codes_and_shows_them_once(clock, cfs_worker_user, mailoutbox):
    old_codes = backup_codes_generate(user=cfs_worker_user)
    client = _verified(cfs_worker_user)
    other = _other_session(cfs_worker_user)
    assert "You have 10 unused backup codes" in page_of(client.get(reverse("accounts:backup_codes_regenerate")))

    response = client.post(reverse("accounts:backup_codes_regenerate"))

    page = page_of(client.get(response["Location"]))
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(codes) == 10
    assert not set(codes) & set(old_codes)
    assert set(StaticToken.objects.filter(device__user=cfs_worker_user).values_list("token", flat=True)) == set(codes)
    assert f'href="{reverse("accounts:account")}"' in page
    assert other.get(reverse("core:home")).status_code == 302
    assert [mail.subject for mail in mailoutbox] == ["New Early Help backup codes were made"]


def test_credential_change_pages_ask_for_a_code_first_when_it_is_old(clock, cfs_worker_user):
    client = _verified(cfs_worker_user)
    clock.shift(timedelta(minutes=16))
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = client.post(reverse("accounts:password_change"), data)
    assert response["Location"] == _reauth_url(reverse("accounts:password_change"))
    cfs_worker_user.refresh_from_db()
    assert cfs_worker_user.check_password(PASSWORD)


def test_password_change_then_sign_in_with_the_new_password(clock, cfs_worker_user):
    authenticator_add(cfs_worker_user)
    client = _verified(cfs_worker_user)
    data = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    client.post(reverse("accounts:password_change"), data)
    fresh = Client()
    response = fresh.post(reverse("accounts:login"), {"username": cfs_worker_user.email, "password": NEW_PASSWORD})
    assert response["Location"] == reverse("accounts:two_factor_code")
    _, old = password_given(cfs_worker_user)
    assert old.status_code == 200
