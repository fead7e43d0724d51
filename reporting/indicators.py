"""The partnership's indicators (DOMAIN.md, "Measuring the difference"): each one a definition in words next to
the code that computes it, for one month, per Local Area Team and city-wide.

`compute(period)` returns every indicator's figures for every team and the city in a bounded number of queries:
each indicator groups by team in the database, never loops over families. The dashboard shows `definition` under
each chart, so the words and the code must say the same thing.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, QuerySet
from django.utils import timezone

CITY = None  # the key of the city-wide figure in a result; teams are keyed by their id


@dataclass(frozen=True)
class Period:
    """One calendar month, the unit every indicator is computed for."""

    start: date  # the first day
    end: date  # the last day, inclusive

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))

    @classmethod
    def containing(cls, day: date) -> Period:
        return cls.month(day.year, day.month)

    @property
    def start_at(self) -> datetime:
        """The first moment of the month, local time."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """The first moment after the month (use with `__lt`)."""
        return Period.containing(self.end).following().start_at

    def following(self) -> Period:
        return Period.month(self.end.year + self.end.month // 12, self.end.month % 12 + 1)

    def preceding(self) -> Period:
        return Period.month(self.start.year - (self.start.month == 1), (self.start.month - 2) % 12 + 1)

    def last(self, months: int) -> list[Period]:
        """This month and the `months - 1` before it, oldest first."""
        periods = [self]
        while len(periods) < months:
            periods.insert(0, periods[0].preceding())
        return periods

    def __str__(self) -> str:
        return f"{self.start:%B %Y}"


@dataclass(frozen=True)
class Figure:
    """An indicator's value for one team (or the city) in one month.

    `numerator` alone is a count; with a `denominator` the value is a rate (`unit` "percent") or an average
    (`unit` "average", for example days per intervention). `breakdown` names the parts of a figure, each a count.
    """

    numerator: int = 0
    denominator: int | None = None
    breakdown: dict[str, int] = field(default_factory=dict)


Figures = dict[int | None, Figure]  # team id (or CITY) -> figure


@dataclass(frozen=True)
class Indicator:
    code: str  # "a" to "l", or a name for the extras ("mash_in_time")
    title: str
    definition: str  # in words: what is counted, over what, and how it is given to a team
    unit: str  # "count", "percent" or "average"
    compute: Callable[[Period], Figures]
    average_of: str = ""  # for unit "average": what the value is, for example "days"


def value(indicator: Indicator, figure: Figure) -> float | None:
    """The number to chart: the count, the percentage, or the average; None when there is nothing to divide by."""
    if indicator.unit == "count":
        return float(figure.numerator)
    if not figure.denominator:
        return None
    if indicator.unit == "percent":
        return round(100 * figure.numerator / figure.denominator, 1)
    return round(figure.numerator / figure.denominator, 1)


def counts_by_team(queryset: QuerySet, team_field: str, *, distinct_field: str = "pk") -> dict[int | None, int]:
    """Distinct `distinct_field` counted per team (one query), with the city's total under CITY (one more)."""
    counts = {
        row[team_field]: row["n"]
        for row in queryset.order_by().values(team_field).annotate(n=Count(distinct_field, distinct=True))
        if row[team_field] is not None
    }
    counts[CITY] = queryset.order_by().aggregate(n=Count(distinct_field, distinct=True))["n"]
    return counts


def _g_contacts_for_local_area_teams(period: Period) -> Figures:
    from referrals.models import MashDecision

    decisions = MashDecision.objects.filter(
        decided_at__gte=period.start_at, decided_at__lt=period.end_at, outcome=MashDecision.Outcome.TARGETED
    )
    return {team: Figure(numerator=n) for team, n in counts_by_team(decisions, "local_area_team").items()}


INDICATORS: dict[str, Indicator] = {
    indicator.code: indicator
    for indicator in (
        Indicator(
            "g",
            "Contacts requesting a service from a Local Area Team",
            "Contacts the MASH decided in the month with the outcome targeted early help, given to the Local Area "
            "Team the MASH passed them to.",
            "count",
            _g_contacts_for_local_area_teams,
        ),
    )
}


def compute(period: Period, codes: list[str] | None = None) -> dict[str, Figures]:
    """Every indicator's figures (or those in `codes`) for `period`, per team and city-wide."""
    return {code: indicator.compute(period) for code, indicator in INDICATORS.items() if codes is None or code in codes}
