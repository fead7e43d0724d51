"""Redis down: people still sign in and use the pages (sessions live in the database), a PDF asked for meanwhile is
queued, and it is made once Redis is back.

The test's own redis-server on a spare port is the broker; the test stops it, works through the app as a person
would (the Django test client, so the views, middleware and session store run for real), starts Redis again on the
same port with a worker, and lets the every-minute sweep send what was left queued."""

from datetime import timedelta

import pytest
from django.urls import reverse

from documents import services
from documents.models import Document, DocumentRequest
from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as
from referrals.models import MashDecision
from tests.accounts.two_factor_helpers import authenticator_add, code_now, password_given
from tests.documents.test_services import make_plan, pdf_pages, stored_bytes
from tests.referrals.test_services import _awaiting, _decide
from tests.reliability.conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(own_redis, queue_on, settings):
    """The app's broker (and REDIS_URL) is the test's own Redis; a queue of the test's own on it."""
    settings.REDIS_URL = settings.CELERY_BROKER_URL = own_redis.url
    return queue_on(own_redis.url)


def signed_in(user):
    """Through the real sign-in: the password, then the code from the authenticator app."""
    client, response = password_given(user)
    assert response.status_code == 302, response.content.decode()[:1000]
    response = client.post(reverse("accounts:two_factor_code"), {"code": code_now()})
    assert response.status_code == 302, response.content.decode()[:1000]
    return client


def test_redis_down_sign_in_and_pages_work_and_a_pdf_asked_for_is_made_once_redis_is_back(
    broker, own_redis, own_family, cfs_worker_user, settings
):
    plan = make_plan(own_family, cfs_worker_user)
    authenticator_add(cfs_worker_user)
    own_redis.stop()

    client = signed_in(cfs_worker_user)
    assert client.get(reverse("cases:family_list")).status_code == 200
    family_page = client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid}))
    assert family_page.status_code == 200
    assert own_family.reference in family_page.content.decode()

    response = client.post(reverse("documents:plan_pdf", kwargs={"uuid": plan.uuid}))
    request = DocumentRequest.objects.get(requested_by=cfs_worker_user)
    assert response.status_code == 302
    assert response["Location"] == reverse("documents:request", kwargs={"uuid": request.uuid})
    assert client.get(response["Location"]).status_code == 200
    assert (request.status, request.attempts) == (DocumentRequest.Status.QUEUED, 0)

    # Redis is back on the same port, with a worker. Once the request has waited DOCUMENT_REQUEUE_AFTER_SECONDS
    # the sweep sends it again (called here with its clock moved on, as the beat would find it two minutes later).
    own_redis.start()
    worker = broker.worker()
    later = request.queued_at + timedelta(seconds=settings.DOCUMENT_REQUEUE_AFTER_SECONDS + 1)
    with acting_as(service_account_get(name="documents")):
        assert services.documents_requeue(now=later) == 1

    def made() -> bool:
        request.refresh_from_db()
        return request.status not in DocumentRequest.IN_PROGRESS

    wait_for(made, "make the PDF once Redis was back", processes=[worker])
    assert (request.status, request.attempts, request.error) == (DocumentRequest.Status.READY, 1, "")
    assert Document.objects.filter(request=request).count() == 1
    assert pdf_pages(stored_bytes(request.document)) >= 1

    # Made once: a later sweep finds nothing left to send.
    with acting_as(service_account_get(name="documents")):
        assert services.documents_requeue(now=later + timedelta(minutes=10)) == 0


def test_redis_down_a_mash_decision_is_recorded_and_the_referrer_told_once_redis_is_back(
    broker, own_redis, own_family, partner_user, mash_manager_user
):
    from tests.factories import FamilyMemberFactory, PersonFactory

    child = FamilyMemberFactory(family=own_family, person=PersonFactory()).person
    contact = _awaiting(own_family, [child], partner_user)
    own_redis.stop()

    decision = _decide(mash_manager_user, contact)  # its commit tries to queue the referrer's feedback

    decision.refresh_from_db()
    assert decision.referrer_told_at is None
    assert MashDecision.objects.filter(contact=contact).count() == 1

    own_redis.start()
    worker = broker.worker()
    from referrals.tasks import referrer_feedback_task

    # What the every-15-minutes sweep does for feedback not sent within 10 minutes.
    referrer_feedback_task.delay(decision.pk)

    def told() -> bool:
        decision.refresh_from_db()
        return decision.referrer_told_at is not None

    wait_for(told, "tell the referrer once Redis was back", processes=[worker])
