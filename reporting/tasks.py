"""The monthly indicator snapshot, run by Celery beat on the 1st of each month."""

from celery import shared_task
from django.utils import timezone

from reporting.indicators import Period
from reporting.snapshots import SnapshotError, indicators_snapshot_month


@shared_task(
    acks_late=True,
    autoretry_for=(Exception,),
    dont_autoretry_for=(SnapshotError,),  # a month that has not finished will not finish by trying again
    max_retries=5,
    retry_backoff=300,
    retry_jitter=True,
)
def indicators_snapshot_task(month: str = "") -> int:
    """Snapshot the month before today (or `month`, "2026-10"); a failure is tried again, backing off from five
    minutes. Safe to run twice: the month's snapshot is replaced."""
    if month:
        year, number = (int(part) for part in month.split("-"))
        period = Period.month(year, number)
    else:
        period = Period.containing(timezone.localdate()).preceding()
    return indicators_snapshot_month(period=period)
