"""A real Celery worker, on the real Redis broker and PostgreSQL database, runs a task to completion."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from cases.models import Family
from earlyhelp.accounts.models import Notification
from earlyhelp.celery import app as celery_app
from locality.services import postcode_sector_assign
from referrals import services as referral_services
from referrals.models import Contact, ContactSource, MashDecision, Rag
from referrals.tasks import contacts_overdue_task
from tests.conftest import is_postgresql, require_service
from tests.factories import (
    ContactChildFactory,
    ContactFactory,
    FamilyFactory,
    FamilyMemberFactory,
    PostcodeSectorFactory,
)

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


def _wait_for(worker, done, what: str, timeout: float = 60) -> None:
    """Poll until `done()` is true, failing with the worker's output if it dies or `timeout` seconds pass."""
    assert not celery_app.conf.task_always_eager, "the task must run on the worker, not in the test process"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.5)
    pytest.fail(f"the worker did not {what} within {timeout:.0f} seconds")


def test_celery_worker_tells_the_referrer_of_a_mash_decision(
    worker, own_family, partner_user, mash_screener_user, mash_manager_user
):
    """The decision queues the feedback task once it commits; the worker tells the referrer, once."""
    child = FamilyMemberFactory(family=own_family).person
    contact = referral_services.contact_record(
        user=partner_user,
        family=own_family,
        children=[child],
        concern="Attendance has fallen and the children say there is no food at home.",
        source=ContactSource.SCHOOLS,
        family_aware=Contact.FamilyAware.YES,
        consent_status=Contact.ConsentStatus.GIVEN,
    )
    referral_services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.GREEN)
    referral_services.contact_screen(
        user=mash_screener_user,
        contact=contact,
        checks={"involvement": True, "education": True},
        information_gathered="Known to school; no police or health concerns.",
        ready=True,
    )
    decision = referral_services.contact_decide(
        user=mash_manager_user,
        contact=contact,
        level=1,
        outcome=MashDecision.Outcome.NO_FURTHER_ACTION,
        rationale="Universal services are meeting the children's needs.",
        next_steps="School will keep supporting attendance.",
        consent_basis=MashDecision.ConsentBasis.NOT_NEEDED,
    )
    told = Notification.objects.filter(user=partner_user, message__contains=contact.reference)

    def referrer_told() -> bool:
        decision.refresh_from_db()
        return decision.referrer_told_at is not None and told.exists()

    _wait_for(worker, referrer_told, "tell the referrer")
    assert told.count() == 1


def test_celery_worker_flags_overdue_contacts_for_the_mash_managers(worker, own_family, mash_manager_user):
    contact = ContactFactory(family=own_family, due_at=timezone.now() - timedelta(hours=1))
    ContactChildFactory(contact=contact, person=FamilyMemberFactory(family=own_family).person)
    contacts_overdue_task.delay()
    flagged = Notification.objects.filter(user=mash_manager_user, message__contains=contact.reference)

    def contact_flagged() -> bool:
        contact.refresh_from_db()
        return contact.overdue_flagged_at is not None and flagged.exists()

    _wait_for(worker, contact_flagged, "flag the overdue contact")
    assert flagged.count() == 1
