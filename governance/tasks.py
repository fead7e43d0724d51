"""Background jobs of information governance: each calls a service (see the beat schedule in settings)."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as


@shared_task(acks_late=True)
def restrictions_review_task() -> int:
    """Tell the information governance officers of each restriction due for review, once; safe to run twice."""
    from governance.services.restrictions import restrictions_review_notify

    with acting_as(service_account_get(name="restrictions")):
        return restrictions_review_notify(today=timezone.localdate())


@shared_task(
    acks_late=True,
    soft_time_limit=settings.SUBJECT_ACCESS_BUILD_SOFT_LIMIT_SECONDS,
    time_limit=settings.SUBJECT_ACCESS_BUILD_HARD_LIMIT_SECONDS,
)
def subject_access_build_task(request_id: int) -> str | None:
    """Build one subject access pack, once: a second delivery does nothing while the first worker lives, and takes
    over if it was killed."""
    from governance.services.subject_access import subject_access_build

    request = subject_access_build(request_id=request_id)
    return request.status if request else None


@shared_task(acks_late=True)
def subject_access_requeue_task() -> int:
    """Every minute: send again subject access requests left queued (the broker was down) or left building by a
    lost worker."""
    from governance.services.subject_access import subject_access_requeue

    with acting_as(service_account_get(name="governance")):
        return subject_access_requeue()


@shared_task(acks_late=True)
def retention_reviews_build_task() -> int:
    """Daily: queue a retention review for each family whose youngest child has turned 25; safe to run twice."""
    from governance.services.retention import retention_reviews_build

    with acting_as(service_account_get(name="retention")):
        return retention_reviews_build(today=timezone.localdate())
