"""Background jobs of information governance: each calls a service (see the beat schedule in settings)."""

from celery import shared_task
from django.utils import timezone

from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as


@shared_task(acks_late=True)
def restrictions_review_task() -> int:
    """Tell the information governance officers of each restriction due for review, once; safe to run twice."""
    from governance.services.restrictions import restrictions_review_notify

    with acting_as(service_account_get(name="restrictions")):
        return restrictions_review_notify(today=timezone.localdate())
