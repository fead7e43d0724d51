"""A Celery worker killed with SIGKILL in the middle of a task: the task is completed once, after redelivery.

Real processes on the machine's Redis and the PostgreSQL test database: a worker on a queue of the test's own
renders a team's ZIP of open plans (a few seconds of real WeasyPrint work); once it is part-way through, the process
rendering it is killed. Either the prefork pool process dies (as the out-of-memory killer takes the largest process)
and the worker's parent puts the message back (`reject_on_worker_lost`), or the whole worker dies and the broker
hands the message to another worker after its visibility timeout. Either way the redelivery finds the request
"being created" by a claimant that no longer holds it, takes it over, and the request ends ready with one document.
"""

import io
import zipfile

import pytest

from documents import services
from documents.models import Document, DocumentRequest
from earlyhelp.accounts.models import Notification
from tests.documents.test_services import make_plan, stored_bytes
from tests.factories import FamilyFactory
from tests.reliability.conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PLANS = 12
READY = DocumentRequest.Status.READY


@pytest.fixture
def open_plans(lats, cfs_worker_user):
    """A dozen families in Tang Hall with an agreed plan each: a ZIP that takes seconds to render."""
    return [make_plan(FamilyFactory(local_area_team=lats["tang-hall"]), cfs_worker_user) for _ in range(PLANS)]


def under_way(request: DocumentRequest):
    """Being created, with some plans rendered and more to go."""

    def done() -> bool:
        request.refresh_from_db()
        return request.status == DocumentRequest.Status.RENDERING and request.progress_done >= 2

    return done


def finished(request: DocumentRequest):
    def done() -> bool:
        request.refresh_from_db()
        return request.status not in DocumentRequest.IN_PROGRESS

    return done


def document_files() -> list:
    from django.conf import settings

    folder = settings.MEDIA_ROOT / "documents"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def assert_made_once(request: DocumentRequest, requester) -> None:
    """Ready, rendered by two attempts (the killed one and the redelivery), one document, one file, a valid ZIP of
    every plan, and nothing sent to the requester twice (documents notify nobody: the request page shows the result)."""
    request.refresh_from_db()
    assert (request.status, request.attempts, request.error) == (READY, 2, "")
    assert Document.objects.filter(request=request).count() == 1
    assert len(document_files()) == 1
    with zipfile.ZipFile(io.BytesIO(stored_bytes(request.document))) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    assert len([name for name in names if name.endswith(".pdf")]) == PLANS
    assert "contents.txt" in names
    assert Notification.objects.filter(user=requester).count() == 0


def test_worker_pool_process_killed_mid_render_the_export_is_made_once_after_redelivery(
    queue_on, own_redis, open_plans, lats, lat_manager_user
):
    queue = queue_on(own_redis.url)  # its own Redis: a short visibility timeout restores every unacked message
    worker = queue.worker(pool="prefork")
    request = services.team_plans_request(user=lat_manager_user, team=lats["tang-hall"])

    wait_for(under_way(request), "start rendering the export", processes=[worker])
    (rendering,) = worker.pool_children()
    queue.kill(rendering)
    request.refresh_from_db()
    assert request.progress_done < request.progress_total, "the render finished before the kill; add plans"

    # The worker's parent sees its pool process die and puts the message back; a new pool process takes it over.
    wait_for(finished(request), "finish the export after the kill", timeout=120, processes=[worker])
    assert_made_once(request, lat_manager_user)
    assert worker.pool_children() and worker.pool_children() != [rendering]


def test_whole_worker_killed_mid_render_another_worker_makes_the_export_once_after_redelivery(
    queue_on, own_redis, open_plans, lats, lat_manager_user
):
    queue = queue_on(own_redis.url)  # its own Redis: a short visibility timeout restores every unacked message
    first = queue.worker(pool="solo")
    request = services.team_plans_request(user=lat_manager_user, team=lats["tang-hall"])

    wait_for(under_way(request), "start rendering the export", processes=[first])
    queue.kill(first.pid)
    first.wait(timeout=10)
    request.refresh_from_db()
    assert request.progress_done < request.progress_total, "the render finished before the kill; add plans"

    # Nobody acknowledged the message: after the broker's visibility timeout (5 seconds here, an hour by default,
    # when the every-minute sweep gets there first) another worker is given it.
    second = queue.worker(pool="solo", visibility_timeout=5)
    wait_for(finished(request), "finish the export on the second worker", timeout=120, processes=[second])
    assert_made_once(request, lat_manager_user)
