"""A real Celery worker for the tests in this folder: its own queue, the real Redis broker, the PostgreSQL test
database, and the test's private media folder."""

import os
import subprocess
import sys
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.db import connection

from earlyhelp.celery import app as celery_app
from tests.conftest import is_postgresql, require_service


def _redis_answers(url: str) -> bool:
    try:
        return bool(url) and redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker():
    """A worker process on its own queue, reading the test database; stopped afterwards."""
    require_service(is_postgresql(), "a worker shares the test database only on PostgreSQL (set DATABASE_URL)")
    require_service(_redis_answers(settings.CELERY_BROKER_URL), "Redis is not reachable (set REDIS_URL)")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = os.environ | {
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        # Files the worker stores (documents) go to the test's throw-away folder, where the test reads them.
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "earlyhelp",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.CELERY_TASK_DEFAULT_QUEUE = queue
    try:
        yield process
    finally:
        celery_app.conf.CELERY_TASK_DEFAULT_QUEUE = "celery"
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_for(worker, done, what: str, timeout: float = 60) -> None:
    """Poll until `done()` is true, failing with the worker's output if it dies or `timeout` seconds pass."""
    assert not celery_app.conf.task_always_eager, "the task must run on the worker, not in the test process"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.5)
    pytest.fail(f"the worker did not {what} within {timeout:.0f} seconds")
