"""Background work for the front door: telling referrers, and the overdue sweep run by Celery beat."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as
from referrals.selectors import decisions_awaiting_feedback
from referrals.services import contacts_flag_overdue, referrer_feedback_send

FEEDBACK_RETRY_AFTER = timedelta(minutes=10)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def referrer_feedback_task(decision_id: int) -> bool:
    """Tell the referrer the outcome; idempotent, so a retry or a re-queue never tells them twice."""
    with acting_as(service_account_get(name="mash-feedback")):
        return referrer_feedback_send(decision_id=decision_id)


@shared_task(acks_late=True)
def contacts_overdue_task() -> int:
    """Every 15 minutes: flag contacts past their decision time and re-queue feedback that was not sent."""
    now = timezone.now()
    with acting_as(service_account_get(name="mash-overdue")):
        flagged = contacts_flag_overdue(now=now)
    for decision_id in decisions_awaiting_feedback(older_than=now - FEEDBACK_RETRY_AFTER).values_list("pk", flat=True):
        referrer_feedback_task.delay(decision_id)
    return flagged
