"""Database faults, against the real PostgreSQL: the app runs under gunicorn in its own process, as in production.

PostgreSQL unreachable (connections refused, or accepted and never answered, with every open connection dropped):
a signed-in page is a GOV.UK 503 within 5 seconds (issue 11's bound), with a reference and no stack trace; the
liveness check still answers and readiness says the database is down; once PostgreSQL is back the same worker process
serves the page again (conn_health_checks), with no restart.

A statement running past statement_timeout: the page is a 503 and nothing the request wrote is kept.

gunicorn, not Django's test client, because what is tested is the process: its connection kept between requests, the
libpq connect timeout over a real socket, the settings read from the environment (DB_STATEMENT_TIMEOUT_MS,
LOG_FORMAT=json), the worker that must not be restarted to recover, and its log read the way support reads it.
"""

import contextlib
import json
import re
import time

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseNote
from tests.auth import signed_in_client
from tests.factories import FamilyMemberFactory
from tests.reliability.pg_proxy import Gunicorn, database_url, gunicorn_factory, pg_proxy  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

OUTAGE_BOUND_SECONDS = 5  # "a GOV.UK-style 503 within 5 seconds"
REFERENCE = re.compile(r"give them this reference: <strong>([A-Za-z0-9-]+)</strong>")


def _browser(user) -> requests.Session:
    """An HTTP session signed in as `user` (both factors), as a browser holding the session cookie."""
    browser = requests.Session()
    cookie = signed_in_client(user).cookies[settings.SESSION_COOKIE_NAME].value
    browser.cookies.set(settings.SESSION_COOKIE_NAME, cookie)
    return browser


def _log_records(app: Gunicorn) -> list[dict]:
    lines = app.log.read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def _assert_unavailable_page(response: requests.Response) -> str:
    """The GOV.UK 503 page: what to do, a reference for support (the request id), and nothing of the fault."""
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.text
    assert "Sorry, the service is unavailable" in page
    assert "Traceback" not in page and "psycopg" not in page and "OperationalError" not in page
    [reference] = REFERENCE.findall(page)
    assert reference == response.headers["X-Request-ID"]
    return reference


@pytest.mark.parametrize("outage", ["refuse", "black_hole"])
def test_an_unreachable_database_is_a_govuk_503_within_5_seconds_then_recovers_without_a_restart(
    outage,
    pg_proxy,  # noqa: F811
    gunicorn_factory,  # noqa: F811
    cfs_worker_user,
    own_family,
):
    app = gunicorn_factory(database_url=database_url(port=pg_proxy.port))
    browser = _browser(cfs_worker_user)
    page = app.url + reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})
    assert browser.get(page, timeout=30).status_code == 200
    workers = app.worker_pids()

    getattr(pg_proxy, outage)()
    references = []
    # The first request finds its kept connection dropped, the next has none: both answer in time.
    for _ in range(2):
        started = time.monotonic()
        response = browser.get(page, timeout=30, allow_redirects=False)
        seconds = time.monotonic() - started
        references.append(_assert_unavailable_page(response))
        assert seconds < OUTAGE_BOUND_SECONDS, f"the 503 took {seconds:.1f} s"
    live = requests.get(f"{app.url}/healthz", timeout=30)
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    ready = requests.get(f"{app.url}/readyz", timeout=30)
    assert ready.status_code == 503
    assert ready.json()["status"] == "error" and ready.json()["checks"]["database"] == "error"

    pg_proxy.restore()
    assert browser.get(page, timeout=30).status_code == 200
    assert app.worker_pids() == workers, "the worker was restarted"

    # Support finds each reference in the log: the request's line, and the warning that says why.
    records = _log_records(app)
    for reference in references:
        mine = {(record["logger"], record["level"]) for record in records if record.get("request_id") == reference}
        assert {("earlyhelp.request", "INFO"), ("earlyhelp.core.views", "WARNING")} <= mine


@contextlib.contextmanager
def _slow_inserts(table: str, *, seconds: float):
    """Every INSERT into `table` waits `seconds` first (a trigger), as a statement held up by a lock or a slow disk."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION eh_test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_sleep({float(seconds)}); RETURN NULL; END $$"
        )
        cursor.execute(
            f'CREATE TRIGGER eh_test_slow_insert BEFORE INSERT ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION eh_test_slow_insert()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TRIGGER eh_test_slow_insert ON "{table}"')
            cursor.execute("DROP FUNCTION eh_test_slow_insert()")


def test_a_statement_past_statement_timeout_is_a_503_and_nothing_the_request_wrote_is_kept(
    gunicorn_factory,  # noqa: F811
    cfs_worker_user,
    own_family,
):
    child = FamilyMemberFactory(family=own_family).person
    app = gunicorn_factory(database_url=database_url(), DB_STATEMENT_TIMEOUT_MS="2000")
    browser = _browser(cfs_worker_user)
    form = app.url + reverse("cases:note_add", kwargs={"uuid": own_family.uuid})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.get(form, timeout=30).text).group(1)
    today = timezone.localdate()
    note = {
        "csrfmiddlewaretoken": token,
        "kind": "home_visit",
        "happened_on_0": str(today.day),
        "happened_on_1": str(today.month),
        "happened_on_2": str(today.year),
        "people": [str(child.pk)],
        "text": "Visited at home",
    }

    # The note's row and its history row are written, then the people it concerns: that statement overruns.
    with _slow_inserts(CaseNote.people.through._meta.db_table, seconds=10):
        response = browser.post(form, data=note, timeout=30, allow_redirects=False)
    reference = _assert_unavailable_page(response)
    assert not CaseNote.objects.filter(family=own_family).exists()
    assert not CaseNote.history.filter(family_id=own_family.pk).exists()
    assert not CaseNote.people.through.objects.exists()
    [error] = [record for record in _log_records(app) if record["logger"] == "django.request"]
    assert error["request_id"] == reference
    assert "canceling statement due to statement timeout" in error["exc_info"]

    # The same form again, with nothing holding it up: saved once, by the same worker, with its history.
    response = browser.post(form, data=note, timeout=30, allow_redirects=False)
    assert response.status_code == 302
    saved = CaseNote.objects.get(family=own_family)
    assert list(saved.people.all()) == [child]
    assert saved.history.count() == 1
