"""Indicators dashboard benchmark (not a test): a year of the dashboard from snapshots against its target, and the
queries of a live month's computation at two sizes of data, to show they do not grow with the records.

    make bench                              # or: .venv/bin/python -m tests.bench.dashboard_bench [--runs 5]

Everything it makes is synthetic and inside a transaction it rolls back: a performance analyst, a year of snapshots
for every Local Area Team and every indicator in the registry (replacing, inside the transaction, any the database
already holds), then families with contacts, MASH decisions, episodes, plans, goals, meetings, interventions,
assessments, case audits and training records in the current month. The dashboard for the last finished month
(twelve months read from the snapshots) is fetched through the Django test client, once cold and then --runs times,
for all of York and for one team; the median must be under one second. The live month's `compute()` is then run
over the seeded records at --small and at --large families: its query count must be the same at both sizes. The
database is the configured one (SQLite by default, PostgreSQL with DATABASE_URL); it must be migrated. Nothing is
left in it, but it refuses to run with DJANGO_ENV=production all the same.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta

MAX_SECONDS = 1.0  # the dashboard for a year, from snapshots (median)
TREND_MONTHS = 12


class _RollBack(Exception):
    pass


def _refuse_production() -> None:
    if os.environ.get("DJANGO_ENV", "").lower() == "production":
        sys.exit("The dashboard benchmark writes synthetic data (rolled back): not with DJANGO_ENV=production")


# --- Synthetic data ----------------------------------------------------------------------------------------------


def _teams():
    """The database's Local Area Teams, topped up with benchmark teams to York's three."""
    from locality.models import LocalAreaTeam
    from tests.factories import LocalAreaTeamFactory

    teams = list(LocalAreaTeam.objects.order_by("pk"))
    for number in range(len(teams), 3):
        teams.append(LocalAreaTeamFactory(slug=f"bench-lat-{number + 1}", name=f"Benchmark Local Area Team {number}"))
    return teams


def _analyst():
    from earlyhelp.core import perms
    from locality.models import Agency
    from locality.services import membership_add
    from tests.factories import AgencyFactory, TeamFactory, UserFactory

    council = AgencyFactory(name="Benchmark Council", type=Agency.Type.LOCAL_AUTHORITY)
    analyst = UserFactory(full_name="Ada Benchmark", agency=council, email="ada.bench@example.org")
    membership_add(
        user=analyst, team=TeamFactory(agency=council, name="Benchmark analysts"), role=perms.PERFORMANCE_ANALYST
    )
    return analyst


def _snapshots_for_a_year(teams, last_month) -> int:
    """A row for every indicator, every team and the city, every month of the year to `last_month`."""
    from django.utils import timezone

    from reporting.indicators import INDICATORS
    from reporting.models import IndicatorSnapshot

    months = [period.start for period in last_month.last(TREND_MONTHS)]
    IndicatorSnapshot.objects.filter(month__in=months).delete()
    now = timezone.now()
    rows = [
        IndicatorSnapshot(
            month=month,
            local_area_team=team,
            code=code,
            numerator=(7 * index + 3 * number) % 40,
            denominator=None if indicator.unit == "count" else 40,
            breakdown={},
            computed_at=now,
        )
        for index, month in enumerate(months)
        for number, team in enumerate([*teams, None])
        for code, indicator in INDICATORS.items()
    ]
    IndicatorSnapshot.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _families_this_month(teams, count: int, *, start: int) -> None:
    """`count` families, each with a piece of every kind of record the indicators read, dated this month."""
    from django.utils import timezone

    from cases.models import Episode, FamilyPlan, TafMeeting
    from referrals.models import MashDecision
    from reporting.models import CaseAudit, TrainingRecord
    from tests.factories import (
        AllocatedEpisodeFactory,
        AssessmentFactory,
        ContactFactory,
        FamilyFactory,
        FamilyPlanFactory,
        GoalFactory,
        GoalScoreFactory,
        InterventionFactory,
        TafMeetingFactory,
        TafMemberFactory,
        UserFactory,
    )

    now, today = timezone.now(), timezone.localdate()
    worker = UserFactory(full_name="Wyn Benchmark", email=f"wyn.bench{start}@example.org")
    for number in range(start, start + count):
        team = teams[number % len(teams)]
        family = FamilyFactory(reference=f"EH-B{number:07d}", name="Benchmark", local_area_team=team)
        contact = ContactFactory(family=family, referrer_user=worker, reference=f"MC-B{number:07d}")
        MashDecision.objects.create(
            contact=contact,
            level=3,
            outcome=[MashDecision.Outcome.TARGETED, MashDecision.Outcome.PARTNER_LED][number % 2],
            rationale="Benchmark",
            next_steps="Benchmark",
            consent_basis=MashDecision.ConsentBasis.HELD,
            local_area_team=team,
            decided_by=worker,
            decided_at=now - timedelta(minutes=number),
        )
        episode = AllocatedEpisodeFactory(
            family=family,
            lead_practitioner=worker,
            route=Episode.Route.MASH,
            pathway=[Episode.Pathway.TARGETED, Episode.Pathway.PARTNER_LED][number % 2],
        )
        plan = FamilyPlanFactory(
            episode=episode, created_by=worker, status=FamilyPlan.Status.AGREED, agreed_on=today, agreed_by=worker
        )
        goal = GoalFactory(plan=plan, baseline=3, latest=5)
        GoalScoreFactory(goal=goal, score=5, scored_on=today, recorded_by=worker)
        TafMemberFactory(episode=episode, user=worker, invited_by=worker)
        TafMeetingFactory(episode=episode, status=TafMeeting.Status.HELD, held_on=today, due_on=today)
        InterventionFactory(episode=episode, worker=worker, started_on=today - timedelta(weeks=8))
        AssessmentFactory(family=family, assessor=worker)
        CaseAudit.objects.create(
            kind=[CaseAudit.Kind.ASSESSMENT_PLAN, CaseAudit.Kind.DIRECT_WORK][number % 2],
            family=family,
            episode=episode,
            local_area_team=team,
            worker=worker,
            auditor=worker,
            audited_on=today,
            grade=CaseAudit.Grade.GOOD,
            comments="Benchmark",
        )
        TrainingRecord.objects.create(
            practitioner_name="Benchmark practitioner",
            practitioner_email=f"practitioner{number}.bench@example.org",
            local_area_team=team,
            course=list(TrainingRecord.Course)[number % len(TrainingRecord.Course)],
            completed_on=today,
            recorded_by=worker,
        )


# --- Measuring ---------------------------------------------------------------------------------------------------


def _time_page(client, url: str, params: dict, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def fetch() -> tuple[float, int]:
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params)
        if response.status_code != 200:
            raise RuntimeError(f"{url} {params} answered {response.status_code}")
        return time.perf_counter() - started, len(queries)

    cold, queries = fetch()
    warm = [fetch()[0] for _ in range(runs)]
    return {"cold": cold, "median": statistics.median(warm), "queries": queries}


def _live_compute(period) -> tuple[int, float, int]:
    """Queries and seconds of one live month's computation, and how many indicators counted something city-wide."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reporting.indicators import CITY, compute

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        figures = compute(period)
    seconds = time.perf_counter() - started
    return (
        len(queries),
        seconds,
        sum(1 for by_team in figures.values() if by_team.get(CITY) and by_team[CITY].numerator),
    )


def measure(*, runs: int, small: int, large: int) -> tuple[list[str], list[str]]:
    """The report's lines and the targets missed."""
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from earlyhelp.audit.context import acting_as
    from reporting.indicators import INDICATORS, Period
    from tests.auth import signed_in_client  # needs Django set up

    lines, missed = [], []
    current = Period.containing(timezone.localdate())
    last_month = current.preceding()
    try:
        with transaction.atomic():
            teams = _teams()
            analyst = _analyst()
            with acting_as(analyst):
                stored = _snapshots_for_a_year(teams, last_month)
            client = Client()
            signed_in_client(analyst, client)
            url = reverse("reporting:dashboard")
            lines.append(
                f"Snapshots: {stored} rows ({len(INDICATORS)} indicators, {len(teams)} teams and the city, "
                f"{TREND_MONTHS} months to {last_month})"
            )
            for label, params in (("all of York", {}), (teams[0].name, {"team": teams[0].slug})):
                result = _time_page(client, url, params, runs)
                verdict = "met" if result["median"] < MAX_SECONDS else "MISSED"
                lines.append(
                    f"Dashboard for a year, {label}: median {result['median'] * 1000:.0f} ms, cold "
                    f"{result['cold'] * 1000:.0f} ms, {result['queries']} queries; target < {MAX_SECONDS:g} s: "
                    f"{verdict}"
                )
                if verdict == "MISSED":
                    missed.append(f"dashboard for {label}: median {result['median']:.2f} s")
            sizes = {}
            for families, already in ((small, 0), (large, small)):
                with acting_as(analyst):  # the records' history names someone, as in the application
                    _families_this_month(teams, families - already, start=already)
                sizes[families] = _live_compute(current)
                queries, seconds, counting = sizes[families]
                lines.append(
                    f"Live month ({current}), {families} families seeded: compute() took {queries} queries, "
                    f"{seconds * 1000:.0f} ms; {counting} of {len(INDICATORS)} indicators counted something"
                )
            if sizes[small][0] != sizes[large][0]:
                missed.append(
                    f"live compute: {sizes[small][0]} queries at {small} families but {sizes[large][0]} at {large}"
                )
            else:
                lines.append(f"Live month queries bounded: the same at {small} and {large} families: met")
            raise _RollBack
    except _RollBack:
        pass
    return lines, missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="warm fetches of each page after the cold one")
    parser.add_argument("--small", type=int, default=15, help="families seeded for the first live count")
    parser.add_argument("--large", type=int, default=45, help="families seeded in all for the second")
    args = parser.parse_args()
    if not 0 < args.small < args.large:
        parser.error("--small must be above 0 and below --large")
    _refuse_production()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlyhelp.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if settings.ENVIRONMENT == "production":
        sys.exit("Refusing to run against a production configuration")
    if "reporting_indicatorsnapshot" not in connection.introspection.table_names():
        sys.exit("The database has no reporting tables: run make migrate first (make bench does)")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    lines, missed = measure(runs=args.runs, small=args.small, large=args.large)
    for line in lines:
        print(line)
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"The load average is {load:.1f} on {os.cpu_count()} CPUs: wall times include waiting for a CPU.")
    for line in missed:
        print(f"Target missed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
