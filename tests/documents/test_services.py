"""Documents: a request is a queued row that is rendered once, on commit; the stored file is checked, failures are
shown and retried, a broker that is down loses nothing, files are deleted after retention, a manager exports a
team's open plans as a ZIP, and consent is checked at request, render and download."""

import hashlib
import io
import re
import socket
import subprocess
import zipfile
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import Http404
from django.utils import timezone

from cases.models import FamilyPlan
from cases.services import family_access_grant, family_restricted_allow
from consent.models import ConsentRecord, DisclosureLog
from documents import services
from documents.models import Document, DocumentRequest
from documents.services import FAULT_MESSAGE, DocumentError
from documents.tasks import documents_delete_expired_task, documents_requeue_task
from earlyhelp.audit.models import AccessEvent
from earlyhelp.celery import app as celery_app
from earlyhelp.core import claims
from tests.claims import claimant_alive
from tests.conftest import is_postgresql, require_service
from tests.factories import (
    ActionFactory,
    AllocatedEpisodeFactory,
    ConsentRecordFactory,
    ConsentShareFactory,
    FamilyFactory,
    FamilyPlanFactory,
    GoalFactory,
    GoalScoreFactory,
    TafMemberFactory,
)

pytestmark = pytest.mark.django_db

QUEUED, RENDERING, READY, FAILED, DELETED = (
    DocumentRequest.Status.QUEUED,
    DocumentRequest.Status.RENDERING,
    DocumentRequest.Status.READY,
    DocumentRequest.Status.FAILED,
    DocumentRequest.Status.DELETED,
)
NO_LONGER_SEE = "You can no longer see this record, so no PDF was made."
NOT_AGREED = "The family has not agreed to share its information with"
GOAL_TEXT = "Kit walks to Hillcrest Primary with a parent by 8:45 every school day"
ACTION_TEXT = "Draw up a morning routine chart with Kit and hang it in the kitchen"


# --- Helpers shared with the view and worker tests -------------------------------------------------------------


def make_plan(family, lead, *, goal_text: str = GOAL_TEXT, status=FamilyPlan.Status.AGREED) -> FamilyPlan:
    """An agreed plan with one goal (scored once), one action for it, and a TAF member."""
    episode = AllocatedEpisodeFactory(family=family, lead_practitioner=lead)
    plan = FamilyPlanFactory(
        episode=episode,
        family=family,
        status=status,
        agreed_on=timezone.localdate() if status == FamilyPlan.Status.AGREED else None,
        agreed_by=lead if status == FamilyPlan.Status.AGREED else None,
        created_by=lead,
    )
    goal = GoalFactory(plan=plan, text=goal_text, baseline=3, target=8, latest=5)
    GoalScoreFactory(goal=goal, score=5, recorded_by=lead, comment="Two late mornings this week")
    ActionFactory(plan=plan, goal=goal, what=ACTION_TEXT, owner_user=lead)
    TafMemberFactory(episode=episode, family=family, role="Class teacher", invited_by=lead)
    return plan


def ask_for_plan(user, plan, capture) -> DocumentRequest:
    """Ask for a plan PDF as the view does, running the on-commit send (eager Celery renders it at once)."""
    with capture(execute=True):
        request = services.document_request(user=user, kind="plan", uuid=plan.uuid)
    request.refresh_from_db()
    return request


def pdf_text(content: bytes) -> str:
    """The text of a PDF, read by poppler's pdftotext (layout kept, so table rows stay on one line)."""
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


def pdf_pages(content: bytes) -> int:
    done = subprocess.run(["pdfinfo", "-"], input=content, capture_output=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)$", done.stdout.decode(), re.MULTILINE).group(1))


def stored_bytes(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def closed_port() -> int:
    """A local TCP port nothing listens on: a broker there refuses every connection."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _reset_broker_connections() -> None:
    """Forget pooled broker connections, so the next publish connects to the broker the settings now name."""
    celery_app.amqp._producer_pool = None
    celery_app._pool = None


@contextmanager
def broker_unreachable():
    """Publishing really goes to a broker, and that broker refuses connections: apply_async raises.

    Kombu is told to give up after the first refused connection (by default it retries for about six seconds)."""
    conf = celery_app.conf
    saved = (conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER, conf.CELERY_BROKER_TRANSPORT_OPTIONS)
    conf.CELERY_BROKER_URL = f"redis://127.0.0.1:{closed_port()}/0"
    conf.CELERY_TASK_ALWAYS_EAGER = False
    conf.CELERY_BROKER_TRANSPORT_OPTIONS = {**(saved[2] or {}), "max_retries": 0}
    _reset_broker_connections()
    try:
        yield
    finally:
        conf.CELERY_BROKER_URL, conf.CELERY_TASK_ALWAYS_EAGER, conf.CELERY_BROKER_TRANSPORT_OPTIONS = saved
        _reset_broker_connections()


def consent_for(family, *, agency, status=ConsentRecord.Status.GIVEN) -> ConsentRecord:
    consent = ConsentRecordFactory(family=family, status=status)
    ConsentShareFactory(consent=consent, agency=agency)
    return consent


@pytest.fixture
def plan(own_family, cfs_worker_user):
    return make_plan(own_family, cfs_worker_user)


# --- Asking and rendering --------------------------------------------------------------------------------------


def test_document_request_writes_a_queued_row_and_sends_it_only_once_committed(
    plan, cfs_worker_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
        # Written before anything is sent: the row is the record of the work.
        assert DocumentRequest.objects.get() == request
    request.refresh_from_db()
    assert request.status == QUEUED
    assert (request.kind, request.family, request.record_uuid) == ("plan", plan.family, plan.uuid)
    assert (request.requested_by, request.template_version, request.attempts) == (cfs_worker_user, "plan-1", 0)
    assert not Document.objects.exists()
    assert len(callbacks) == 1

    callbacks[0]()

    request.refresh_from_db()
    assert request.status == READY
    assert request.attempts == 1
    assert request.started_at is not None and request.finished_at >= request.started_at


def test_document_render_stores_the_plan_with_its_checksum_size_pages_and_versions(
    plan, cfs_worker_user, django_capture_on_commit_callbacks
):
    request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    document = request.document
    content = stored_bytes(document)
    plan.refresh_from_db()

    assert content.startswith(b"%PDF-")
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    assert document.page_count == pdf_pages(content) >= 1
    assert document.content_type == "application/pdf"
    assert document.template_version == "plan-1"
    assert document.record_version == (
        f"version {plan.version}, changed {timezone.localtime(plan.updated_at):%d %b %Y %H:%M}"
    )
    assert list(document.families.all()) == [plan.family]
    assert document.filename == f"plan-{plan.family.reference}-{timezone.localdate():%Y-%m-%d}.pdf"
    # The stored name is random and says nothing about the family.
    assert re.fullmatch(r"documents/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", document.file.name)
    for family_data in (plan.family.reference, plan.family.name, plan.family.postcode.replace(" ", "")):
        assert family_data not in document.file.name
    assert document.file.path.startswith(str(settings.MEDIA_ROOT))

    text = pdf_text(content)
    assert "OFFICIAL-SENSITIVE" in text
    assert f"Page 1 of {document.page_count}" in text
    assert plan.family.reference in text
    assert f"Family plan, version {plan.version}" in text
    assert GOAL_TEXT in " ".join(text.split())
    assert "Class teacher" in text
    assert cfs_worker_user.full_name in text


def test_document_render_delivered_twice_renders_once(plan, cfs_worker_user, django_capture_on_commit_callbacks):
    request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    first = request.document

    assert services.document_render(request_id=request.pk) is None

    request.refresh_from_db()
    assert (request.status, request.attempts) == (READY, 1)
    assert Document.objects.get() == first
    assert len(list(default_storage.listdir(first.file.name.rsplit("/", 1)[0])[1])) == 1


def test_document_render_while_another_delivery_is_rendering_does_nothing(
    plan, cfs_worker_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
    DocumentRequest.objects.filter(pk=request.pk).update(status=RENDERING, attempts=1, started_at=timezone.now())

    with claimant_alive(claims.DOCUMENT, request.pk):
        assert services.document_render(request_id=request.pk) is None

    request.refresh_from_db()
    assert (request.status, request.attempts) == (RENDERING, 1)
    assert not Document.objects.exists()


def test_document_render_takes_over_a_request_whose_worker_died_rendering_it(
    plan, cfs_worker_user, django_capture_on_commit_callbacks
):
    """On PostgreSQL a claimant holds the request while it renders; a redelivery that finds nobody holding it knows
    the claimant was killed, and renders it once (SQLite cannot tell, and leaves it to the sweep)."""
    require_service(is_postgresql(), "a worker's hold on a request is a PostgreSQL advisory lock (set DATABASE_URL)")
    with django_capture_on_commit_callbacks(execute=False):
        request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
    DocumentRequest.objects.filter(pk=request.pk).update(status=RENDERING, attempts=1, started_at=timezone.now())

    assert services.document_render(request_id=request.pk).status == READY
    assert services.document_render(request_id=request.pk) is None  # and once only

    request.refresh_from_db()
    assert (request.status, request.attempts) == (READY, 2)
    assert Document.objects.filter(request=request).count() == 1


def test_document_render_fault_is_shown_as_failed_and_a_retry_renders_it(
    plan, cfs_worker_user, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broken(html):
        raise OSError("the renderer ran out of fonts")

    # The service looks html_to_pdf up in its own module, so that is where the fault is put.
    monkeypatch.setattr("documents.services.html_to_pdf", broken)
    request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)

    assert (request.status, request.error, request.attempts) == (FAILED, FAULT_MESSAGE, 1)
    assert not Document.objects.exists()
    assert "the renderer ran out of fonts" not in request.error  # the fault is logged, not shown
    assert any(r.name == "earlyhelp.documents" and r.exc_info for r in caplog.records)

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.document_retry(user=cfs_worker_user, request=request)

    request.refresh_from_db()
    assert (request.status, request.error, request.attempts) == (READY, "", 2)
    assert Document.objects.get().request == request


def test_document_retry_refuses_a_request_that_has_not_failed(
    plan, cfs_worker_user, django_capture_on_commit_callbacks
):
    request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    with pytest.raises(DocumentError, match="Only a document that failed can be tried again"):
        services.document_retry(user=cfs_worker_user, request=request)


def test_document_retry_is_only_for_the_requester(
    plan, cfs_worker_user, lat_manager_user, django_capture_on_commit_callbacks
):
    request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    DocumentRequest.objects.filter(pk=request.pk).update(status=FAILED)
    with pytest.raises(DocumentRequest.DoesNotExist):
        services.document_retry(user=lat_manager_user, request=request)


def test_document_render_fails_when_the_requester_can_no_longer_see_the_record(
    plan, cfs_worker_user, lats, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
    # Before the worker gets to it, the family moves to another Local Area Team.
    family = plan.family
    family.local_area_team = lats["hob-moor"]
    family.save()
    callbacks[0]()

    request.refresh_from_db()
    assert (request.status, request.error) == (FAILED, NO_LONGER_SEE)
    assert not Document.objects.exists()


def test_document_request_of_a_plan_out_of_scope_is_404(other_family, other_lat_user, cfs_worker_user):
    plan = make_plan(other_family, other_lat_user)
    with pytest.raises(Http404):
        services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
    assert not DocumentRequest.objects.exists()


def test_document_request_of_an_unknown_kind_is_404(plan, cfs_worker_user):
    with pytest.raises(Http404):
        services.document_request(user=cfs_worker_user, kind="letter", uuid=plan.uuid)


# --- The broker is down ----------------------------------------------------------------------------------------


def test_document_request_while_the_broker_is_down_stays_queued_and_the_sweep_sends_it_again(
    plan, cfs_worker_user, django_capture_on_commit_callbacks, caplog
):
    with broker_unreachable():
        assert not celery_app.conf.task_always_eager
        with django_capture_on_commit_callbacks(execute=True):
            request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
        assert "left queued: the broker could not be reached" in caplog.text
        # Sent again too soon, nothing is due yet.
        assert services.documents_requeue() == 0

    request.refresh_from_db()
    assert (request.status, request.attempts) == (QUEUED, 0)
    queued_at = request.queued_at

    # Still down two minutes later: the sweep tries, fails, and the row is still there.
    with broker_unreachable(), time_machine.travel(queued_at + timedelta(seconds=121), tick=False):
        assert services.documents_requeue() == 0
    request.refresh_from_db()
    assert request.status == QUEUED

    # The broker is back (eager in tests): the beat task sends it and it is rendered.
    with time_machine.travel(request.queued_at + timedelta(seconds=121), tick=False):
        assert documents_requeue_task.delay().get() == 1

    request.refresh_from_db()
    assert (request.status, request.attempts) == (READY, 1)
    assert Document.objects.get().request == request


def test_documents_requeue_leaves_recent_and_finished_requests_alone(
    plan, cfs_worker_user, django_capture_on_commit_callbacks
):
    ready = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)

    with time_machine.travel(queued.queued_at + timedelta(seconds=119), tick=False):
        assert services.documents_requeue() == 0
    with time_machine.travel(queued.queued_at + timedelta(days=1), tick=False):
        assert services.documents_requeue() == 1

    queued.refresh_from_db()
    ready.refresh_from_db()
    assert (queued.status, ready.status, ready.attempts) == (READY, READY, 1)


def test_documents_requeue_puts_back_a_request_left_rendering_by_a_lost_worker(
    plan, cfs_worker_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
    started = timezone.now()
    DocumentRequest.objects.filter(pk=request.pk).update(status=RENDERING, attempts=1, started_at=started)
    hard_limit = settings.DOCUMENT_RENDER_HARD_LIMIT_SECONDS

    # Within the hard limit (and a minute's grace) the worker may still be busy with it.
    with (
        claimant_alive(claims.DOCUMENT, request.pk),
        time_machine.travel(started + timedelta(seconds=hard_limit + 59), tick=False),
    ):
        assert services.documents_requeue() == 0
    request.refresh_from_db()
    assert request.status == RENDERING

    with time_machine.travel(started + timedelta(seconds=hard_limit + 61), tick=False):
        assert services.documents_requeue() == 1

    request.refresh_from_db()
    assert (request.status, request.attempts) == (READY, 2)
    assert Document.objects.filter(request=request).count() == 1


def test_documents_requeue_leaves_a_team_export_alone_while_its_own_time_limit_runs(
    lats, lat_manager_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    """A team export may run for DOCUMENT_EXPORT_SOFT_LIMIT_SECONDS: it is not started again after a plan's limit."""
    make_plan(FamilyFactory(local_area_team=lats["tang-hall"]), cfs_worker_user)
    with django_capture_on_commit_callbacks(execute=False):
        export = services.team_plans_request(user=lat_manager_user, team=lats["tang-hall"])
    started = timezone.now()
    DocumentRequest.objects.filter(pk=export.pk).update(status=RENDERING, attempts=1, started_at=started)
    export_hard_limit = settings.DOCUMENT_EXPORT_SOFT_LIMIT_SECONDS + 60

    with claimant_alive(claims.DOCUMENT, export.pk):
        with time_machine.travel(
            started + timedelta(seconds=settings.DOCUMENT_RENDER_HARD_LIMIT_SECONDS + 61), tick=False
        ):
            assert services.documents_requeue() == 0
        with time_machine.travel(started + timedelta(seconds=export_hard_limit + 59), tick=False):
            assert services.documents_requeue() == 0
    export.refresh_from_db()
    assert (export.status, export.attempts) == (RENDERING, 1)

    with time_machine.travel(started + timedelta(seconds=export_hard_limit + 61), tick=False):
        assert services.documents_requeue() == 1
    export.refresh_from_db()
    assert (export.status, export.attempts) == (READY, 2)


def test_documents_requeue_puts_back_at_once_a_request_whose_worker_is_dead(
    lats, lat_manager_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    """A worker killed with its message (the whole worker, not a pool process) leaves nothing to redeliver soon. On
    PostgreSQL its lost hold shows it is dead: the sweep sends the request again once it has been rendering for
    DOCUMENT_REQUEUE_AFTER_SECONDS, not after a team export's half-hour limit."""
    require_service(is_postgresql(), "a worker's hold on a request is a PostgreSQL advisory lock (set DATABASE_URL)")
    make_plan(FamilyFactory(local_area_team=lats["tang-hall"]), cfs_worker_user)
    with django_capture_on_commit_callbacks(execute=False):
        export = services.team_plans_request(user=lat_manager_user, team=lats["tang-hall"])
    started = timezone.now()
    DocumentRequest.objects.filter(pk=export.pk).update(status=RENDERING, attempts=1, started_at=started)
    after = settings.DOCUMENT_REQUEUE_AFTER_SECONDS

    with time_machine.travel(started + timedelta(seconds=after - 1), tick=False):
        assert services.documents_requeue() == 0
    with time_machine.travel(started + timedelta(seconds=after + 1), tick=False):
        assert services.documents_requeue() == 1
    export.refresh_from_db()
    assert (export.status, export.attempts) == (READY, 2)
    assert Document.objects.filter(request=export).count() == 1


def test_documents_requeue_leaves_alone_a_request_a_worker_claimed_after_it_was_listed(
    plan, cfs_worker_user, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=False):
        request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
    listed = []
    real = services.selectors.requests_to_requeue

    def listed_then_claimed(*, now=None):
        if not listed:  # the sweep's list is read; then a worker claims the request before the sweep locks it
            listed.extend(real(now=now).values_list("pk", flat=True))
            assert services._claim(request.pk) is not None
            return DocumentRequest.objects.filter(pk__in=listed)
        return real(now=now)

    monkeypatch.setattr(services.selectors, "requests_to_requeue", listed_then_claimed)
    with time_machine.travel(request.queued_at + timedelta(seconds=121), tick=False):
        assert services.documents_requeue() == 0

    assert listed == [request.pk]
    request.refresh_from_db()
    assert (request.status, request.attempts) == (RENDERING, 1)


# --- Retention -------------------------------------------------------------------------------------------------


def test_documents_delete_expired_deletes_the_file_keeps_the_row_and_is_safe_twice(
    plan, cfs_worker_user, django_capture_on_commit_callbacks
):
    request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    document = request.document
    name, checksum = document.file.name, document.sha256
    assert default_storage.exists(name)
    retention = timedelta(days=settings.DOCUMENT_RETENTION_DAYS)

    with time_machine.travel(document.created_at + retention - timedelta(minutes=1), tick=False):
        assert documents_delete_expired_task.delay().get() == 0
    assert default_storage.exists(name)

    with time_machine.travel(document.created_at + retention + timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert documents_delete_expired_task.delay().get() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert services.documents_delete_expired() == 0

    assert not default_storage.exists(name)
    request.refresh_from_db()
    document.refresh_from_db()
    assert request.status == DELETED
    assert (document.file.name, document.sha256) == ("", checksum)


# --- A manager's export of the team's open plans ---------------------------------------------------------------


def test_team_plans_request_zips_one_pdf_per_open_plan_the_manager_sees(
    lats, lat_manager_user, cfs_worker_user, other_lat_user, django_capture_on_commit_callbacks
):
    tang_hall = lats["tang-hall"]
    families = [FamilyFactory(local_area_team=tang_hall, reference=f"EH-Z000000{n}") for n in (1, 2, 3)]
    plans = [make_plan(family, cfs_worker_user, goal_text=f"Goal of family {n}") for n, family in enumerate(families)]
    # A newer draft of the first family's plan: the agreed version is the current one.
    FamilyPlanFactory(episode=plans[0].episode, family=families[0], version=2, created_by=cfs_worker_user)
    # Not included: a restricted family the manager is not allowed to see, and another team's family.
    make_plan(FamilyFactory(local_area_team=tang_hall, restricted=True), cfs_worker_user)
    make_plan(FamilyFactory(local_area_team=lats["hob-moor"]), other_lat_user)

    with django_capture_on_commit_callbacks(execute=True):
        request = services.team_plans_request(user=lat_manager_user, team=tang_hall)
    request.refresh_from_db()

    assert (request.status, request.kind, request.family, request.local_area_team) == (
        READY,
        "team_plans",
        None,
        tang_hall,
    )
    assert request.progress_done == request.progress_total == 3
    document = request.document
    assert document.content_type == "application/zip"
    assert document.page_count == 3
    assert document.filename == f"open-plans-{tang_hall.slug}-{timezone.localdate():%Y-%m-%d}.zip"
    assert re.fullmatch(r"documents/\d{4}/\d{2}/[0-9a-f]{32}\.zip", document.file.name)
    assert set(document.families.all()) == set(families)
    content = stored_bytes(document)
    assert document.sha256 == hashlib.sha256(content).hexdigest()

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        today = f"{timezone.localdate():%Y-%m-%d}"
        assert sorted(names) == sorted([*(f"plan-{f.reference}-{today}.pdf" for f in families), "contents.txt"])
        contents = archive.read("contents.txt").decode()
        first = pdf_text(archive.read(f"plan-{families[0].reference}-{today}.pdf"))
    assert contents.startswith("OFFICIAL-SENSITIVE")
    assert "3 of 3 plans included." in contents
    assert all(f.reference in contents for f in families)
    assert "Family plan, version 1" in first and "Goal of family 0" in first


def test_team_plans_request_is_refused_to_someone_who_does_not_manage_the_team(lats, cfs_worker_user):
    with pytest.raises(Http404):
        services.team_plans_request(user=cfs_worker_user, team=lats["tang-hall"])
    assert not DocumentRequest.objects.exists()


def test_team_plans_request_is_refused_to_a_manager_of_another_team(lats, lat_manager_user):
    with pytest.raises(Http404):
        services.team_plans_request(user=lat_manager_user, team=lats["hob-moor"])


# --- Consent: at request, at render and at download ------------------------------------------------------------


def test_document_request_by_a_partner_before_consent_covers_their_agency_is_refused(
    granted_family, partner_user, cfs_worker_user
):
    # A grant is usable while consent is still being sought, but nothing leaves the system as a document.
    plan = make_plan(granted_family, cfs_worker_user)
    with pytest.raises(DocumentError, match=NOT_AGREED):
        services.document_request(user=partner_user, kind="plan", uuid=plan.uuid)
    assert not DocumentRequest.objects.exists()


def test_document_request_by_a_partner_after_consent_was_withdrawn_is_404(
    granted_family, partner_user, cfs_worker_user
):
    plan = make_plan(granted_family, cfs_worker_user)
    consent_for(granted_family, agency=partner_user.agency, status=ConsentRecord.Status.WITHDRAWN)
    with pytest.raises(Http404):
        services.document_request(user=partner_user, kind="plan", uuid=plan.uuid)


def test_document_request_by_an_allow_listed_partner_without_consent_is_refused(
    restricted_family, partner_user, cfs_worker_user
):
    family_restricted_allow(family=restricted_family, user=partner_user)
    plan = make_plan(restricted_family, cfs_worker_user)
    consent_for(restricted_family, agency=partner_user.agency, status=ConsentRecord.Status.WITHDRAWN)
    with pytest.raises(DocumentError, match=NOT_AGREED):
        services.document_request(user=partner_user, kind="plan", uuid=plan.uuid)


def test_document_render_refuses_when_consent_was_withdrawn_after_the_request(
    restricted_family, partner_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    family_restricted_allow(family=restricted_family, user=partner_user)
    plan = make_plan(restricted_family, cfs_worker_user)
    consent = consent_for(restricted_family, agency=partner_user.agency)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = services.document_request(user=partner_user, kind="plan", uuid=plan.uuid)
    ConsentRecord.objects.filter(pk=consent.pk).update(status=ConsentRecord.Status.WITHDRAWN)
    callbacks[0]()

    request.refresh_from_db()
    assert request.status == FAILED
    assert request.error.startswith(NOT_AGREED)


def test_document_download_by_a_partner_is_refused_once_consent_is_withdrawn(
    restricted_family, partner_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    family_restricted_allow(family=restricted_family, user=partner_user)
    plan = make_plan(restricted_family, cfs_worker_user)
    consent = consent_for(restricted_family, agency=partner_user.agency)
    request = ask_for_plan(partner_user, plan, django_capture_on_commit_callbacks)
    assert request.status == READY
    ConsentRecord.objects.filter(pk=consent.pk).update(status=ConsentRecord.Status.WITHDRAWN)

    with pytest.raises(DocumentError, match=NOT_AGREED):
        services.document_download(user=partner_user, request=request)
    assert not AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT).exists()
    assert not DisclosureLog.objects.exists()


def test_document_download_by_own_team_staff_is_logged_on_the_holder_basis(
    plan, cfs_worker_user, django_capture_on_commit_callbacks
):
    request = ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks)
    services.document_download(user=cfs_worker_user, request=request)

    event = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT)
    assert (event.user, event.object_type, event.object_uuid) == (cfs_worker_user, "cases.family", plan.family.uuid)
    assert request.document.filename in event.detail
    disclosure = DisclosureLog.objects.get()
    assert (disclosure.family, disclosure.basis, disclosure.consent) == (plan.family, "holder", None)
    assert (disclosure.recipient_user, disclosure.recipient_agency) == (cfs_worker_user, cfs_worker_user.agency)
    assert disclosure.what == "Family plan as a PDF"


def test_document_download_by_a_granted_partner_is_logged_on_the_consent_basis(
    granted_family, partner_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    plan = make_plan(granted_family, cfs_worker_user)
    consent = consent_for(granted_family, agency=partner_user.agency)
    request = ask_for_plan(partner_user, plan, django_capture_on_commit_callbacks)
    services.document_download(user=partner_user, request=request)

    event = AccessEvent.objects.get(action=AccessEvent.Action.EXPORT)
    assert (event.user, event.object_uuid) == (partner_user, granted_family.uuid)
    disclosure = DisclosureLog.objects.get()
    assert (disclosure.basis, disclosure.consent, disclosure.recipient_agency) == (
        "consent",
        consent,
        partner_user.agency,
    )


def test_document_download_of_a_team_export_logs_each_family(
    lats, lat_manager_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    families = [FamilyFactory(local_area_team=lats["tang-hall"]) for _ in range(2)]
    for family in families:
        make_plan(family, cfs_worker_user)
    with django_capture_on_commit_callbacks(execute=True):
        request = services.team_plans_request(user=lat_manager_user, team=lats["tang-hall"])
    request.refresh_from_db()
    services.document_download(user=lat_manager_user, request=request)

    events = AccessEvent.objects.filter(action=AccessEvent.Action.EXPORT)
    assert sorted(events.values_list("object_uuid", flat=True)) == sorted(f.uuid for f in families)
    assert set(DisclosureLog.objects.values_list("family", "basis")) == {(f.pk, "holder") for f in families}


def test_document_download_of_a_request_not_ready_is_refused(plan, cfs_worker_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        request = services.document_request(user=cfs_worker_user, kind="plan", uuid=plan.uuid)
    with pytest.raises(DocumentError, match="not ready"):
        services.document_download(user=cfs_worker_user, request=request)


def test_family_access_grant_alone_does_not_let_a_partner_take_a_copy(
    own_family, partner_user, cfs_worker_user, django_capture_on_commit_callbacks
):
    """The partner sees the family through a grant while consent is sought; the Tang Hall worker holds the record."""
    family_access_grant(family=own_family, user=partner_user)
    plan = make_plan(own_family, cfs_worker_user)
    assert ask_for_plan(cfs_worker_user, plan, django_capture_on_commit_callbacks).status == READY
    with pytest.raises(DocumentError, match=NOT_AGREED):
        services.document_request(user=partner_user, kind="plan", uuid=plan.uuid)
