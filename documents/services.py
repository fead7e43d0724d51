"""Writes of documents: ask for one, render it (in a worker), retry, download, and delete after retention."""

import hashlib
import io
import logging
import secrets
import zipfile
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone

from consent.models import DisclosureLog
from documents import selectors
from documents.kinds import KINDS, PLAN, TEAM_PLANS, TEAM_PLANS_VERSION, Kind
from documents.models import Document, DocumentRequest
from earlyhelp.audit.context import acting_as
from earlyhelp.audit.models import AccessEvent
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import claims
from earlyhelp.core.pdf import html_to_pdf
from earlyhelp.core.states import status_move
from earlyhelp.core.validation import full_clean_new

logger = logging.getLogger("earlyhelp.documents")

FAULT_MESSAGE = (
    "The PDF could not be created because of a fault in the system. Try again. If it fails again, tell the "
    "service desk the reference shown on this page."
)


class DocumentError(Exception):
    """A document cannot be asked for, rendered or downloaded; the message says why, for the user."""


def _move(request: DocumentRequest, status: str) -> None:
    status_move(request, status, error=DocumentError, noun="A document request")


# --- Asking ----------------------------------------------------------------------------------------------------


def document_request(*, user, kind: str, uuid) -> DocumentRequest:
    """Ask for a PDF of one record. Refuses (404) a record `user` may not see and (DocumentError) a family whose
    consent does not cover their agency. The row is written first; the worker is told once it commits."""
    spec = KINDS.get(kind)
    if spec is None:
        raise Http404("No such kind of document")
    record = spec.record(user=user, uuid=uuid)
    family = spec.family(record)
    decision = selectors.document_sharing(user=user, family=family)
    if not decision.allowed:
        raise DocumentError(decision.message)
    return _queue(
        DocumentRequest(
            kind=spec.slug,
            family=family,
            record_uuid=record.uuid,
            requested_by=user,
            template_version=spec.version,
        )
    )


def team_plans_request(*, user, team) -> DocumentRequest:
    """Ask for every open plan of a Local Area Team `user` manages, one PDF each, in one ZIP."""
    selectors.team_get_managed(user=user, uuid=team.uuid)
    return _queue(
        DocumentRequest(kind=TEAM_PLANS, local_area_team=team, requested_by=user, template_version=TEAM_PLANS_VERSION)
    )


@transaction.atomic
def _queue(request: DocumentRequest) -> DocumentRequest:
    request.queued_at = timezone.now()
    full_clean_new(request)
    request.save()
    transaction.on_commit(lambda: document_enqueue(request_id=request.pk))
    return request


def document_enqueue(*, request_id: int) -> bool:
    """Send a request to the workers. If the broker cannot be reached the row stays queued and
    `documents_requeue_task` sends it again later; nothing is lost, so this never raises."""
    from documents.tasks import render_document_task, render_team_plans_task

    kind = DocumentRequest.objects.filter(pk=request_id).values_list("kind", flat=True).first()
    task = render_team_plans_task if kind == TEAM_PLANS else render_document_task
    try:
        task.apply_async(args=[request_id], retry=False)
    except Exception:  # any broker failure: the outbox row is the record of the work
        logger.warning("Document request %s left queued: the broker could not be reached", request_id, exc_info=True)
        return False
    return True


@transaction.atomic
def document_retry(*, user, request: DocumentRequest) -> DocumentRequest:
    """Queue a failed request again, for its requester."""
    request = DocumentRequest.objects.select_for_update().get(pk=request.pk, requested_by=user)
    if request.status != DocumentRequest.Status.FAILED:
        raise DocumentError("Only a document that failed can be tried again.")
    _move(request, DocumentRequest.Status.QUEUED)
    request.error = ""
    request.queued_at = timezone.now()
    request.save()
    transaction.on_commit(lambda: document_enqueue(request_id=request.pk))
    return request


def documents_requeue(*, now=None) -> int:
    """Send again every request a worker should have picked up by now: queued too long (the broker was down), or
    being created by a worker that is gone (killed with its queue message: on PostgreSQL known at once from its
    lost hold, elsewhere assumed after the task's hard time limit). Sending twice is safe: a worker renders a
    request only if it can claim it, or take it over from a dead claimant."""
    count = 0
    for request_id in selectors.requests_to_requeue(now=now).values_list("pk", flat=True):
        with transaction.atomic():
            # Checked again under the lock: a worker may have claimed or finished it since it was listed.
            request = selectors.requests_to_requeue(now=now).select_for_update().filter(pk=request_id).first()
            if request is None:
                continue
            if request.status == DocumentRequest.Status.RENDERING:
                if not selectors.rendering_past_hard_limit(request, now=now) and claims.holder_alive(
                    claims.DOCUMENT, request.pk
                ):
                    continue  # a live worker is still on it
                _move(request, DocumentRequest.Status.QUEUED)
            request.queued_at = timezone.now()
            request.save()
        count += document_enqueue(request_id=request_id)
    return count


# --- Rendering (in a worker) -----------------------------------------------------------------------------------


@dataclass
class Built:
    content: bytes
    filename: str
    page_count: int
    record_version: str
    content_type: str = "application/pdf"
    families: list = field(default_factory=list)


def _claim(request_id: int) -> DocumentRequest | None:
    """Move a queued request to rendering; or, on PostgreSQL, take over one left rendering by a claimant that is
    dead (the caller holds the request's advisory lock, so no living process is on it). Returns None for a request
    done or gone, or (where holds are not supported) claimed by another delivery."""
    with transaction.atomic():
        request = DocumentRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            return None
        if request.status == DocumentRequest.Status.RENDERING and claims.supported():
            logger.warning("Document request %s taken over from a worker that died rendering it", request.uuid)
        elif request.status == DocumentRequest.Status.QUEUED:
            _move(request, DocumentRequest.Status.RENDERING)
        else:
            return None
        request.attempts += 1
        request.started_at = timezone.now()
        request.save()
        return request


def document_render(*, request_id: int) -> DocumentRequest | None:
    """Render one request, exactly once however often it is delivered. The worker holds the request for the whole
    render (`earlyhelp.core.claims`): a delivery while a living worker renders it does nothing; one after that
    worker was killed takes the render over. A request done or gone is left alone. Every failure is recorded on the
    request with a message for the requester; nothing is re-raised but a time limit, so the worker moves on."""
    with claims.hold(claims.DOCUMENT, request_id) as held:
        if not held:
            return None  # a duplicate delivery: a living worker has it
        request = _claim(request_id)
        if request is None:
            return None
        try:
            with acting_as(request.requested_by):
                built = _build_team_plans(request) if request.kind == TEAM_PLANS else _build(request)
        except SoftTimeLimitExceeded:
            _fail(request, "Creating the PDF took too long and was stopped. Try again later.")
        except (Http404, PermissionDenied):
            _fail(request, "You can no longer see this record, so no PDF was made.")
        except DocumentError as refusal:
            _fail(request, str(refusal))
        except Exception:
            logger.exception("Document request %s failed", request.uuid)
            _fail(request, FAULT_MESSAGE)
        else:
            _store(request, built)
    request.refresh_from_db()
    return request


def _still_ours(request: DocumentRequest) -> DocumentRequest | None:
    """The request, locked, if this render's claim still stands: rendering, and not swept back to the queue and
    claimed again since (each claim counts an attempt)."""
    current = DocumentRequest.objects.select_for_update().get(pk=request.pk)
    if current.status != DocumentRequest.Status.RENDERING or current.attempts != request.attempts:
        return None
    return current


def _fail(request: DocumentRequest, message: str) -> None:
    with transaction.atomic(), acting_as(request.requested_by):
        request = _still_ours(request)
        if request is None:
            return
        _move(request, DocumentRequest.Status.FAILED)
        request.error = message[:500]
        request.finished_at = timezone.now()
        request.save()


def _store(request: DocumentRequest, built: Built) -> None:
    extension = "zip" if built.content_type == "application/zip" else "pdf"
    stored = None
    try:
        with transaction.atomic(), acting_as(request.requested_by):
            request = _still_ours(request)
            if request is None:
                return  # swept back to the queue while this worker was slow: the next render stores its own
            document = Document(
                request=request,
                filename=built.filename,
                content_type=built.content_type,
                sha256=hashlib.sha256(built.content).hexdigest(),
                size=len(built.content),
                page_count=built.page_count,
                template_version=request.template_version,
                record_version=built.record_version[:100],
            )
            document.file.save(f"{secrets.token_hex(16)}.{extension}", ContentFile(built.content), save=False)
            stored = document.file
            document.full_clean()
            document.save()
            document.families.set(built.families)
            _move(request, DocumentRequest.Status.READY)
            request.finished_at = timezone.now()
            request.save()
    except Exception:
        # The row was rolled back: take the file with it, so no file is left that no document points to.
        if stored is not None:
            stored.storage.delete(stored.name)
        raise


def document_html(*, spec: Kind, user, record) -> str:
    """The HTML a kind's template makes of one record, as `user` sees it (also used by the benchmark)."""
    family = spec.family(record)
    context = {
        "kind": spec,
        "title": spec.title,
        "family": family,
        "generated_at": timezone.localtime(),
        "generated_by": user,
        **spec.context(user=user, record=record),
    }
    return render_to_string(spec.template, context)


def _render_one(*, spec: Kind, user, uuid) -> Built:
    record = spec.record(user=user, uuid=uuid)
    family = spec.family(record)
    decision = selectors.document_sharing(user=user, family=family)
    if not decision.allowed:
        raise DocumentError(decision.message)
    pdf = html_to_pdf(document_html(spec=spec, user=user, record=record))
    return Built(
        content=pdf.content,
        filename=f"{spec.slug}-{family.reference}-{timezone.localdate():%Y-%m-%d}.pdf",
        page_count=pdf.page_count,
        record_version=spec.record_version(record),
        families=[family],
    )


def _build(request: DocumentRequest) -> Built:
    spec = KINDS.get(request.kind)
    if spec is None:
        raise DocumentError("This kind of document can no longer be made.")
    return _render_one(spec=spec, user=request.requested_by, uuid=request.record_uuid)


def _progress(request: DocumentRequest, done: int, total: int) -> None:
    """Show progress on the request page. A counter, not a change of state: no history row for each tick."""
    request.progress_done, request.progress_total = done, total
    request.skip_history_when_saving = True
    try:
        request.save(update_fields=["progress_done", "progress_total", "updated_at"])
    finally:
        del request.skip_history_when_saving


def _build_team_plans(request: DocumentRequest) -> Built:
    user, team = request.requested_by, request.local_area_team
    selectors.team_get_managed(user=user, uuid=team.uuid)
    plans = selectors.team_open_plans(user=user, team=team)
    _progress(request, 0, len(plans))
    buffer = io.BytesIO()
    contents, families = [], []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, plan in enumerate(plans, start=1):
            try:
                built = _render_one(spec=PLAN, user=user, uuid=plan.uuid)
            except (DocumentError, Http404) as refusal:
                contents.append(f"{plan.family.reference}: not included. {refusal}")
            else:
                archive.writestr(built.filename, built.content)
                contents.append(f"{plan.family.reference}: {built.filename} ({built.record_version})")
                families.extend(built.families)
            _progress(request, done, len(plans))
        generated = timezone.localtime()
        archive.writestr(
            "contents.txt",
            "\n".join(
                [
                    "OFFICIAL-SENSITIVE",
                    f"Open family plans of {team.name}, made {generated:%d %B %Y %H:%M} for {user}.",
                    f"{len(families)} of {len(plans)} plans included.",
                    "",
                    *contents,
                    "",
                ]
            ),
        )
    return Built(
        content=buffer.getvalue(),
        filename=f"open-plans-{team.slug}-{timezone.localdate():%Y-%m-%d}.zip",
        page_count=len(families),
        record_version=f"{len(families)} plans as at {generated:%d %b %Y %H:%M}",
        content_type="application/zip",
        families=families,
    )


# --- Downloading and retention ---------------------------------------------------------------------------------


@transaction.atomic
def document_download(*, user, request: DocumentRequest, http_request=None) -> Document:
    """Check consent again and account for the copy: an access event and a disclosure row for each family in it."""
    if request.status != DocumentRequest.Status.READY:
        raise DocumentError("This document is not ready to download.")
    document = request.document
    families = list(document.families.select_related("local_area_team"))
    decisions = []
    for family in families:
        decision = selectors.document_sharing(user=user, family=family)
        if not decision.allowed:
            raise DocumentError(decision.message)
        decisions.append((family, decision))
    title = KINDS[request.kind].title if request.kind in KINDS else "Open family plans"
    for family, decision in decisions:
        access_event_record(
            user=user,
            action=AccessEvent.Action.EXPORT,
            obj=family,
            detail=f"Downloaded {title} ({document.filename}, SHA-256 {document.sha256[:16]})",
            request=http_request,
        )
        DisclosureLog.objects.create(
            family=family,
            what=f"{title} as a PDF" if request.kind != TEAM_PLANS else "Family plan in a team export (ZIP)",
            recipient_agency=user.agency,
            recipient_user=user,
            basis=selectors.disclosure_basis(decision),
            consent=decision.consent,
            disclosed_by=user,
        )
    return document


def documents_delete_expired(*, now=None) -> int:
    """Delete the files of documents older than DOCUMENT_RETENTION_DAYS; the request and the document's checksum
    stay, so the record shows what was made and when. Safe to run twice."""
    count = 0
    for request_id in selectors.documents_past_retention(now=now).values_list("pk", flat=True):
        with transaction.atomic():
            # Lock the request only: PostgreSQL cannot lock the nullable side of the outer join to its document.
            request = (
                DocumentRequest.objects.select_for_update(of=("self",)).select_related("document").get(pk=request_id)
            )
            if request.status != DocumentRequest.Status.READY:
                continue
            document = request.document
            name = document.file.name
            document.file = ""
            document.save()
            _move(request, DocumentRequest.Status.DELETED)
            request.save()
            if name:
                transaction.on_commit(lambda name=name, storage=document.file.storage: storage.delete(name))
            count += 1
    return count
