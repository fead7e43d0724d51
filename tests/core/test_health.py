"""Health checks: /healthz says the process answers, asking nothing of any service; /readyz reports the database,
Redis and the Celery workers, failing (503) only when the database does not answer. The database being unreachable
is tested against a real outage in tests/reliability/test_database_faults.py."""

import os
import socket
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.urls import reverse

from tests.conftest import require_service
from tests.services.conftest import worker  # noqa: F401  (a real Celery worker, for the readiness that needs one)

pytestmark = pytest.mark.django_db


def _redis_answers() -> bool:
    try:
        return (
            bool(django_settings.REDIS_URL)
            and redis.Redis.from_url(django_settings.REDIS_URL, socket_connect_timeout=2).ping()
        )
    except redis.RedisError:
        return False


def _nothing_listening_url() -> str:
    """A Redis URL with nothing listening on its port: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_liveness_answers_without_asking_the_database_or_redis(client, settings, django_assert_num_queries):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = _nothing_listening_url()
    with django_assert_num_queries(0):
        response = client.get(reverse("core:healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store, private"


def test_readiness_is_ok_with_the_database_when_nothing_else_is_configured(client, settings):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = ""
    response = client.get(reverse("core:readyz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured", "celery": "not configured"},
    }


def test_readiness_is_degraded_but_200_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = settings.CELERY_BROKER_URL = _nothing_listening_url()
    response = client.get(reverse("core:readyz"))
    assert response.status_code == 200  # pages still work: the process stays in the load balancer's rotation
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "redis": "error", "celery": "error"}}


@pytest.mark.services
def test_readiness_says_no_workers_when_redis_answers_and_no_worker_does(client):
    require_service(_redis_answers(), "Redis is not reachable (set REDIS_URL)")
    response = client.get(reverse("core:readyz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "redis": "ok", "celery": "no workers"},
    }


@pytest.mark.services
def test_readiness_is_ok_with_the_database_redis_and_a_worker(client, worker):  # noqa: F811
    deadline = time.monotonic() + 60  # the worker starts; not a bound on the check itself
    while (body := client.get(reverse("core:readyz")).json())["checks"]["celery"] != "ok":
        assert worker.poll() is None, worker.stdout.read().decode()
        assert time.monotonic() < deadline, f"the worker never answered a ping: {body}"
    assert body == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "celery": "ok"}}


def test_health_checks_answer_over_plain_http_in_production(tmp_path):
    """A container's health check asks over plain HTTP from inside: production redirects every other page to HTTPS."""
    env = {key: value for key, value in os.environ.items() if key not in {"LOG_FORMAT", "DJANGO_DEBUG"}} | {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "k" * 60,
        "DJANGO_SETTINGS_MODULE": "earlyhelp.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
    }
    code = (
        "import django; django.setup(); from django.test import Client; client = Client(); "
        "print(*(client.get(path).status_code for path in ('/healthz', '/readyz', '/')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=django_settings.BASE_DIR, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["200", "200", "301"]
