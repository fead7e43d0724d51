"""Working-time arithmetic for MASH decision clocks: weekends, bank holidays, out-of-hours and clock changes."""

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import requests
from django.conf import settings as django_settings
from govuk_bank_holidays import bank_holidays as bank_holidays_module
from govuk_bank_holidays.bank_holidays import BankHolidays
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from earlyhelp.core import working_time
from earlyhelp.core.working_time import (
    decision_due,
    hours_left_label,
    is_working_day,
    working_day_on_or_after,
    working_day_on_or_before,
    working_days_after,
    working_hours_between,
    working_time_add,
)

LONDON = ZoneInfo("Europe/London")
WORKING_TIME_VARIABLES = {
    "WORKING_DAY_START",
    "WORKING_DAY_END",
    "MASH_RED_HOURS",
    "MASH_AMBER_HOURS",
    "MASH_GREEN_HOURS",
}


@pytest.fixture(autouse=True)
def _documented_working_time(settings):
    """The documented defaults, whatever a developer's .env says, so expected times can be written down."""
    settings.WORKING_DAY_START = time(9)
    settings.WORKING_DAY_END = time(17)
    settings.MASH_DECISION_HOURS = {"red": 4.0, "amber": 8.0, "green": 24.0}


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def package_holidays() -> BankHolidays:
    return BankHolidays(use_cached_holidays=True)


# --- is_working_day ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 9), True),  # Monday
        (date(2026, 3, 13), True),  # Friday
        (date(2026, 3, 14), False),  # Saturday
        (date(2026, 3, 15), False),  # Sunday
        (date(2026, 4, 3), False),  # Good Friday
        (date(2026, 4, 6), False),  # Easter Monday
        (date(2026, 12, 25), False),  # Christmas Day, a Friday
        (date(2026, 12, 28), False),  # Boxing Day substitute, a Monday
        (date(2022, 9, 19), False),  # one-off: the Queen's funeral
        (date(2023, 5, 8), False),  # one-off: the King's coronation
    ],
)
def test_is_working_day_skips_weekends_and_bank_holidays(day, expected):
    assert is_working_day(day) is expected


def test_is_working_day_agrees_with_the_package_on_christmas_2026(package_holidays):
    division = BankHolidays.ENGLAND_AND_WALES
    assert package_holidays.is_holiday(date(2026, 12, 25), division=division)
    assert package_holidays.is_holiday(date(2026, 12, 28), division=division)
    assert not package_holidays.is_holiday(date(2026, 12, 26), division=division)  # a Saturday, so substituted


def test_is_working_day_beyond_bundled_years_skips_only_weekends():
    # The bundled data stops at a known year; after it Christmas is not known, but weekends still are.
    assert is_working_day(date(2040, 12, 25))  # a Tuesday
    assert not is_working_day(date(2040, 12, 29))  # a Saturday


@pytest.mark.parametrize(
    ("day", "after", "before"),
    [
        (date(2026, 3, 11), date(2026, 3, 11), date(2026, 3, 11)),  # a working Wednesday stays
        (date(2026, 3, 14), date(2026, 3, 16), date(2026, 3, 13)),  # Saturday: Monday after, Friday before
        (date(2026, 4, 3), date(2026, 4, 7), date(2026, 4, 2)),  # Good Friday to Easter Monday
        (date(2026, 12, 25), date(2026, 12, 29), date(2026, 12, 24)),  # Christmas and the Boxing Day substitute
        (date(2023, 5, 8), date(2023, 5, 9), date(2023, 5, 5)),  # the King's coronation, a Monday
    ],
)
def test_working_day_on_or_after_and_before_skip_weekends_and_bank_holidays(day, after, before):
    assert working_day_on_or_after(day) == after
    assert working_day_on_or_before(day) == before


@pytest.mark.parametrize(
    ("day", "count", "expected"),
    [
        (date(2026, 3, 14), 0, date(2026, 3, 14)),  # nothing to add: the day itself, even a Saturday
        (date(2026, 3, 11), 2, date(2026, 3, 13)),  # Wednesday + 2: Friday
        (date(2026, 3, 13), 1, date(2026, 3, 16)),  # Friday + 1: Monday
        (date(2026, 3, 14), 1, date(2026, 3, 16)),  # Saturday + 1: Monday
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # Thursday before Easter + 1: the Tuesday after Easter Monday
        (date(2026, 12, 22), 3, date(2026, 12, 29)),  # Tuesday + 3: over Christmas Day and the Boxing Day substitute
        (date(2026, 5, 1), 1, date(2026, 5, 5)),  # over the early May bank holiday
    ],
)
def test_working_days_after_counts_only_working_days(day, count, expected):
    assert working_days_after(day, count) == expected


def test_working_days_after_refuses_a_negative_count():
    with pytest.raises(ValueError, match="zero or more"):
        working_days_after(date(2026, 3, 11), -1)


def test_is_working_day_reads_bundled_data_never_the_network(monkeypatch):
    loads = []
    original = BankHolidays.load_backup_data.__func__

    def refuse(*args, **kwargs):
        raise AssertionError("bank holidays must not be downloaded")

    def counting_load(cls):
        loads.append(cls)
        return original(cls)

    monkeypatch.setattr(bank_holidays_module.requests, "get", refuse)
    monkeypatch.setattr(requests.Session, "request", refuse)
    monkeypatch.setattr(BankHolidays, "load_backup_data", classmethod(counting_load))
    working_time._bank_holidays.cache_clear()
    try:
        assert not is_working_day(date(2026, 12, 25))
        assert is_working_day(date(2026, 12, 24))
    finally:
        working_time._bank_holidays.cache_clear()
    assert len(loads) == 1  # once per process, not per call


# --- working_time_add -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        pytest.param(at(2026, 3, 13, 15), 4, at(2026, 3, 16, 11), id="friday-across-weekend"),
        pytest.param(at(2026, 12, 24, 15), 4, at(2026, 12, 29, 11), id="christmas-and-boxing-day-substitute"),
        pytest.param(at(2026, 4, 2, 15), 4, at(2026, 4, 7, 11), id="good-friday-to-easter-monday"),
        pytest.param(at(2026, 3, 10, 22, 30), 4, at(2026, 3, 11, 13), id="tuesday-evening-receipt"),
        pytest.param(at(2026, 3, 14, 11), 4, at(2026, 3, 16, 13), id="saturday-receipt"),
        pytest.param(at(2026, 4, 3, 10), 1, at(2026, 4, 7, 10), id="good-friday-receipt"),
        pytest.param(at(2026, 3, 11, 7, 45), 4, at(2026, 3, 11, 13), id="before-nine-receipt"),
        pytest.param(at(2026, 3, 9, 17), 1, at(2026, 3, 10, 10), id="receipt-at-close"),
        pytest.param(at(2026, 3, 9, 13), 4, at(2026, 3, 9, 17), id="ends-exactly-at-close"),
        pytest.param(at(2026, 3, 9, 9), 8, at(2026, 3, 9, 17), id="whole-day-ends-at-close"),
        pytest.param(at(2026, 3, 9, 10), 8, at(2026, 3, 10, 10), id="amber-one-working-day"),
        pytest.param(at(2026, 3, 9, 10), 24, at(2026, 3, 12, 10), id="green-three-working-days"),
        pytest.param(at(2026, 3, 11, 10), 24, at(2026, 3, 16, 10), id="green-across-weekend"),
        pytest.param(at(2026, 3, 9, 10, 15), 0, at(2026, 3, 9, 10, 15), id="nothing-to-add"),
        pytest.param(at(2026, 3, 9, 10), 1.5, at(2026, 3, 9, 11, 30), id="fractional-hours"),
    ],
)
def test_working_time_add_counts_only_working_hours(start, hours, expected):
    assert working_time_add(start=start, hours=hours) == expected


def test_working_time_add_returns_local_time_for_utc_input():
    # 08:00 UTC on 1 June is 09:00 BST, the start of the working day.
    due = working_time_add(start=datetime(2026, 6, 1, 8, tzinfo=UTC), hours=4)
    assert due == at(2026, 6, 1, 13)
    assert due.tzinfo == LONDON


@pytest.mark.parametrize(
    ("start", "hours", "expected", "utc_hour"),
    [
        pytest.param(at(2026, 3, 27, 15), 4, at(2026, 3, 30, 11), 10, id="friday-gmt-to-monday-bst"),
        pytest.param(at(2026, 3, 27, 10), 8, at(2026, 3, 30, 10), 9, id="amber-into-bst"),
        pytest.param(at(2026, 3, 29, 12), 1, at(2026, 3, 30, 10), 9, id="sunday-of-the-change-to-bst"),
        pytest.param(at(2026, 10, 23, 15), 4, at(2026, 10, 26, 11), 11, id="friday-bst-to-monday-gmt"),
        pytest.param(at(2026, 10, 23, 10), 8, at(2026, 10, 26, 10), 10, id="amber-into-gmt"),
    ],
)
def test_working_time_add_keeps_local_hours_across_clock_changes(start, hours, expected, utc_hour):
    due = working_time_add(start=start, hours=hours)
    assert due == expected
    assert (due.hour, due.astimezone(UTC).hour) == (expected.hour, utc_hour)


def test_working_time_add_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        working_time_add(start=datetime(2026, 3, 9, 10), hours=1)


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
def test_working_time_add_refuses_negative_or_endless_hours(hours):
    with pytest.raises(ValueError, match="zero or more"):
        working_time_add(start=at(2026, 3, 9, 10), hours=hours)


# --- working_hours_between ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(at(2026, 3, 9, 10), at(2026, 3, 9, 13, 30), 3.5, id="positive"),
        pytest.param(at(2026, 3, 9, 10), at(2026, 3, 9, 10), 0, id="zero"),
        pytest.param(at(2026, 3, 9, 13, 30), at(2026, 3, 9, 11), -2.5, id="overdue"),
        pytest.param(at(2026, 3, 13, 15), at(2026, 3, 16, 11), 4, id="across-weekend"),
        pytest.param(at(2026, 3, 16, 11), at(2026, 3, 13, 15), -4, id="overdue-across-weekend"),
        pytest.param(at(2026, 3, 9, 18), at(2026, 3, 10, 8), 0, id="overnight"),
        pytest.param(at(2026, 12, 24, 16), at(2026, 12, 29, 10), 2, id="across-christmas"),
        pytest.param(at(2026, 3, 27, 16), at(2026, 3, 30, 10), 2, id="across-bst-change"),
        pytest.param(at(2026, 10, 23, 16), at(2026, 10, 26, 10), 2, id="across-gmt-change"),
        pytest.param(at(2026, 3, 9, 9), at(2026, 3, 20, 17), 80, id="two-working-weeks"),
    ],
)
def test_working_hours_between_counts_only_working_hours(start, end, expected):
    assert working_hours_between(start=start, end=end) == pytest.approx(expected)


# --- decision_due -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rag", "expected"),
    [
        ("red", at(2026, 3, 9, 14)),
        ("amber", at(2026, 3, 10, 10)),
        ("green", at(2026, 3, 12, 10)),
        ("", at(2026, 3, 10, 10)),  # not yet rated: amber
    ],
)
def test_decision_due_uses_the_allowance_for_the_rag(rag, expected):
    assert decision_due(received_at=at(2026, 3, 9, 10), rag=rag) == expected


def test_decision_due_refuses_an_unknown_rag():
    with pytest.raises(ValueError, match="purple"):
        decision_due(received_at=at(2026, 3, 9, 10), rag="purple")


def test_decision_due_red_friday_afternoon_runs_to_monday():
    assert decision_due(received_at=at(2026, 3, 13, 15), rag="red") == at(2026, 3, 16, 11)


# --- hours_left_label ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "label"),
    [
        (3.5, "3 hours 30 minutes left"),
        (0.75, "45 minutes left"),
        (1, "1 hour left"),
        (1 + 1 / 60, "1 hour 1 minute left"),
        (1 / 60, "1 minute left"),
        (16, "16 hours left"),
        (2 + 29.6 / 60, "2 hours 30 minutes left"),
        (0, "Due now"),
        (0.004, "Due now"),
        (-0.004, "Due now"),
        (-0.5, "Overdue by 30 minutes"),
        (-1.25, "Overdue by 1 hour 15 minutes"),
        (-48, "Overdue by 48 hours"),
    ],
)
def test_hours_left_label_reads_to_the_minute(hours, label):
    assert hours_left_label(hours) == label


# --- settings -----------------------------------------------------------------------------------


def _settings_from_environment(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in WORKING_TIME_VARIABLES} | env
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.WORKING_DAY_START, s.WORKING_DAY_END, sorted(s.MASH_DECISION_HOURS.items()))"
    )
    environment["DJANGO_SETTINGS_MODULE"] = "earlyhelp.settings"
    return subprocess.run(
        [sys.executable, "-c", script], cwd=django_settings.BASE_DIR, env=environment, capture_output=True, text=True
    )


def test_settings_default_to_the_documented_working_day_and_allowances():
    result = _settings_from_environment(MASH_RED_HOURS="")  # empty, as copied from .env.example, means default
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "09:00:00 17:00:00 [('amber', 8.0), ('green', 24.0), ('red', 4.0)]"


def test_settings_scale_allowances_to_a_shorter_working_day():
    result = _settings_from_environment(WORKING_DAY_START="08:30", WORKING_DAY_END="16:00", MASH_RED_HOURS="2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "08:30:00 16:00:00 [('amber', 7.5), ('green', 22.5), ('red', 2.0)]"


@pytest.mark.parametrize(("start", "end"), [("09:00", "09:00"), ("17:00", "09:00"), ("9am", "17:00")])
def test_settings_refuse_a_working_day_that_is_not_a_span(start, end):
    result = _settings_from_environment(WORKING_DAY_START=start, WORKING_DAY_END=end)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "WORKING_DAY_" in result.stderr


def test_working_time_follows_working_day_settings(settings):
    settings.WORKING_DAY_START = time(10)
    settings.WORKING_DAY_END = time(14)
    assert working_time_add(start=at(2026, 3, 9, 12), hours=4) == at(2026, 3, 10, 12)
    assert working_time_add(start=at(2026, 3, 9, 9), hours=1) == at(2026, 3, 9, 11)
    assert working_hours_between(start=at(2026, 3, 9, 9), end=at(2026, 3, 9, 17)) == 4


def test_decision_due_follows_allowance_settings(settings):
    settings.WORKING_DAY_START = time(10)
    settings.WORKING_DAY_END = time(14)
    settings.MASH_DECISION_HOURS = {"red": 2, "amber": 4, "green": 12}
    received = at(2026, 3, 9, 10)
    assert decision_due(received_at=received, rag="red") == at(2026, 3, 9, 12)
    assert decision_due(received_at=received, rag="") == at(2026, 3, 9, 14)  # a whole short day, ending at close
    assert decision_due(received_at=received, rag="green") == at(2026, 3, 11, 14)


# --- properties ---------------------------------------------------------------------------------


@hypothesis_settings(
    max_examples=200,
    deadline=None,
    database=None,  # write nothing outside the test run (no .hypothesis directory)
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start=st.datetimes(
        min_value=datetime(2011, 1, 1),  # either side of the bundled bank holiday years
        max_value=datetime(2031, 12, 31),
        timezones=st.just(LONDON),
        allow_imaginary=False,
    ),
    hours=st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False),
)
def test_working_time_add_and_between_agree(start, hours):
    # Out-of-hours time counts for nothing, so this holds for any start, not only one in working hours.
    due = working_time_add(start=start, hours=hours)
    assert due >= start
    assert working_hours_between(start=start, end=due) == pytest.approx(hours, abs=1e-6)


def test_check_bank_holiday_data_warns_when_the_data_runs_out(monkeypatch):
    from earlyhelp.core import working_time

    monkeypatch.setattr(working_time, "bank_holidays_known_until", lambda: date(9999, 12, 28))
    assert working_time.check_bank_holiday_data() == []
    monkeypatch.setattr(working_time, "bank_holidays_known_until", lambda: date(2020, 12, 28))
    warnings = working_time.check_bank_holiday_data()
    assert [w.id for w in warnings] == ["core.W001"]
    assert "28 December 2020" in warnings[0].msg
