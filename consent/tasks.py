"""Daily consent housekeeping, run by Celery beat."""

from celery import shared_task
from django.utils import timezone

from consent.services import consents_expire
from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as


@shared_task(acks_late=True)
def consents_expire_task() -> int:
    """Expire consents past their review date; safe to run twice on the same day."""
    with acting_as(service_account_get(name="consent-expiry")):
        return consents_expire(today=timezone.localdate())
