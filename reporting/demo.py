"""Demo data for the indicators dashboard: the last twelve finished months stored as snapshots, computed from the
families, contacts and casework seed_demo has already made, so the trends show at once."""

from datetime import date

from reporting.indicators import Period
from reporting.snapshots import indicators_snapshot_month


def seed_indicator_snapshots(*, today: date) -> str:
    """Snapshot the twelve months before `today`'s month from the demo records (the current month stays live)."""
    months = Period.containing(today).preceding().last(12)
    stored = sum(indicators_snapshot_month(period=period) for period in months)
    return f"Indicator snapshots: {stored} figures for {months[0]} to {months[-1]}"
