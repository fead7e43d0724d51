"""The idle timeout without a write on every request: a session is saved at most once a minute, which still ends it
29 to 30 minutes after its last request, and the timeout warning is told the time actually left."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.auth import signed_in_client
from tests.pages import page_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _session_saved_once_a_minute(settings):
    """As in production (tests/conftest.py makes it an hour elsewhere)."""
    settings.SESSION_TOUCH_SECONDS = 60


HOME = reverse("core:home")
SIGN_IN = reverse("accounts:login")
MONDAY_MORNING = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _expiry(client):
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).expire_date


def test_a_request_within_a_minute_of_the_last_save_leaves_the_session_as_it_is(cfs_worker_user):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        client = signed_in_client(cfs_worker_user)
        saved = _expiry(client)
        traveller.shift(timedelta(seconds=59))
        client.get(HOME)
        assert _expiry(client) == saved


def test_a_request_a_minute_or_more_after_the_last_save_moves_the_expiry_on(cfs_worker_user):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        client = signed_in_client(cfs_worker_user)
        traveller.shift(timedelta(minutes=5))
        client.get(HOME)
        assert _expiry(client) == MONDAY_MORNING + timedelta(minutes=5 + 30)


def test_steady_work_keeps_a_session_for_hours_and_thirty_idle_minutes_end_it(cfs_worker_user):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        client = signed_in_client(cfs_worker_user)
        for _ in range(12):  # a request every 20 seconds, and every third moves the expiry on
            traveller.shift(timedelta(seconds=20))
            assert client.get(HOME).status_code == 200
        last_save = MONDAY_MORNING + timedelta(minutes=4)
        assert _expiry(client) == last_save + timedelta(minutes=30)
        traveller.shift(timedelta(minutes=30, seconds=1))
        response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)


def test_the_timeout_warning_is_told_the_time_left_since_the_last_save(cfs_worker_user):
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        client = signed_in_client(cfs_worker_user)
        traveller.shift(timedelta(seconds=45))
        unsaved = page_of(client.get(HOME))
        traveller.shift(timedelta(seconds=45))
        saved = page_of(client.get(HOME))
    assert f'data-session-idle-seconds="{settings.SESSION_COOKIE_AGE - 45}"' in unsaved
    assert f'data-session-idle-seconds="{settings.SESSION_COOKIE_AGE}"' in saved


def test_an_ordinary_request_writes_nothing_to_the_session_store(cfs_worker_client):
    with CaptureQueriesContext(connection) as queries:
        assert cfs_worker_client.get(reverse("accounts:account")).status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert any('FROM "django_session"' in sql for sql in statements)  # read, as every request does
    assert not [sql for sql in statements if sql.startswith(("UPDATE", "INSERT")) and "django_session" in sql]
