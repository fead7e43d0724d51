"""Monthly indicator snapshots: a finished month's figures kept, so a trend does not shift when old records change.

`indicators_snapshot_month` (a service) stores every indicator for every Local Area Team and the city for one
finished month, replacing what was stored before; `indicator_series` (a selector) reads the figures of several
months back from the snapshots and computes live only the months no snapshot has reached yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from locality.models import LocalAreaTeam
from reporting.indicators import CITY, INDICATORS, Figure, Indicator, Period, compute, value
from reporting.models import IndicatorSnapshot


class SnapshotError(Exception):
    """A snapshot that cannot be taken; the message says why, in words a user can act on."""


FIRST_YEAR = 2000  # no month before this is asked for; a year such as 0 would not even make a date
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def month_parse(text: str, *, today: date) -> Period:
    """The month written as "2026-10"; a SnapshotError saying what to give when it is not a month of a year from
    2000 to this one."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise SnapshotError("give a year and month, for example 2026-10")
    if not FIRST_YEAR <= int(match[1]) <= today.year:
        raise SnapshotError(f"give a year from {FIRST_YEAR} to {today.year}")
    return Period.month(int(match[1]), int(match[2]))


def period_finished(period: Period) -> bool:
    return period.end < timezone.localdate()


@transaction.atomic
def indicators_snapshot_month(*, period: Period) -> int:
    """Store every indicator's figures for `period` for every Local Area Team and the city, replacing the month's
    earlier snapshot in one transaction (so running it twice stores the same rows). Returns how many it stored."""
    if not period_finished(period):
        raise SnapshotError(f"{period} has not finished yet: only a finished month can be snapshotted")
    figures = compute(period)
    team_ids = list(LocalAreaTeam.objects.order_by("pk").values_list("pk", flat=True))
    computed_at = timezone.now()
    rows = [
        IndicatorSnapshot(
            month=period.start,
            local_area_team_id=team_id,
            code=code,
            numerator=figure.numerator,
            denominator=figure.denominator,
            breakdown=dict(figure.breakdown),
            computed_at=computed_at,
        )
        for code, by_team in figures.items()
        for team_id in (*team_ids, CITY)
        for figure in (by_team.get(team_id) or Figure(),)
    ]
    IndicatorSnapshot.objects.filter(month=period.start).delete()
    IndicatorSnapshot.objects.bulk_create(rows)
    return len(rows)


@dataclass(frozen=True)
class Point:
    """One month of an indicator's series: its figure, or None when the month has no snapshot for it."""

    period: Period
    figure: Figure | None
    value: float | None
    live: bool  # computed from the records now, not read from a snapshot


@dataclass(frozen=True)
class Series:
    indicator: Indicator
    points: list[Point]  # oldest first

    @property
    def latest(self) -> Point:
        return self.points[-1]


def _snapshot_figures(*, periods: list[Period], team: LocalAreaTeam | None) -> dict[tuple, Figure]:
    """(month start, code) -> the stored figure of `team` (or the city), in one query."""
    rows = IndicatorSnapshot.objects.filter(
        month__in=[period.start for period in periods], code__in=list(INDICATORS)
    ).values_list("month", "code", "numerator", "denominator", "breakdown")
    rows = rows.filter(local_area_team=team) if team is not None else rows.filter(local_area_team__isnull=True)
    return {
        (month, code): Figure(numerator=numerator, denominator=denominator, breakdown=breakdown or {})
        for month, code, numerator, denominator, breakdown in rows
    }


def _series(
    *, periods: list[Period], keys: list[int | None], stored: dict[tuple, Figure]
) -> dict[int | None, list[Series]]:
    """Each area's (team id or CITY) series over `periods`: `stored` ((month start, area, code) -> figure) for the
    months up to the latest snapshot, computed live after it. One query, plus one computation per live month."""
    latest = IndicatorSnapshot.objects.aggregate(latest=Max("month"))["latest"]
    today = timezone.localdate()
    live_periods = [p for p in periods if p.start <= today and (latest is None or p.start > latest)]
    live = {period.start: compute(period) for period in live_periods}
    by_area = {}
    for key in keys:
        series = []
        for code, indicator in INDICATORS.items():
            points = []
            for period in periods:
                if period.start in live:
                    figure = live[period.start].get(code, {}).get(key) or Figure()
                else:
                    figure = stored.get((period.start, key, code))
                points.append(
                    Point(
                        period=period,
                        figure=figure,
                        value=value(indicator, figure) if figure is not None else None,
                        live=period.start in live,
                    )
                )
            series.append(Series(indicator=indicator, points=points))
        by_area[key] = series
    return by_area


def indicator_series(*, periods: list[Period], team: LocalAreaTeam | None) -> list[Series]:
    """Each indicator's figures for `team` (None: the whole city) over `periods`, read from the snapshots.

    Months after the latest snapshot (the current month, or a finished month the monthly job has not reached
    yet) are computed live; an earlier month with no snapshot shows as not recorded (rebuild it with
    `manage.py indicators_snapshot`). Two queries, plus one live computation per month after the latest snapshot.
    """
    key = team.pk if team is not None else CITY
    stored = {
        (month, key, code): figure for (month, code), figure in _snapshot_figures(periods=periods, team=team).items()
    }
    return _series(periods=periods, keys=[key], stored=stored)[key]


def indicator_series_by_area(*, periods: list[Period], teams: list[LocalAreaTeam]) -> dict[int | None, list[Series]]:
    """`indicator_series` for the city (key CITY) and every one of `teams` (key: its id) at once, so a download
    can suppress small numbers over all of them. Two queries, plus one live computation per month after the
    latest snapshot, however many teams."""
    rows = IndicatorSnapshot.objects.filter(
        month__in=[period.start for period in periods], code__in=list(INDICATORS)
    ).values_list("month", "local_area_team_id", "code", "numerator", "denominator", "breakdown")
    stored = {
        (month, team_id, code): Figure(numerator=numerator, denominator=denominator, breakdown=breakdown or {})
        for month, team_id, code, numerator, denominator, breakdown in rows
    }
    return _series(periods=periods, keys=[CITY, *(team.pk for team in teams)], stored=stored)
