"""A real Celery worker, on the real Redis broker and PostgreSQL database, runs a task to completion."""

import os
import subprocess
import sys
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.db import connection

from cases.models import Family
from earlyhelp.celery import app as celery_app
from locality.services import postcode_sector_assign
from tests.conftest import is_postgresql, require_service
from tests.factories import FamilyFactory, PostcodeSectorFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


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
    env = os.environ | {"DATABASE_URL": _database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL}
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


def test_celery_worker_moves_families_and_records_the_acting_user(worker, lats, lat_manager_user):
    PostcodeSectorFactory(code="YO26", local_area_team=lats["hob-moor"])
    family = FamilyFactory(local_area_team=lats["hob-moor"], postcode="YO26 6AA")
    postcode_sector_assign(code="YO26 6", team=lats["clifton"], user=lat_manager_user)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        family.refresh_from_db()
        if family.local_area_team == lats["clifton"]:
            break
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.5)
    assert family.local_area_team == lats["clifton"], "the worker did not run the task within 60 seconds"
    assert Family.history.filter(id=family.pk).first().history_user == lat_manager_user
