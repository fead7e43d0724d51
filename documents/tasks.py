"""Background jobs for documents. WeasyPrint is imported inside the render (earlyhelp.core.pdf), not here."""

from celery import shared_task
from django.conf import settings

from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as


@shared_task(
    acks_late=True,
    soft_time_limit=settings.DOCUMENT_RENDER_SOFT_LIMIT_SECONDS,
    time_limit=settings.DOCUMENT_RENDER_HARD_LIMIT_SECONDS,
)
def render_document_task(request_id: int) -> str | None:
    """Render one PDF, once: a second delivery does nothing while the first worker lives, and takes over if it was
    killed (redelivered by `reject_on_worker_lost`, or by the broker's visibility timeout)."""
    from documents.services import document_render

    request = document_render(request_id=request_id)
    return request.status if request else None


@shared_task(
    acks_late=True,
    soft_time_limit=settings.DOCUMENT_EXPORT_SOFT_LIMIT_SECONDS,
    time_limit=settings.DOCUMENT_EXPORT_SOFT_LIMIT_SECONDS + 60,
)
def render_team_plans_task(request_id: int) -> str | None:
    """Render a Local Area Team's open plans into one ZIP, counting progress on the request."""
    from documents.services import document_render

    request = document_render(request_id=request_id)
    return request.status if request else None


@shared_task(acks_late=True)
def documents_requeue_task() -> int:
    """Every minute: send again requests left queued (the broker was down) or left rendering by a dead worker."""
    from documents.services import documents_requeue

    with acting_as(service_account_get(name="documents")):
        return documents_requeue()


@shared_task(acks_late=True)
def documents_delete_expired_task() -> int:
    """Nightly: delete document files older than DOCUMENT_RETENTION_DAYS."""
    from documents.services import documents_delete_expired

    with acting_as(service_account_get(name="documents")):
        return documents_delete_expired()
