"""Rebuild the stored indicator figures of one month, or of the last finished months."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reporting.indicators import Period
from reporting.snapshots import SnapshotError, indicators_snapshot_month, month_parse


def period_parse(text: str) -> Period:
    try:
        return month_parse(text, today=timezone.localdate())
    except SnapshotError as refusal:
        raise CommandError(f"--month {text!r}: {refusal}") from None


class Command(BaseCommand):
    help = (
        "Recompute and store the indicators of a finished month (--month 2026-10) or of the last N finished months "
        "(--months 12), replacing what was stored. Use it after correcting old records, or at go-live."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--month", help="one finished month, as YYYY-MM")
        which.add_argument("--months", type=int, help="the last N finished months")

    def handle(self, *args, month=None, months=None, **options):
        if months is not None and not 1 <= months <= 120:
            raise CommandError("--months must be between 1 and 120")
        last_finished = Period.containing(timezone.localdate()).preceding()
        periods = [period_parse(month)] if month else last_finished.last(months)
        for period in periods:
            try:
                stored = indicators_snapshot_month(period=period)
            except SnapshotError as refusal:
                raise CommandError(str(refusal)) from None
            self.stdout.write(f"{period}: {stored} figures stored")
