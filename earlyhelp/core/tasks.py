"""Housekeeping of the platform's own tables."""

from celery import shared_task

from earlyhelp.core.submit_once import form_submissions_purge


@shared_task
def form_submissions_purge_task() -> int:
    """Daily: forget form tokens older than a week (a form sent twice is sent seconds apart, not days)."""
    return form_submissions_purge()
