"""A real Celery worker on Redis and PostgreSQL renders a plan asked for through the service; a task delivered twice
renders once; a request made while the broker is down is rendered once the broker is back and the sweep runs."""

import hashlib
import time
from datetime import timedelta

import pytest
import time_machine

from documents import services
from documents.models import Document, DocumentRequest
from documents.tasks import render_document_task
from earlyhelp.celery import app as celery_app
from tests.documents.test_services import (
    GOAL_TEXT,
    broker_unreachable,
    make_plan,
    pdf_pages,
    pdf_text,
    stored_bytes,
)
from tests.factories import FamilyFactory
from tests.services.conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

READY = DocumentRequest.Status.READY


def ready(request: DocumentRequest):
    def done() -> bool:
        request.refresh_from_db()
        return request.status not in DocumentRequest.IN_PROGRESS

    return done


def test_document_worker_renders_a_plan_asked_for_through_the_service(worker, own_family, cfs_worker_user):
    plan = make_plan(own_family, cfs_worker_user)
    request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)

    wait_for(worker, ready(request), "render the plan")

    assert (request.status, request.attempts, request.error) == (READY, 1, "")
    document = request.document
    content = stored_bytes(document)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.page_count == pdf_pages(content)
    text = pdf_text(content)
    assert "OFFICIAL-SENSITIVE" in text
    assert f"Page 1 of {document.page_count}" in text
    assert GOAL_TEXT in " ".join(text.split())
    # The worker wrote the history of the request as the person who asked for it.
    assert DocumentRequest.history.filter(id=request.pk, status=READY).get().history_user == cfs_worker_user


def test_document_worker_given_the_same_task_twice_renders_once(worker, own_family, cfs_worker_user):
    plan = make_plan(own_family, cfs_worker_user)
    request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
    render_document_task.delay(request.pk)  # the same message, delivered again
    # The worker (one process, one queue) takes messages in order: once this later request is done, so are both
    # deliveries of the first.
    later = services.document_request(
        user=cfs_worker_user,
        kind="plan",
        uuid=make_plan(FamilyFactory(local_area_team=own_family.local_area_team), cfs_worker_user).uuid,
    )

    wait_for(worker, ready(later), "render the later request")

    request.refresh_from_db()
    assert (request.status, request.attempts) == (READY, 1)
    assert Document.objects.filter(request=request).count() == 1
    assert later.status == READY


def test_document_worker_renders_a_request_made_while_the_broker_was_down(worker, own_family, cfs_worker_user):
    plan = make_plan(own_family, cfs_worker_user)
    with broker_unreachable():
        request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
        assert services.documents_requeue() == 0  # not due yet

    # Nothing reached the worker.
    time.sleep(2)
    request.refresh_from_db()
    assert (request.status, request.attempts) == (DocumentRequest.Status.QUEUED, 0)

    # The broker is back; two minutes on, the sweep sends it again and the worker renders it.
    assert not celery_app.conf.task_always_eager
    with time_machine.travel(request.queued_at + timedelta(seconds=121)):
        assert services.documents_requeue() == 1

    wait_for(worker, ready(request), "render the re-queued request")
    assert (request.status, request.attempts) == (READY, 1)
    assert Document.objects.filter(request=request).count() == 1
