"""Two-factor sign-in: the code after the password, setting up an authenticator app, backup codes, replayed codes and
throttling."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from earlyhelp.accounts.forms import CODE_WRONG
from earlyhelp.accounts.otp import VERIFIED_AT_SESSION_KEY, code_check, session_verified_at
from tests.accounts.two_factor_helpers import MONDAY_MORNING, authenticator_add, code_now, password_given
from tests.factories import PASSWORD, UserFactory
from tests.pages import messages_of, page_of

pytestmark = pytest.mark.django_db

CODE_PAGE = reverse("accounts:two_factor_code")
ENROL_PAGE = reverse("accounts:two_factor_enrol")


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def worker(db):
    user = UserFactory(email="worker@example.org", full_name="Wren Worker")
    authenticator_add(user)
    return user


def _code_entered(client: Client, code: str, next_url: str = ""):
    return client.post(CODE_PAGE, {"code": code, "next": next_url})


def _signed_in(user, next_url: str = "") -> Client:
    client, _ = password_given(user, next_url=next_url)
    response = _code_entered(client, code_now(), next_url)
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def _throttle_cleared(clock) -> None:
    clock.shift(timedelta(minutes=20))


# ---------------------------------------------------------------------------------------------------------------
# The code after the password
# ---------------------------------------------------------------------------------------------------------------


def test_sign_in_password_goes_to_the_code_page_keeping_next(clock, worker):
    _, response = password_given(worker, next_url="/families/")
    assert response.status_code == 302
    assert response["Location"] == f"{CODE_PAGE}?next={quote('/families/', safe='')}"


def test_sign_in_password_without_an_authenticator_goes_to_set_one_up(clock):
    _, response = password_given(UserFactory(), next_url="/families/")
    assert response["Location"] == f"{ENROL_PAGE}?next={quote('/families/', safe='')}"


def test_two_factor_code_page_asks_for_the_code(clock, worker):
    client, _ = password_given(worker)
    page = page_of(client.get(CODE_PAGE))
    assert "Enter the code from your authenticator app" in page
    assert 'autocomplete="one-time-code"' in page
    assert "Sign out" in page


def test_two_factor_code_goes_to_next_and_marks_the_session(clock, worker):
    client, _ = password_given(worker, next_url="/families/")
    response = _code_entered(client, code_now(), "/families/")
    assert response.status_code == 302
    assert response["Location"] == "/families/"
    assert session_verified_at(client.session) == MONDAY_MORNING


def test_two_factor_code_rotates_the_session_key(clock, worker):
    client, _ = password_given(worker)
    before = client.cookies["sessionid"].value
    _code_entered(client, code_now())
    after = client.cookies["sessionid"].value
    assert after != before
    assert client.get(reverse("core:home")).status_code == 200


@pytest.mark.parametrize("next_url", ["//evil.example/", "https://evil.example/x", "javascript:alert(1)"])
def test_two_factor_code_never_goes_off_site(clock, worker, next_url):
    client, _ = password_given(worker)
    response = _code_entered(client, code_now(), next_url)
    assert response["Location"] == reverse("core:home")


def test_two_factor_wrong_code_is_refused_with_an_error_summary(clock, worker):
    client, _ = password_given(worker)
    response = _code_entered(client, "000000" if code_now() != "000000" else "111111")
    page = page_of(response)
    assert "govuk-error-summary" in page
    assert CODE_WRONG in page
    assert VERIFIED_AT_SESSION_KEY not in client.session


def test_two_factor_empty_code_is_refused(clock, worker):
    client, _ = password_given(worker)
    assert "Enter the code" in page_of(_code_entered(client, ""))


def test_two_factor_replayed_code_is_refused(clock, worker):
    code = code_now()
    _signed_in(worker)
    again, _ = password_given(worker)
    response = _code_entered(again, code)
    assert CODE_WRONG in page_of(response)
    assert VERIFIED_AT_SESSION_KEY not in again.session


def test_two_factor_code_of_the_next_time_step_is_accepted_after_one_was_used(clock, worker):
    _signed_in(worker)
    clock.shift(timedelta(seconds=30))
    _signed_in(worker)


def test_two_factor_throttles_repeated_failures_even_with_the_right_code(clock, worker):
    client, _ = password_given(worker)
    wrong = "000000" if code_now() != "000000" else "111111"
    for _ in range(3):
        _code_entered(client, wrong)
    response = _code_entered(client, code_now())
    page = page_of(response)
    assert "You have entered a wrong code too many times. Wait" in page
    assert VERIFIED_AT_SESSION_KEY not in client.session
    clock.shift(timedelta(seconds=30))
    assert _code_entered(client, code_now()).status_code == 302


def test_two_factor_backup_code_works_once(clock, worker):
    from earlyhelp.accounts.two_factor import backup_codes_generate

    codes = backup_codes_generate(user=worker)
    client, _ = password_given(worker)
    assert _code_entered(client, codes[0].upper()).status_code == 302
    assert StaticToken.objects.filter(device__user=worker).count() == 9
    _throttle_cleared(clock)
    again, _ = password_given(worker)
    assert CODE_WRONG in page_of(_code_entered(again, codes[0]))


def test_two_factor_backup_code_does_not_count_against_the_app(clock, worker):
    from earlyhelp.accounts.two_factor import backup_codes_generate

    codes = backup_codes_generate(user=worker)
    client, _ = password_given(worker)
    _code_entered(client, codes[0])
    device = TOTPDevice.objects.get(user=worker)
    assert device.throttling_failure_count == 0


def test_code_check_refuses_another_users_code(clock, worker):
    other = UserFactory()
    authenticator_add(other, key="00" * 20)
    assert not code_check(user=other, code=code_now()).accepted


def test_two_factor_code_page_for_a_verified_session_goes_on(clock, worker):
    client = _signed_in(worker)
    response = client.get(f"{CODE_PAGE}?next=/families/")
    assert response["Location"] == "/families/"


def test_two_factor_code_page_without_an_authenticator_goes_to_set_one_up(clock):
    client, _ = password_given(UserFactory())
    assert client.get(CODE_PAGE)["Location"] == ENROL_PAGE


def test_two_factor_pages_send_anonymous_users_to_sign_in():
    for url in (CODE_PAGE, ENROL_PAGE, reverse("accounts:reauthenticate"), reverse("accounts:account")):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# ---------------------------------------------------------------------------------------------------------------
# Setting up an authenticator app on first sign-in
# ---------------------------------------------------------------------------------------------------------------


def _secret_key(page: str) -> str:
    """The hex key behind the setup key shown on the page (base32 in groups of four)."""
    from base64 import b32decode

    secret = re.search(r'id="authenticator-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    return b32decode(secret).hex()


def test_two_factor_enrolment_shows_a_qr_code_drawn_here_and_the_secret(clock):
    client, _ = password_given(UserFactory())
    page = page_of(client.get(f"{ENROL_PAGE}?next=/families/"))
    assert "Set up your authenticator app" in page
    assert '<img src="data:image/svg+xml' in page
    assert 'alt="QR code to scan with your authenticator app"' in page
    assert "http" not in re.search(r'<img src="([^"]+)"', page).group(1).split(",", 1)[0]
    assert len(_secret_key(page)) == 40
    assert "style=" not in page and "<script>" not in page


def test_two_factor_enrolment_keeps_the_same_secret_until_confirmed(clock):
    client, _ = password_given(UserFactory())
    first = _secret_key(page_of(client.get(ENROL_PAGE)))
    assert _secret_key(page_of(client.get(ENROL_PAGE))) == first
    assert not TOTPDevice.objects.exists()


def test_two_factor_enrolment_confirms_the_app_and_shows_ten_backup_codes_once(clock, mailoutbox):
    user = UserFactory(email="new@example.org")
    client, _ = password_given(user, next_url="/families/")
    key = _secret_key(page_of(client.get(f"{ENROL_PAGE}?next=/families/")))
    before = client.cookies["sessionid"].value

    response = client.post(ENROL_PAGE, {"code": code_now(key), "next": "/families/"})

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:backup_codes')}?next={quote('/families/', safe='')}"
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.key == key
    assert client.cookies["sessionid"].value != before
    assert session_verified_at(client.session) == MONDAY_MORNING
    page = page_of(client.get(response["Location"]))
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", page)
    assert len(codes) == 10
    assert sorted(codes) == sorted(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert 'href="/families/"' in page
    assert "shown only this once" in page
    again = page_of(client.get(response["Location"]))
    assert not any(code in again for code in codes)
    assert [mail.subject for mail in mailoutbox] == ["Two-factor sign-in was set up for Early Help"]
    assert mailoutbox[0].to == ["new@example.org"]


def test_two_factor_enrolment_code_cannot_then_sign_in_again(clock):
    user = UserFactory()
    client, _ = password_given(user)
    key = _secret_key(page_of(client.get(ENROL_PAGE)))
    code = code_now(key)
    client.post(ENROL_PAGE, {"code": code})
    again, _ = password_given(user)
    assert CODE_WRONG in page_of(_code_entered(again, code))


def test_two_factor_enrolment_refuses_a_wrong_code(clock):
    user = UserFactory()
    client, _ = password_given(user)
    key = _secret_key(page_of(client.get(ENROL_PAGE)))
    wrong = "000000" if code_now(key) != "000000" else "111111"
    page = page_of(client.post(ENROL_PAGE, {"code": wrong}))
    assert "The code is not right" in page
    assert "govuk-error-summary" in page
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert VERIFIED_AT_SESSION_KEY not in client.session


def test_two_factor_enrolment_is_refused_to_a_password_only_session_of_a_user_with_an_app(clock, worker):
    """Someone who knows only the password cannot set up their own app in place of the user's."""
    client, _ = password_given(worker)
    response = client.get(ENROL_PAGE)
    assert response["Location"] == CODE_PAGE
    response = client.post(ENROL_PAGE, {"code": "123456"})
    assert response["Location"] == CODE_PAGE
    assert TOTPDevice.objects.filter(user=worker).count() == 1


def test_two_factor_enrolment_for_a_verified_session_goes_to_your_account(clock, worker):
    client = _signed_in(worker)
    assert client.get(ENROL_PAGE)["Location"] == reverse("accounts:account")


def test_backup_codes_page_without_new_codes_says_how_to_make_them(cfs_worker_client):
    page = page_of(cfs_worker_client.get(reverse("accounts:backup_codes")))
    assert "shown only once" in page
    assert reverse("accounts:backup_codes_regenerate") in page


def test_sign_out_is_open_to_a_password_only_session(clock, worker):
    client, _ = password_given(worker)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert messages_of(response) == []


# ---------------------------------------------------------------------------------------------------------------
# Every page but the two-factor ones is closed to a session that has given only the password
# ---------------------------------------------------------------------------------------------------------------

CLOSED_BEFORE_THE_CODE = [
    "/",
    "/families/",
    "/families/search/?name=Smith",
    "/admin/",
    "/admin/accounts/user/",
    "/reports/indicators/",
    "/accounts/",
    "/accounts/two-factor/confirm/",
    "/accounts/two-factor/backup-codes/",
    "/accounts/password/",
    "/no-such-page/",
]


@pytest.mark.parametrize("url", CLOSED_BEFORE_THE_CODE)
def test_two_factor_password_only_session_is_sent_to_the_code_page(clock, worker, url):
    client, _ = password_given(worker)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{CODE_PAGE}?next={quote(url, safe='')}"


def test_two_factor_password_only_session_of_a_staff_user_cannot_open_the_admin(clock):
    admin = UserFactory(is_staff=True, is_superuser=True)
    authenticator_add(admin)
    client, _ = password_given(admin)
    assert client.get("/admin/")["Location"] == f"{CODE_PAGE}?next={quote('/admin/', safe='')}"
    _code_entered(client, code_now())
    assert client.get("/admin/").status_code == 200


def test_two_factor_admin_sign_in_page_still_needs_the_code(clock):
    admin = UserFactory(is_staff=True, is_superuser=True)
    authenticator_add(admin)
    client = Client()
    client.post("/admin/login/", {"username": admin.email, "password": PASSWORD, "next": "/admin/"})
    assert client.get("/admin/")["Location"] == f"{CODE_PAGE}?next={quote('/admin/', safe='')}"


def test_two_factor_password_only_session_without_an_app_is_sent_to_set_one_up(clock):
    client, _ = password_given(UserFactory())
    assert client.get("/families/")["Location"] == f"{ENROL_PAGE}?next={quote('/families/', safe='')}"


def test_two_factor_password_only_session_cannot_post_anywhere_else(clock, worker, own_family):
    client, _ = password_given(worker)
    response = client.post(reverse("cases:family_edit", kwargs={"uuid": own_family.uuid}), {"name": "Changed"})
    assert response["Location"].startswith(CODE_PAGE)
    own_family.refresh_from_db()
    assert own_family.name != "Changed"


def test_two_factor_pages_and_static_files_are_open_before_the_code(clock, worker):
    client, _ = password_given(worker)
    assert client.get(CODE_PAGE).status_code == 200
    assert client.get(ENROL_PAGE)["Location"] == CODE_PAGE  # the user has an app already
    assert client.get("/static/js/govuk-init.js").status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_two_factor_code_page_hides_the_menu_until_the_code(clock, worker):
    client, _ = password_given(worker)
    page = page_of(client.get(CODE_PAGE))
    assert 'aria-label="Menu"' not in page
    assert f'href="{reverse("accounts:account")}"' not in page
    _code_entered(client, code_now())
    home = page_of(client.get("/"))
    assert 'aria-label="Menu"' in home
    assert f'href="{reverse("accounts:account")}"' in home


def _queries_for_home(client, settings, *, middleware: list[str]) -> list[str]:
    settings.MIDDLEWARE = middleware
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("core:home")).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_two_factor_check_costs_no_query_on_a_verified_request(settings, cfs_worker_client):
    cfs_worker_client.get(reverse("core:home"))  # a first request does its one-off work
    with_check = _queries_for_home(cfs_worker_client, settings, middleware=list(settings.MIDDLEWARE))
    without = [m for m in settings.MIDDLEWARE if not m.endswith("TwoFactorRequiredMiddleware")]
    assert len(with_check) == len(_queries_for_home(cfs_worker_client, settings, middleware=without))
    assert not any("otp_" in sql for sql in with_check)
