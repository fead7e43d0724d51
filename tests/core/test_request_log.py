"""Request ids and structured logs: one JSON line a request, the request id on every record written meanwhile and on
the error pages, and nothing in the log that identifies a person."""

import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import IntegrityError, OperationalError
from django.test import Client
from django.urls import path, reverse

from earlyhelp.celery import app as celery_app
from earlyhelp.core.request_log import JsonFormatter, RequestContextFilter
from earlyhelp.urls import urlpatterns as site_urlpatterns
from tests.factories import FamilyMemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def _broken(request):
    raise RuntimeError("something went wrong")


def _database_gone(request):
    raise OperationalError("could not connect to server")


# What psycopg puts in a constraint error's text: PostgreSQL's DETAIL line repeats the row's values.
ROW_REFUSED = (
    'new row for relation "people_person" violates check constraint "named"\n'
    "DETAIL:  Failing row contains (Quartermaine, quartermaine@example.org)."
)


def _row_refused(request):
    logging.getLogger("earlyhelp.test").warning("Could not save: %s", IntegrityError(ROW_REFUSED))
    raise IntegrityError(ROW_REFUSED)


# The site's pages, and three that fail, for the error page tests (`@pytest.mark.urls(__name__)`).
urlpatterns = [
    path("test-broken/", _broken),
    path("test-database-gone/", _database_gone),
    path("test-row-refused/", _row_refused),
    *site_urlpatterns,
]
handler500 = "earlyhelp.core.views.server_error"


@celery_app.task(name="tests.core.test_request_log.log_inside_task")
def log_inside_task():
    logging.getLogger("earlyhelp.test").warning("inside the task")


@pytest.fixture
def json_log():
    """Every record written, as the production handler writes it: a JSON object a line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def _records(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _request_lines(stream) -> list[dict]:
    return [record for record in _records(stream) if record["logger"] == "earlyhelp.request"]


def test_every_response_carries_a_new_request_id(client):
    first, second = client.get(reverse("accounts:login")), client.get(reverse("accounts:login"))
    assert GENERATED_ID.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_plain_request_id_from_the_proxy_is_kept(client):
    response = client.get(reverse("accounts:login"), headers={"X-Request-ID": "edge-4f1c2a9b-0007"})
    assert response["X-Request-ID"] == "edge-4f1c2a9b-0007"


@pytest.mark.parametrize(
    "incoming", ["short", "x" * 65, "has space-123", "line\nbreak-123", '"quoted"-123', "name=Jo_Bloggs"]
)
def test_any_other_request_id_from_the_proxy_is_replaced(client, incoming):
    response = client.get(reverse("accounts:login"), headers={"X-Request-ID": incoming})
    assert GENERATED_ID.fullmatch(response["X-Request-ID"])


def test_each_request_is_one_json_line_with_its_id_status_timing_and_user(json_log, cfs_worker_client, cfs_worker_user):
    response = cfs_worker_client.get(reverse("core:home"))
    [line] = _request_lines(json_log)
    assert line["message"].startswith("GET / 200 ")
    assert {key: line[key] for key in ("method", "path", "url_name", "status", "request_id", "user_id")} == {
        "method": "GET",
        "path": "/",
        "url_name": "core:home",
        "status": 200,
        "request_id": response["X-Request-ID"],
        "user_id": cfs_worker_user.pk,
    }
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"]


def test_the_log_holds_no_names_emails_or_search_terms(json_log, cfs_worker_client, cfs_worker_user, own_family):
    person = PersonFactory(first_name="Zebedee", last_name="Quartermaine")
    FamilyMemberFactory(family=own_family, person=person)
    search = reverse("cases:search")
    cfs_worker_client.post(search, {"name": "Zebedee Quartermaine"})
    results = cfs_worker_client.get(f"{search}?results=1&name=Quartermaine")
    assert "Quartermaine" in results.content.decode()  # the search found them: the name was there to leak

    output = json_log.getvalue()
    for personal in ("Quartermaine", "Zebedee", "Chris Worker", cfs_worker_user.email, "Ownteam", "results=1"):
        assert personal not in output
    lines = _request_lines(json_log)
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("POST", search, 302),
        ("GET", search, 200),
    ]
    assert {line["user_id"] for line in lines} == {cfs_worker_user.pk}


def test_records_written_during_a_request_carry_its_id(json_log, cfs_worker_client, cfs_worker_user):
    response = cfs_worker_client.get("/no-such-page/")
    [not_found] = [record for record in _records(json_log) if record["logger"] == "django.request"]
    assert not_found["message"] == "Not Found: /no-such-page/"
    assert not_found["request_id"] == response["X-Request-ID"]
    assert not_found["user_id"] == cfs_worker_user.pk


def test_a_records_request_id_is_not_sent_outside_a_request(json_log):
    logging.getLogger("earlyhelp.test").warning("between requests")
    [record] = _records(json_log)
    assert "request_id" not in record and "user_id" not in record


def test_a_celery_tasks_records_carry_its_task_id(json_log):
    result = log_inside_task.apply()
    [record] = [record for record in _records(json_log) if record["logger"] == "earlyhelp.test"]
    assert record["request_id"] == result.id


@pytest.mark.urls(__name__)
def test_an_error_is_logged_as_one_json_line_with_its_traceback(json_log):
    response = Client(raise_request_exception=False).get("/test-broken/")
    assert response.status_code == 500
    [error] = [record for record in _records(json_log) if record["logger"] == "django.request"]
    assert error["level"] == "ERROR"
    assert error["request_id"] == response["X-Request-ID"]
    assert error["exc_info"].startswith("Traceback (most recent call last):")
    assert "RuntimeError: something went wrong" in error["exc_info"]
    assert all(line.startswith("{") for line in json_log.getvalue().splitlines())


@pytest.mark.urls(__name__)
def test_a_database_errors_row_values_never_reach_the_log(json_log):
    response = Client(raise_request_exception=False).get("/test-row-refused/")
    assert response.status_code == 500
    logged = json_log.getvalue()
    assert 'violates check constraint \\"named\\"' in logged, "the error itself is logged"
    assert "Quartermaine" not in logged and "DETAIL" not in logged


@pytest.mark.urls(__name__)
def test_the_error_page_gives_the_request_id_as_its_reference():
    response = Client(raise_request_exception=False).get("/test-broken/")
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page
    assert f"give them this reference: <strong>{response['X-Request-ID']}</strong>" in page
    assert "Traceback" not in page and "something went wrong" not in page


@pytest.mark.urls(__name__)
def test_a_database_fault_is_a_503_asking_to_try_again(json_log):
    response = Client(raise_request_exception=False).get("/test-database-gone/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Sorry, the service is unavailable" in page
    assert f"give them this reference: <strong>{response['X-Request-ID']}</strong>" in page
    assert "Traceback" not in page and "could not connect" not in page
    [warning] = [record for record in _records(json_log) if record["logger"] == "earlyhelp.core.views"]
    assert (warning["level"], warning["request_id"]) == ("WARNING", response["X-Request-ID"])


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "plain"),
        ({"DJANGO_ENV": "production"}, "json"),
        ({"DJANGO_ENV": "production", "LOG_FORMAT": "plain"}, "plain"),
    ],
)
def test_logs_are_json_in_production_and_plain_elsewhere(environment, expected):
    env = {key: value for key, value in os.environ.items() if key not in {"DJANGO_ENV", "LOG_FORMAT"}}
    env |= {"DJANGO_SECRET_KEY": "k" * 60, "DJANGO_SETTINGS_MODULE": "earlyhelp.settings"} | environment
    code = "from django.conf import settings; print(settings.LOG_FORMAT)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == expected
