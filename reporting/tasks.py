"""The monthly indicator snapshot, run by Celery beat on the 1st of each month."""

from celery import shared_task
from django.utils import timezone

from reporting.indicators import Period
from reporting.snapshots import SnapshotError, indicators_snapshot_month, month_parse


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    dont_autoretry_for=(SnapshotError,),  # a bad or unfinished month will not come right by trying again
    max_retries=5,
    retry_backoff=300,
    retry_jitter=True,
)
def indicators_snapshot_task(month: str = "") -> int:
    """Snapshot the month before today (or `month`, "2026-10"); a failure is tried again, backing off from five
    minutes. Safe to run twice: the month's snapshot is replaced."""
    if month:
        try:
            period = month_parse(month, today=timezone.localdate())
        except SnapshotError as refusal:
            raise SnapshotError(f"month {month!r}: {refusal}") from None
    else:
        period = Period.containing(timezone.localdate()).preceding()
    return indicators_snapshot_month(period=period)
