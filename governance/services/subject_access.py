"""Writes of subject access requests: record one, build its pack (in a worker), try again, send again what the
broker lost, and account for each download.

The request row is the outbox: written `queued` with the officer's click, sent to the workers once it commits, and
sent again by `subject_access_requeue` if the broker was down. A worker claims a request by moving it to `building`
and holds it while it builds (`earlyhelp.core.claims`): a second delivery of the same message does nothing while that
worker lives, and takes the build over if it was killed."""

import logging
import secrets
from datetime import date

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import FamilyMember, Person
from cases.selectors.episodes import add_months
from earlyhelp.accounts.services import notify
from earlyhelp.audit.context import acting_as
from earlyhelp.audit.models import AccessEvent
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import claims
from earlyhelp.core.states import status_move
from governance.models import SubjectAccessRequest
from governance.selectors.subject_access import building_past_hard_limit, subject_access_requests_to_requeue

logger = logging.getLogger("earlyhelp.governance")

Status = SubjectAccessRequest.Status
FAULT_MESSAGE = (
    "The pack could not be built because of a fault in the system. Try again. If it fails again, tell the service "
    "desk the reference shown on this page."
)
TOO_LONG_MESSAGE = "Building the pack took too long and was stopped. Try again later."
GONE_MESSAGE = "The person's records have been disposed of, so there is nothing left to put in a pack."


class SubjectAccessError(Exception):
    """A subject access request cannot be made, built or downloaded; the message says why, for the officer."""


def _move(request: SubjectAccessRequest, status: str) -> None:
    status_move(request, status, error=SubjectAccessError, noun="A subject access request")


def person_reference(person: Person) -> str:
    """A reference for the request that names no one, kept if the person's records are disposed of."""
    return f"SAR-{person.uuid.hex[:8].upper()}"


def subject_access_due_on(received_on: date) -> date:
    """One calendar month after the request was received (the last day of a shorter month)."""
    return add_months(received_on, 1)


def _detail_url(request: SubjectAccessRequest) -> str:
    return reverse("governance:subject_access_detail", kwargs={"uuid": request.uuid})


# --- Asking ----------------------------------------------------------------------------------------------------


@transaction.atomic
def subject_access_request_create(*, user, person: Person, received_on: date, notes: str) -> SubjectAccessRequest:
    """Record a person's request for everything held about them, and queue its pack; the workers are told once the
    row is committed. The received date may not be in the future."""
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": "The date the request was received must be today or in the past"})
    request = SubjectAccessRequest(
        person=person,
        person_reference=person_reference(person),
        requested_by=user,
        received_on=received_on,
        due_on=subject_access_due_on(received_on),
        notes=notes.strip(),
        status=Status.QUEUED,
        queued_at=timezone.now(),
    )
    request.full_clean()
    request.save()
    transaction.on_commit(lambda: subject_access_enqueue(request_id=request.pk))
    return request


def subject_access_enqueue(*, request_id: int) -> bool:
    """Send a request to the workers. If the broker cannot be reached the row stays queued and the sweep sends it
    again later; nothing is lost, so this never raises."""
    from governance.tasks import subject_access_build_task

    try:
        subject_access_build_task.apply_async(args=[request_id], retry=False)
    except Exception:  # any broker failure: the outbox row is the record of the work
        logger.warning(
            "Subject access request %s left queued: the broker could not be reached", request_id, exc_info=True
        )
        return False
    return True


@transaction.atomic
def subject_access_retry(*, user, request: SubjectAccessRequest) -> SubjectAccessRequest:
    """Queue a failed request again."""
    request = SubjectAccessRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != Status.FAILED:
        raise SubjectAccessError("Only a pack that failed can be tried again.")
    _move(request, Status.QUEUED)
    request.error = ""
    request.queued_at = timezone.now()
    request.save()
    transaction.on_commit(lambda: subject_access_enqueue(request_id=request.pk))
    return request


def subject_access_requeue(*, now=None) -> int:
    """Send again every request a worker should have picked up by now: queued too long (the broker was down), or
    building by a worker that is gone (killed with its queue message: on PostgreSQL known at once from its lost hold,
    elsewhere assumed after the task's hard time limit). Sending twice is safe: a worker builds a request only if it
    can claim it, or take it over from a dead claimant."""
    count = 0
    for request_id in subject_access_requests_to_requeue(now=now).values_list("pk", flat=True):
        with transaction.atomic():
            # Checked again under the lock: a worker may have claimed or finished it since it was listed.
            request = subject_access_requests_to_requeue(now=now).select_for_update().filter(pk=request_id).first()
            if request is None:
                continue
            if request.status == Status.BUILDING:
                if not building_past_hard_limit(request, now=now) and claims.holder_alive(
                    claims.SUBJECT_ACCESS, request.pk
                ):
                    continue  # a live worker is still on it
                _move(request, Status.QUEUED)
            request.queued_at = timezone.now()
            request.save()
        count += subject_access_enqueue(request_id=request_id)
    return count


# --- Building (in a worker) ------------------------------------------------------------------------------------


def _claim(request_id: int) -> SubjectAccessRequest | None:
    """Move a queued request to building; or, on PostgreSQL, take over one left building by a claimant that is dead
    (the caller holds the request's advisory lock, so no living process is on it). Returns None for a request ready,
    failed or gone, or (where holds are not supported) claimed by another delivery."""
    with transaction.atomic():
        request = SubjectAccessRequest.objects.select_for_update().filter(pk=request_id).first()
        if request is None:
            return None
        with acting_as(request.requested_by):
            if request.status == Status.BUILDING and claims.supported():
                logger.warning("Subject access request %s taken over from a worker that died building it", request.uuid)
            elif request.status == Status.QUEUED:
                _move(request, Status.BUILDING)
            else:
                return None
            request.attempts += 1
            request.started_at = timezone.now()
            request.save()
        return request


def subject_access_build(*, request_id: int) -> SubjectAccessRequest | None:
    """Build one request's pack, exactly once however often it is delivered: the worker holds the request for the
    whole build, so a delivery while it lives does nothing and one after it was killed takes the build over. A
    request ready or gone is left alone. A failure is recorded on the request with a short message and the officer
    is told; nothing is re-raised, so the worker moves on."""
    from governance.subject_access_pack import pack_build

    with claims.hold(claims.SUBJECT_ACCESS, request_id) as held:
        if not held:
            return None  # a duplicate delivery: a living worker has it
        request = _claim(request_id)
        if request is None:
            return None
        try:
            if request.person_id is None:
                raise SubjectAccessError(GONE_MESSAGE)
            built = pack_build(request=request)
        except SoftTimeLimitExceeded:
            _fail(request, TOO_LONG_MESSAGE)
        except SubjectAccessError as refusal:
            _fail(request, str(refusal))
        except Exception:
            logger.exception("Subject access request %s failed", request.uuid)
            _fail(request, FAULT_MESSAGE)
        else:
            _store(request, built)
    request.refresh_from_db()
    return request


def _still_ours(request: SubjectAccessRequest) -> SubjectAccessRequest | None:
    """The request, locked, if this build's claim still stands: building, and not swept back to the queue and
    claimed again since (each claim counts an attempt)."""
    current = SubjectAccessRequest.objects.select_for_update().get(pk=request.pk)
    if current.status != Status.BUILDING or current.attempts != request.attempts:
        return None
    return current


def _fail(request: SubjectAccessRequest, message: str) -> None:
    with transaction.atomic(), acting_as(request.requested_by):
        request = _still_ours(request)
        if request is None:
            return
        _move(request, Status.FAILED)
        request.error = message[:300]
        request.completed_at = timezone.now()
        request.save()
        notify(
            user=request.requested_by,
            message=f"The subject access pack for {request.person_reference} could not be built. Try again.",
            url=_detail_url(request),
        )


def _store(request: SubjectAccessRequest, built) -> None:
    stored = None
    try:
        with transaction.atomic(), acting_as(request.requested_by):
            request = _still_ours(request)
            if request is None:
                return  # swept back to the queue while this worker was slow: the next build stores its own
            # A random name: nothing about the person is in the stored file's name (the download gives a readable
            # one).
            request.file.save(f"{secrets.token_hex(16)}.zip", ContentFile(built.content), save=False)
            stored = request.file.name
            request.sha256 = built.sha256
            _move(request, Status.READY)
            request.completed_at = timezone.now()
            request.save()
            notify(
                user=request.requested_by,
                message=f"The subject access pack for {request.person_reference} is ready to download.",
                url=_detail_url(request),
            )
    except Exception:
        # The row was rolled back: take the file with it, so no file is left that no request points to.
        if stored is not None:
            request.file.storage.delete(stored)
        raise


# --- Downloading -----------------------------------------------------------------------------------------------


def subject_access_download_name(request: SubjectAccessRequest) -> str:
    return f"subject-access-{request.person_reference}-{timezone.localtime(request.completed_at):%Y-%m-%d}.zip"


@transaction.atomic
def subject_access_download(*, user, request: SubjectAccessRequest, http_request=None) -> SubjectAccessRequest:
    """Account for a copy of the pack leaving the system: an export in the access log of the person and of each of
    their families, so "who has viewed this record" shows it."""
    if request.status != Status.READY or not request.file:
        raise SubjectAccessError("This pack is not ready to download.")
    detail = (
        f"Downloaded the subject access pack {request.person_reference} "
        f"({subject_access_download_name(request)}, SHA-256 {request.sha256[:16]})"
    )
    subjects = [request.person] if request.person_id else []
    families = [m.family for m in FamilyMember.objects.filter(person_id=request.person_id).select_related("family")]
    for record in [*subjects, *families] or [None]:
        access_event_record(
            user=user, action=AccessEvent.Action.EXPORT, obj=record, detail=detail, request=http_request
        )
    return request
