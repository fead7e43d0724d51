"""The daily check that the access log has not been tampered with, run by Celery beat."""

import logging

from celery import shared_task
from django.urls import reverse

from earlyhelp.audit.selectors import access_chain_first_broken_link
from earlyhelp.audit.services import access_chain_break_report

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def audit_chain_verify_task() -> str:
    """Walk the whole access log's hash chain (as `manage.py verify_audit_chain` does); if it is broken, tell every
    information governance officer where. Returns what was found, for the worker's log."""
    broken = access_chain_first_broken_link()
    if broken is None:
        return "The access log chain is intact."
    logger.error("%s", broken)
    access_chain_break_report(broken=broken, url=reverse("audit:access_log"))
    return str(broken)
