"""Sessions: the idle timeout and its warning, the 12-hour limit, rotation at sign-in, "Where you are signed in"
(ending one other session or all of them), and disabling a user ending their sessions."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from earlyhelp.accounts.models import SignedInSession, User
from earlyhelp.accounts.signed_in_sessions import (
    SIGNED_IN_AT_SESSION_KEY,
    browser_describe,
    signed_in_sessions_end_all,
)
from earlyhelp.core import perms
from locality.services import membership_add
from tests.auth import signed_in_client
from tests.factories import PASSWORD, TeamFactory, UserFactory
from tests.pages import messages_of, page_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _session_saved_once_a_minute(settings):
    """As in production (tests/conftest.py makes it an hour elsewhere)."""
    settings.SESSION_TOUCH_SECONDS = 60


HOME = reverse("core:home")
SESSIONS = reverse("accounts:sessions")
KEEP_ALIVE = reverse("accounts:session_keep_alive")
END_OTHERS = reverse("accounts:sessions_end_others")
SIGNED_OUT = reverse("accounts:signed_out")
SIGN_IN = reverse("accounts:login")
MONDAY_MORNING = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
FIREFOX_ON_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _record(client: Client) -> SignedInSession:
    return SignedInSession.objects.get(session_key=_key(client))


def _signed_in(response) -> bool:
    """Whether a page that needs sign-in answered, rather than sending the browser to sign in."""
    return response.status_code == 200


def _from(client: Client, *, user_agent: str, ip: str) -> Client:
    """Say where a test client's session came from (force_login sends no address or browser)."""
    SignedInSession.objects.filter(session_key=_key(client)).update(user_agent=user_agent, ip_address=ip)
    return client


# Rotation and the record made at sign-in ----------------------------------------------------------------------------


def test_sign_in_gives_the_session_a_new_key(client):
    user = UserFactory()
    client.session.save()  # an anonymous session, as a browser that has been here before has
    before = _key(client)
    response = client.post(SIGN_IN, {"username": user.email, "password": PASSWORD}, HTTP_USER_AGENT=FIREFOX_ON_WINDOWS)
    assert response.status_code == 302
    after = _key(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    record = SignedInSession.objects.get(session_key=after)
    assert (record.user, record.ip_address, record.user_agent) == (user, "127.0.0.1", FIREFOX_ON_WINDOWS)
    assert record.ended_at is None


def test_sign_in_record_keeps_at_most_300_characters_of_the_browser(client):
    user = UserFactory()
    client.post(SIGN_IN, {"username": user.email, "password": PASSWORD}, HTTP_USER_AGENT="x" * 1000)
    assert _record(client).user_agent == "x" * 300


def test_session_key_rotation_after_sign_in_keeps_the_record(cfs_worker_client, cfs_worker_user):
    record = _record(cfs_worker_client)
    session = cfs_worker_client.session
    session.cycle_key()  # as the second-factor step does
    session.save()
    cfs_worker_client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    record.refresh_from_db()
    assert record.session_key == session.session_key != ""
    assert _signed_in(cfs_worker_client.get(SESSIONS))
    assert "This device" in page_of(cfs_worker_client.get(SESSIONS))


def test_sign_in_through_force_login_is_recorded_without_an_address(cfs_worker_client, cfs_worker_user):
    record = _record(cfs_worker_client)
    assert (record.user, record.ip_address, record.user_agent) == (cfs_worker_user, None, "")
    assert SIGNED_IN_AT_SESSION_KEY in cfs_worker_client.session


def test_sign_out_closes_the_record(cfs_worker_client):
    record = _record(cfs_worker_client)
    cfs_worker_client.post(reverse("accounts:logout"))
    record.refresh_from_db()
    assert record.ended_at is not None
    assert record.end_reason == SignedInSession.EndReason.SIGNED_OUT


# Idle timeout and its warning ---------------------------------------------------------------------------------------


def test_idle_timeout_signs_out_after_thirty_minutes_without_a_request(cfs_worker_user):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        client = signed_in_client(cfs_worker_user)
        traveller.shift(timedelta(minutes=29))
        assert _signed_in(client.get(HOME))
        traveller.shift(timedelta(minutes=29))
        assert _signed_in(client.get(HOME))
        traveller.shift(timedelta(minutes=30, seconds=1))
        response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)


def test_idle_warning_settings_are_on_signed_in_pages(cfs_worker_client, settings):
    settings.SESSION_TOUCH_SECONDS = 0  # the request saves the session, so the whole idle time is left
    page = page_of(cfs_worker_client.get(HOME))
    assert f'data-session-idle-seconds="{settings.SESSION_COOKIE_AGE}"' in page
    assert 'data-session-warning-seconds="120"' in page
    assert f'data-signed-out-url="{SIGNED_OUT}?reason=idle"' in page
    assert "js/session-timeout.js" in page
    assert "You will be signed out soon" in page


def test_idle_warning_is_absent_for_anonymous_users(anonymous_client):
    for url in (SIGN_IN, SIGNED_OUT):
        page = page_of(anonymous_client.get(url))
        assert "data-session-idle-seconds" not in page
        assert "session-timeout.js" not in page


def test_idle_warning_waits_for_the_second_factor(client):
    user = UserFactory()
    client.post(SIGN_IN, {"username": user.email, "password": PASSWORD})
    page = page_of(client.get(HOME, follow=True))  # the code (or setting up an app) comes first
    assert "data-session-idle-seconds" not in page


def test_keep_alive_moves_the_session_expiry_on(cfs_worker_user):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        client = signed_in_client(cfs_worker_user)
        client.get(HOME)
        traveller.shift(timedelta(minutes=28))
        response = client.post(KEEP_ALIVE)
        expiry = Session.objects.get(session_key=_key(client)).expire_date
        traveller.shift(timedelta(minutes=29))
        still_signed_in = _signed_in(client.get(HOME))
    assert response.status_code == 200
    assert response.json() == {"idle_seconds": settings.SESSION_COOKIE_AGE}
    assert expiry == MONDAY_MORNING + timedelta(minutes=28 + 30)
    assert still_signed_in


def test_keep_alive_only_answers_post_and_signed_in_users(cfs_worker_client, anonymous_client):
    assert cfs_worker_client.get(KEEP_ALIVE).status_code == 405
    response = anonymous_client.post(KEEP_ALIVE)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGN_IN)


def test_signed_out_page_explains_why_and_names_nobody(anonymous_client):
    idle = page_of(anonymous_client.get(SIGNED_OUT, {"reason": "idle"}))
    assert "You have been signed out" in idle and "did not use Early Help for 30 minutes" in idle
    absolute = page_of(anonymous_client.get(SIGNED_OUT, {"reason": "absolute"}))
    assert "signed in 12 hours ago" in absolute
    other = page_of(anonymous_client.get(SIGNED_OUT, {"reason": "<script>"}))
    assert "you need to sign in again" in other and "<script>" not in other
    assert "Signed in as" not in idle + absolute + other


# The 12-hour limit --------------------------------------------------------------------------------------------------


def test_absolute_limit_signs_out_after_twelve_hours_however_active(cfs_worker_user):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        client = signed_in_client(cfs_worker_user)
        record = _record(client)
        answers = []
        for _ in range(12 * 3):
            traveller.shift(timedelta(minutes=20))
            answers.append(client.get(HOME))
        after = client.get(HOME)
    assert all(_signed_in(response) for response in answers[:-1])
    assert answers[-1].status_code == 302
    assert answers[-1]["Location"] == f"{SIGNED_OUT}?reason=absolute"
    assert after.status_code == 302 and after["Location"].startswith(SIGN_IN)
    record.refresh_from_db()
    assert record.end_reason == SignedInSession.EndReason.ABSOLUTE_LIMIT
    assert not Session.objects.filter(session_key=record.session_key).exists()


def test_absolute_limit_starts_the_clock_for_a_session_signed_in_before_it_was_kept(cfs_worker_client):
    session = cfs_worker_client.session
    del session[SIGNED_IN_AT_SESSION_KEY]
    session.save()
    assert _signed_in(cfs_worker_client.get(HOME))
    assert SIGNED_IN_AT_SESSION_KEY in cfs_worker_client.session


def test_absolute_limit_check_adds_no_database_query(cfs_worker_client, settings):
    cfs_worker_client.get(HOME)
    with CaptureQueriesContext(connection) as checked:
        cfs_worker_client.get(HOME)
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("SessionLimitsMiddleware")]
    with CaptureQueriesContext(connection) as unchecked:
        cfs_worker_client.get(HOME)
    assert len(checked) == len(unchecked)


# Where you are signed in --------------------------------------------------------------------------------------------


def test_sessions_page_lists_this_device_and_the_others(cfs_worker_user):
    here = signed_in_client(cfs_worker_user)
    _from(signed_in_client(cfs_worker_user), user_agent=FIREFOX_ON_WINDOWS, ip="192.0.2.7")
    signed_in_client(UserFactory())  # someone else's session is not listed
    page = page_of(here.get(SESSIONS))
    assert "Where you are signed in" in page and "This device" in page
    assert "Firefox on Windows" in page and "192.0.2.7" in page
    assert page.count(">Sign out<span") == 1  # the other session only: this one signs out from the header
    assert "Sign out of all other sessions" in page


def test_sessions_page_shows_timed_out_sessions_as_ended(cfs_worker_user):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        here = signed_in_client(cfs_worker_user)
        _from(signed_in_client(cfs_worker_user), user_agent=FIREFOX_ON_WINDOWS, ip="192.0.2.7")
        traveller.shift(timedelta(minutes=25))
        here.get(HOME)
        traveller.shift(timedelta(minutes=10))
        page = page_of(here.get(SESSIONS))
    assert "You are not signed in anywhere else." in page
    assert "Timed out after 30 minutes without activity" in page and "Firefox on Windows" in page


def test_session_end_signs_the_other_browser_out(cfs_worker_user):
    here = signed_in_client(cfs_worker_user)
    there = signed_in_client(cfs_worker_user)
    record = _record(there)
    response = here.post(reverse("accounts:session_end", kwargs={"uuid": record.uuid}))
    assert response.status_code == 302 and response["Location"] == SESSIONS
    assert messages_of(response) == ["You have signed out of that session. Its browser will need to sign in again."]
    assert there.get(HOME).status_code == 302
    assert _signed_in(here.get(HOME))
    record.refresh_from_db()
    assert record.end_reason == SignedInSession.EndReason.ENDED_BY_USER and record.ended_at is not None


def test_session_end_of_an_ended_session_says_so(cfs_worker_user):
    here = signed_in_client(cfs_worker_user)
    there = signed_in_client(cfs_worker_user)
    record = _record(there)
    there.post(reverse("accounts:logout"))
    response = here.post(reverse("accounts:session_end", kwargs={"uuid": record.uuid}))
    assert messages_of(response) == ["That session had already ended."]


def test_session_end_refuses_this_session(cfs_worker_client):
    record = _record(cfs_worker_client)
    response = cfs_worker_client.post(reverse("accounts:session_end", kwargs={"uuid": record.uuid}))
    assert messages_of(response) == ["To end the session you are using now, sign out."]
    assert _signed_in(cfs_worker_client.get(HOME))


def test_session_end_of_someone_elses_session_is_not_found(cfs_worker_client, other_lat_client):
    record = _record(other_lat_client)
    response = cfs_worker_client.post(reverse("accounts:session_end", kwargs={"uuid": record.uuid}))
    assert response.status_code == 404
    assert _signed_in(other_lat_client.get(HOME))


def test_sessions_end_others_signs_out_every_other_browser(cfs_worker_user, other_lat_client):
    here = signed_in_client(cfs_worker_user)
    others = [signed_in_client(cfs_worker_user) for _ in range(2)]
    response = here.post(END_OTHERS)
    assert messages_of(response) == ["You have signed out of 2 other sessions."]
    assert [client.get(HOME).status_code for client in others] == [302, 302]
    assert _signed_in(here.get(HOME))
    assert _signed_in(other_lat_client.get(HOME))
    assert messages_of(here.post(END_OTHERS)) == ["You were not signed in anywhere else."]


def test_sessions_end_all_finds_sessions_begun_before_records_were_kept(cfs_worker_client, cfs_worker_user):
    SignedInSession.objects.filter(user=cfs_worker_user).delete()
    assert signed_in_sessions_end_all(user=cfs_worker_user, reason=SignedInSession.EndReason.DISABLED) == 1
    assert cfs_worker_client.get(HOME).status_code == 302


# Disabling a user ---------------------------------------------------------------------------------------------------


@pytest.fixture
def system_administrator_client(lats):
    admin_user = UserFactory(is_staff=True, full_name="Sys Admin")
    membership_add(user=admin_user, team=TeamFactory(), role=perms.SYSTEM_ADMINISTRATOR)
    return signed_in_client(admin_user)


def test_disabling_a_user_in_the_admin_ends_their_sessions(system_administrator_client, cfs_worker_user):
    clients = [signed_in_client(cfs_worker_user) for _ in range(2)]
    response = system_administrator_client.post(
        reverse("admin:accounts_user_change", args=[cfs_worker_user.pk]),
        {
            "email": cfs_worker_user.email,
            "full_name": cfs_worker_user.full_name,
            "job_title": cfs_worker_user.job_title,
            "agency": cfs_worker_user.agency_id,
            "_save": "Save",
        },  # "is_active" left out: the box is unticked
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert User.objects.get(pk=cfs_worker_user.pk).is_active is False
    assert [client.get(HOME).status_code for client in clients] == [302, 302]
    assert not SignedInSession.objects.filter(user=cfs_worker_user, ended_at__isnull=True).exists()
    assert set(SignedInSession.objects.filter(user=cfs_worker_user).values_list("end_reason", flat=True)) == {
        SignedInSession.EndReason.DISABLED
    }
    assert _signed_in(system_administrator_client.get(HOME))


def test_disabling_a_user_by_a_save_ends_their_sessions(cfs_worker_client, cfs_worker_user):
    key = _key(cfs_worker_client)
    user = User.objects.get(pk=cfs_worker_user.pk)
    user.is_active = False
    user.save()
    assert not Session.objects.filter(session_key=key).exists()
    assert SignedInSession.objects.get(session_key=key).end_reason == SignedInSession.EndReason.DISABLED


def test_saving_an_active_user_leaves_their_sessions_alone(cfs_worker_client, cfs_worker_user):
    user = User.objects.get(pk=cfs_worker_user.pk)
    user.job_title = "Senior practitioner"
    user.save()
    user.is_active = False
    user.save(update_fields=["job_title"])  # is_active not saved, so not disabled
    assert _signed_in(cfs_worker_client.get(HOME))


# Describing a browser -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "described"),
    [
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
            "Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
            "Safari/537.36 Edg/126.0.0.0",
            "Microsoft Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        ("", "An unknown browser"),
    ],
)
def test_browser_describe_names_browser_and_system(user_agent, described):
    assert browser_describe(user_agent) == described
