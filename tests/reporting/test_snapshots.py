"""Monthly indicator snapshots: a finished month's figures are stored for every team and the city, replaced (not
added to) when taken again, read back by the dashboard's series even after an old record changes, and rebuilt by
the command; the beat task snapshots the month before."""

from datetime import datetime, time, timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from referrals.models import MashDecision
from reporting.demo import seed_indicator_snapshots
from reporting.indicators import CITY, INDICATORS, Period
from reporting.models import IndicatorSnapshot
from reporting.snapshots import (
    SnapshotError,
    indicator_series,
    indicator_series_by_area,
    indicators_snapshot_month,
)
from reporting.tasks import indicators_snapshot_task
from tests.factories import ContactFactory, FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db


def decide(team, *, on, outcome=MashDecision.Outcome.TARGETED) -> MashDecision:
    """A contact about a family of `team` that the MASH decided at noon on day `on`."""
    contact = ContactFactory(family=FamilyFactory(local_area_team=team))
    return MashDecision.objects.create(
        contact=contact,
        level=3,
        outcome=outcome,
        rationale="Needs targeted help (test)",
        next_steps="The Local Area Team will be in touch",
        consent_basis=MashDecision.ConsentBasis.HELD,
        local_area_team=team,
        decided_by=UserFactory(),
        decided_at=timezone.make_aware(datetime.combine(on, time(12))),
    )


def last_month() -> Period:
    return Period.containing(timezone.localdate()).preceding()


def stored_g(period: Period, team=None) -> int:
    return IndicatorSnapshot.objects.get(month=period.start, code="g", local_area_team=team).numerator


def g_in(series, month: Period):
    (g,) = [one for one in series if one.indicator.code == "g"]
    return next(point for point in g.points if point.period == month)


@pytest.fixture
def decisions_last_month(lats):
    """Two contacts for Tang Hall and one for Hob Moor decided last month; one for Tang Hall the month before."""
    month = last_month()
    made = [decide(lats["tang-hall"], on=month.start + timedelta(days=d)) for d in (2, 9)]
    made.append(decide(lats["hob-moor"], on=month.start + timedelta(days=3)))
    decide(lats["tang-hall"], on=month.preceding().start + timedelta(days=5))
    return made


def test_indicators_snapshot_month_stores_every_indicator_for_every_team_and_the_city(lats, decisions_last_month):
    month = last_month()
    stored = indicators_snapshot_month(period=month)
    assert stored == len(INDICATORS) * (len(lats) + 1)
    assert IndicatorSnapshot.objects.filter(month=month.start).count() == stored
    assert stored_g(month, lats["tang-hall"]) == 2
    assert stored_g(month, lats["hob-moor"]) == 1
    assert stored_g(month, lats["clifton"]) == 0  # a team with nothing that month still has its row
    assert stored_g(month) == 3  # the city


def test_indicators_snapshot_month_twice_replaces_the_month(lats, decisions_last_month):
    month = last_month()
    first = indicators_snapshot_month(period=month)
    decide(lats["clifton"], on=month.start + timedelta(days=20))
    second = indicators_snapshot_month(period=month)
    assert first == second == IndicatorSnapshot.objects.filter(month=month.start).count()
    assert stored_g(month, lats["clifton"]) == 1
    assert stored_g(month) == 4


def test_indicators_snapshot_month_refuses_a_month_not_finished(lats):
    with pytest.raises(SnapshotError, match="has not finished yet"):
        indicators_snapshot_month(period=Period.containing(timezone.localdate()))
    assert not IndicatorSnapshot.objects.exists()


def test_indicator_series_keeps_a_snapshotted_month_when_an_old_record_changes(lats, decisions_last_month):
    month = last_month()
    indicators_snapshot_month(period=month)
    decisions_last_month[0].outcome = MashDecision.Outcome.NO_FURTHER_ACTION  # corrected after the month
    decisions_last_month[0].save()

    point = g_in(indicator_series(periods=month.last(12), team=lats["tang-hall"]), month)
    assert (point.figure.numerator, point.live) == (2, False)

    call_command("indicators_snapshot", month=f"{month.start:%Y-%m}")
    assert g_in(indicator_series(periods=month.last(12), team=lats["tang-hall"]), month).figure.numerator == 1


def test_indicator_series_computes_months_after_the_latest_snapshot_live(lats, decisions_last_month):
    month = last_month()
    indicators_snapshot_month(period=month.preceding())
    current = Period.containing(timezone.localdate())
    decide(lats["tang-hall"], on=timezone.localdate())
    series = indicator_series(periods=current.last(3), team=None)
    assert (g_in(series, month).figure.numerator, g_in(series, month).live) == (3, True)  # the job has not run yet
    assert (g_in(series, current).figure.numerator, g_in(series, current).live) == (1, True)
    assert (g_in(series, month.preceding()).figure.numerator, g_in(series, month.preceding()).live) == (1, False)


def test_indicator_series_shows_an_older_month_without_a_snapshot_as_not_recorded(lats, decisions_last_month):
    month = last_month()
    indicators_snapshot_month(period=month)
    point = g_in(indicator_series(periods=month.last(2), team=None), month.preceding())
    assert (point.figure, point.value, point.live) == (None, None, False)


def test_indicator_series_city_and_team_figures(lats, decisions_last_month):
    month = last_month()
    indicators_snapshot_month(period=month)
    assert g_in(indicator_series(periods=[month], team=None), month).value == 3
    assert g_in(indicator_series(periods=[month], team=lats["hob-moor"]), month).value == 1
    assert CITY is None


def test_indicator_series_from_snapshots_takes_the_same_queries_for_1_and_12_months(
    lats, decisions_last_month, django_assert_num_queries
):
    month = last_month()
    for one in month.last(12):
        indicators_snapshot_month(period=one)
    # The window's snapshots of the team (1) and the latest snapshot's month (1).
    with django_assert_num_queries(2):
        indicator_series(periods=[month], team=lats["tang-hall"])
    with django_assert_num_queries(2):
        indicator_series(periods=month.last(12), team=lats["tang-hall"])


# --- The monthly task and the command ---------------------------------------------------------------------------


def test_indicators_snapshot_task_snapshots_the_month_before_and_twice_is_the_same(lats, decisions_last_month):
    month = last_month()
    first = indicators_snapshot_task.delay().get()
    rows = list(IndicatorSnapshot.objects.values_list("month", "local_area_team", "code", "numerator"))
    second = indicators_snapshot_task.delay().get()
    assert first == second == len(INDICATORS) * (len(lats) + 1)
    assert list(IndicatorSnapshot.objects.values_list("month", "local_area_team", "code", "numerator")) == rows
    assert {row[0] for row in rows} == {month.start}
    assert stored_g(month) == 3


def test_indicators_snapshot_task_runs_on_the_first_of_each_month_at_three():
    entry = settings.CELERY_BEAT_SCHEDULE["snapshot-indicators-monthly"]
    assert entry["task"] == indicators_snapshot_task.name == "reporting.tasks.indicators_snapshot_task"
    assert entry["schedule"] == crontab(day_of_month=1, hour=3, minute=0)
    assert indicators_snapshot_task.max_retries == 5  # a failure is tried again
    assert SnapshotError in indicators_snapshot_task.dont_autoretry_for


def test_indicators_snapshot_command_months_rebuilds_the_last_finished_months(lats, decisions_last_month, capsys):
    call_command("indicators_snapshot", months=12)
    call_command("indicators_snapshot", months=12)
    months = set(IndicatorSnapshot.objects.values_list("month", flat=True))
    assert months == {period.start for period in last_month().last(12)}
    assert IndicatorSnapshot.objects.count() == 12 * len(INDICATORS) * (len(lats) + 1)
    assert stored_g(last_month().preceding(), lats["tang-hall"]) == 1
    assert f"{last_month()}: {len(INDICATORS) * 4} figures stored" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("October", "give a year and month, for example 2026-10"),
        ("2026-13", "give a year and month"),
        ("0000-01", "give a year from 2000 to "),
        ("1999-12", "give a year from 2000 to "),
        ("9999-12", "give a year from 2000 to "),
    ],
)
def test_indicators_snapshot_command_refuses_a_month_it_cannot_read(lats, month, message):
    with pytest.raises(CommandError, match=message):
        call_command("indicators_snapshot", month=month)
    assert not IndicatorSnapshot.objects.exists()


@pytest.mark.parametrize(
    ("month", "message"),
    [("0000-01", "give a year from 2000 to"), ("October", "give a year and month"), ("2026-1-1", "give a year")],
)
def test_indicators_snapshot_task_refuses_a_bad_month_without_retrying(lats, month, message):
    """A SnapshotError is in the task's dont_autoretry_for: a month that cannot be read is not tried five times."""
    with pytest.raises(SnapshotError) as refusal:
        indicators_snapshot_task.apply(kwargs={"month": month})
    assert type(refusal.value) in indicators_snapshot_task.dont_autoretry_for
    assert message in str(refusal.value)
    assert f"month {month!r}" in str(refusal.value)
    assert not IndicatorSnapshot.objects.exists()


def test_indicators_snapshot_task_takes_a_month(lats, decisions_last_month):
    month = last_month()
    assert indicators_snapshot_task.apply(kwargs={"month": f"{month.start:%Y-%m}"}).get() == len(INDICATORS) * 4
    assert stored_g(month) == 3


def test_indicator_series_by_area_gives_the_city_and_every_team_in_the_same_queries(
    lats, decisions_last_month, django_assert_num_queries
):
    month = last_month()
    indicators_snapshot_month(period=month)
    teams = list(lats.values())
    with django_assert_num_queries(2):
        by_area = indicator_series_by_area(periods=month.last(12), teams=teams)
    assert set(by_area) == {CITY, *(team.pk for team in teams)}
    assert g_in(by_area[CITY], month).figure.numerator == 3
    assert g_in(by_area[lats["tang-hall"].pk], month).figure.numerator == 2
    assert g_in(by_area[lats["hob-moor"].pk], month).figure.numerator == 1
    assert g_in(by_area[lats["clifton"].pk], month).figure.numerator == 0
    assert g_in(by_area[CITY], month.preceding()).figure is None  # no snapshot: not recorded


def test_indicators_snapshot_command_refuses_the_current_month(lats):
    current = Period.containing(timezone.localdate())
    with pytest.raises(CommandError, match="has not finished yet"):
        call_command("indicators_snapshot", month=f"{current.start:%Y-%m}")
    assert not IndicatorSnapshot.objects.exists()


def test_seed_indicator_snapshots_stores_the_twelve_finished_months(lats, decisions_last_month):
    summary = seed_indicator_snapshots(today=timezone.localdate())
    months = last_month().last(12)
    assert summary == (f"Indicator snapshots: {12 * len(INDICATORS) * 4} figures for {months[0]} to {months[-1]}")
    assert set(IndicatorSnapshot.objects.values_list("month", flat=True)) == {period.start for period in months}
