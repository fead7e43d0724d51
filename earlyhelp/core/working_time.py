"""Working-time arithmetic for MASH decision clocks.

Working time is settings.WORKING_DAY_START to settings.WORKING_DAY_END, local time, on weekdays that
are not England and Wales bank holidays. Sums are done in local wall-clock time so 09:00 stays 09:00
across the BST/GMT changes.
"""

import functools
import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from govuk_bank_holidays.bank_holidays import BankHolidays

UNRATED_RAG = "amber"


@functools.cache
def _bank_holidays() -> frozenset[date]:
    """England and Wales bank holidays from the package's bundled data, never the network."""
    holidays = BankHolidays(use_cached_holidays=True).get_holidays(division=BankHolidays.ENGLAND_AND_WALES)
    return frozenset(holiday["date"] for holiday in holidays)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday (beyond the bundled years, only weekends)."""
    return day.weekday() < 5 and day not in _bank_holidays()


def working_day_on_or_after(day: date) -> date:
    """`day` if it is a working day, else the next working day."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_day_on_or_before(day: date) -> date:
    """`day` if it is a working day, else the last working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_days_after(day: date, count: int) -> date:
    """The date `count` working days after `day` (weekends and bank holidays skipped); `day` itself when 0."""
    if count < 0:
        raise ValueError(f"Working days to add must be zero or more, not {count!r}.")
    while count:
        day = working_day_on_or_after(day + timedelta(days=1))
        count -= 1
    return day


def _local(moment: datetime) -> datetime:
    # Naive local wall-clock time: the working day is defined on the clock, not in elapsed seconds.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Working time needs an aware datetime.")
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(tzinfo=None)


def _aware(local: datetime) -> datetime:
    return local.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))


def _working_day_bounds(day: date) -> tuple[datetime, datetime]:
    return datetime.combine(day, settings.WORKING_DAY_START), datetime.combine(day, settings.WORKING_DAY_END)


def _next_working_start(day: date) -> datetime:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, settings.WORKING_DAY_START)


def _clock_start(local: datetime) -> datetime:
    """The local moment the clock starts: `local` itself in hours, else the next working day's start."""
    day_start, day_end = _working_day_bounds(local.date())
    if not is_working_day(local.date()) or local >= day_end:
        return _next_working_start(local.date())
    return max(local, day_start)


def working_time_add(*, start: datetime, hours: float) -> datetime:
    """The aware local datetime `hours` working hours after `start`; an allowance ending at close ends then."""
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"Working hours to add must be zero or more, not {hours!r}.")
    cursor = _clock_start(_local(start))
    remaining = timedelta(hours=hours)
    while True:
        day_end = _working_day_bounds(cursor.date())[1]
        if remaining <= day_end - cursor:
            return _aware(cursor + remaining)
        remaining -= day_end - cursor
        cursor = _next_working_start(cursor.date())


def working_hours_between(*, start: datetime, end: datetime) -> float:
    """Working hours from `start` to `end`; negative when `end` is earlier (time overdue)."""
    if end < start:
        return -working_hours_between(start=end, end=start)
    local_start, local_end = _local(start), _local(end)
    total = timedelta()
    day = local_start.date()
    while day <= local_end.date():
        if is_working_day(day):
            day_start, day_end = _working_day_bounds(day)
            total += max(timedelta(), min(local_end, day_end) - max(local_start, day_start))
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def decision_due(*, received_at: datetime, rag: str) -> datetime:
    """When the MASH decision on a contact received at `received_at` is due; unrated contacts count as amber."""
    try:
        hours = settings.MASH_DECISION_HOURS[rag or UNRATED_RAG]
    except KeyError:
        raise ValueError(f"No MASH decision allowance for RAG rating {rag!r}.") from None
    return working_time_add(start=received_at, hours=hours)


def _duration_text(minutes: int) -> str:
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def hours_left_label(hours: float) -> str:
    """Short text for the inbox clock, to the minute: "3 hours 30 minutes left", "Due now", "Overdue by 1 hour"."""
    minutes = round(hours * 60)
    if minutes == 0:
        return "Due now"
    if minutes > 0:
        return f"{_duration_text(minutes)} left"
    return f"Overdue by {_duration_text(-minutes)}"


def bank_holidays_known_until() -> date:
    """The last bank holiday in the bundled data: after it, only weekends are non-working days."""
    return max(_bank_holidays())


def check_bank_holiday_data(app_configs=None, **kwargs) -> list:
    """A system check: warn when the bundled bank holidays run out within a year, so clocks stay right."""
    from django.core.checks import Warning
    from django.utils import timezone

    last = bank_holidays_known_until()
    if last >= timezone.localdate() + timedelta(days=365):
        return []
    return [
        Warning(
            f"England and Wales bank holidays are known only until {last:%d %B %Y}.",
            hint="Upgrade govuk-bank-holidays (and constraints.txt) so MASH decision clocks skip the new ones.",
            id="core.W001",
        )
    ]
