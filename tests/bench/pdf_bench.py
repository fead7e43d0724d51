"""PDF benchmark (not a test): render time and peak memory of the documents workers render, against their targets.

    make bench                              # or: .venv/bin/python -m tests.bench.pdf_bench [--runs 5]

Each case runs in a fresh Python process, so the first (cold) render pays for importing WeasyPrint and loading
fonts as a new worker would, and the process's peak resident memory (ru_maxrss) belongs to that case alone. The
process makes synthetic data inside a transaction it rolls back, renders the document as a worker does (the kind's
record selector, its template, WeasyPrint), once cold and then --runs times warm, and reports the median warm time,
the cold time, the peak memory and its increase over the process just before the first render. The database is the
configured one (SQLite by default, PostgreSQL with DATABASE_URL); it must be migrated. Nothing is left in it, but it
refuses to run with DJANGO_ENV=production all the same.

To add a case, write a builder (returns the user who asks and the record's uuid) and add it to CASES.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MB = 1024 * 1024


@dataclass(frozen=True)
class Case:
    name: str  # --case NAME
    title: str  # in the table
    kind: str  # a slug of documents.kinds.KINDS
    build: Callable  # () -> (user, uuid), called inside the rolled-back transaction
    max_seconds: float | None = None  # median warm render
    max_mb: float | None = None  # peak resident memory of the process


# --- Synthetic data ----------------------------------------------------------------------------------------------


def _worker_and_family():
    """A child and family support worker in a Local Area Team made for the run, and a family of that team."""
    from earlyhelp.core import perms
    from locality.models import Agency
    from locality.services import membership_add
    from tests.factories import (
        AgencyFactory,
        FamilyFactory,
        FamilyMemberFactory,
        LocalAreaTeamFactory,
        PersonFactory,
        TeamFactory,
        UserFactory,
    )

    lat = LocalAreaTeamFactory(slug="bench-pdf-lat", name="Benchmark Local Area Team")
    council = AgencyFactory(name="Benchmark Council", type=Agency.Type.LOCAL_AUTHORITY)
    worker = UserFactory(full_name="Bea Benchmark", agency=council, email="bea.bench@example.org")
    membership_add(
        user=worker, team=TeamFactory(agency=council, name="Benchmark team", local_area_team=lat), role=perms.CFS_WORKER
    )
    family = FamilyFactory(reference="EH-BENCH0001", name="Benchmark", local_area_team=lat)
    people = [PersonFactory(first_name=first, last_name="Benchmark") for first in ("Ash", "Birch", "Cedar", "Dale")]
    for person in people:
        FamilyMemberFactory(family=family, person=person)
    return worker, family, people


def build_plan(goals: int = 10, scores_per_goal: int = 4, actions_per_goal: int = 3):
    """An agreed plan with `goals` goals, each scaled `scores_per_goal` times with `actions_per_goal` actions, and
    three TAF members."""
    from cases.models import FamilyPlan, TafMeeting
    from tests.factories import (
        ActionFactory,
        AllocatedEpisodeFactory,
        FamilyPlanFactory,
        GoalFactory,
        GoalScoreFactory,
        TafMeetingFactory,
        TafMemberFactory,
        UserFactory,
    )

    worker, family, people = _worker_and_family()
    start = date.today() - timedelta(days=120)
    episode = AllocatedEpisodeFactory(family=family, lead_practitioner=worker, next_review_due=date.today())
    for role in ("Class teacher", "Health visitor", "Housing officer"):
        member = UserFactory(full_name=f"{role} Benchmark", email=f"{role.replace(' ', '.').lower()}.bench@example.org")
        TafMemberFactory(episode=episode, user=member, role=role, invited_by=worker)
    meetings = [
        TafMeetingFactory(episode=episode, status=TafMeeting.Status.HELD, held_on=start + timedelta(days=30 * n))
        for n in range(scores_per_goal)
    ]
    plan = FamilyPlanFactory(
        episode=episode, created_by=worker, status=FamilyPlan.Status.AGREED, agreed_on=start, agreed_by=worker
    )
    for n in range(goals):
        goal = GoalFactory(
            plan=plan,
            person=people[n % len(people)] if n % 3 else None,
            text=f"Goal {n + 1}: the children are at school by 8:50 every day for six weeks running " * 2,
            baseline=2,
            target=8,
            latest=2 + scores_per_goal - 1,
            position=n,
        )
        for s, meeting in enumerate(meetings):
            GoalScoreFactory(
                goal=goal,
                score=2 + s,
                scored_on=meeting.held_on,
                meeting=meeting,
                comment="Better mornings this month",
                recorded_by=worker,
            )
        for a in range(actions_per_goal):
            ActionFactory(
                plan=plan,
                goal=goal,
                what=f"Action {a + 1} for goal {n + 1}: agree and keep a routine chart",
                owner_user=worker,
                due_on=start + timedelta(days=14 * (a + 1)),
            )
    return worker, plan.uuid


def build_chronology(entries: int = 100):
    """A family whose chronology has exactly `entries` entries: an episode with an agreed plan and meetings held,
    topped up with significant case notes about the family's members."""
    from cases.models import CaseNote, FamilyPlan, TafMeeting
    from cases.selectors.chronology import chronology_for
    from tests.factories import AllocatedEpisodeFactory, CaseNoteFactory, FamilyPlanFactory, TafMeetingFactory

    worker, family, people = _worker_and_family()
    start = date.today() - timedelta(days=400)
    episode = AllocatedEpisodeFactory(family=family, lead_practitioner=worker)
    FamilyPlanFactory(
        episode=episode, created_by=worker, status=FamilyPlan.Status.AGREED, agreed_on=start, agreed_by=worker
    )
    for n in range(4):
        TafMeetingFactory(episode=episode, status=TafMeeting.Status.HELD, held_on=start + timedelta(days=42 * n))
    have = len(chronology_for(user=worker, family=family))
    kinds = [CaseNote.Kind.HOME_VISIT, *(k for k in CaseNote.Kind if k != CaseNote.Kind.HOME_VISIT)]
    for n in range(entries - have):
        note = CaseNoteFactory(
            family=family,
            episode=episode,
            kind=kinds[n % len(kinds)],
            happened_on=start + timedelta(days=3 * n),
            significant=True,
            author=worker,
            text=f"Event {n + 1}: visited the family at home; the children were settled and the routine chart is "
            "on the fridge. Agreed what happens next with the parent and the school.",
        )
        note.people.set(people[n % len(people) : n % len(people) + 1])
    made = len(chronology_for(user=worker, family=family))
    if made != entries:
        raise RuntimeError(f"The benchmark chronology has {made} entries, not {entries}")
    return worker, family.uuid


CASES = {
    case.name: case
    for case in (
        Case("plan", "Family plan, 10 goals", "plan", build_plan, max_seconds=2.0, max_mb=300),
        Case("chronology", "Chronology, 100 entries", "chronology", build_chronology),
    )
}


# --- Measuring (in the child process) ----------------------------------------------------------------------------


def _peak_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports kilobytes, macOS bytes


class _RollBack(Exception):
    pass


def measure(name: str, runs: int) -> dict:
    """Build the case's data, render it cold and `runs` times warm, roll everything back."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from documents.kinds import KINDS
    from documents.services import document_html
    from earlyhelp.audit.context import acting_as
    from earlyhelp.core.pdf import html_to_pdf

    case = CASES[name]
    if "documents_documentrequest" not in connection.introspection.table_names():
        sys.exit("The database has no documents tables: run make migrate first (make bench does)")
    spec = KINDS.get(case.kind)
    if spec is None:
        return {"name": name, "skipped": f"there is no {case.kind!r} kind of document yet"}
    result: dict = {"name": name}
    try:
        with transaction.atomic():
            user, uuid = case.build()
            with acting_as(user):

                def render() -> dict:
                    started, started_cpu = time.perf_counter(), time.process_time()
                    with CaptureQueriesContext(connection) as queries:
                        record = spec.record(user=user, uuid=uuid)
                        html = document_html(spec=spec, user=user, record=record)
                    html_seconds = time.perf_counter() - started
                    pdf = html_to_pdf(html)
                    return {
                        "seconds": time.perf_counter() - started,
                        "cpu": time.process_time() - started_cpu,
                        "html": html_seconds,
                        "pages": pdf.page_count,
                        "queries": len(queries),
                    }

                baseline = _peak_bytes()
                cold = render()
                warm = [render() for _ in range(runs)]
            result |= {
                "cold": cold["seconds"],
                "median": statistics.median(run["seconds"] for run in warm),
                "cpu": statistics.median(run["cpu"] for run in warm),
                "html": statistics.median(run["html"] for run in warm),
                "pages": cold["pages"],
                "queries": cold["queries"],
                "peak": _peak_bytes(),
                "increase": _peak_bytes() - baseline,
            }
            raise _RollBack
    except _RollBack:
        pass
    return result


# --- Reporting (in the parent process) ---------------------------------------------------------------------------


def _refuse_production() -> None:
    if os.environ.get("DJANGO_ENV", "").lower() == "production":
        sys.exit(
            "make bench writes synthetic data (rolled back) to the configured database: not with DJANGO_ENV=production"
        )


COLUMNS = ["Document", "Pages", "Queries", "Median", "CPU", "Template", "Cold", "Peak RSS", "Rendering", "Target"]
LEGEND = """Median: wall time of the warm renders (record, template and WeasyPrint), CPU: their CPU time, Template: the
record and template part alone, Cold: the first render in a fresh process. Peak RSS: the process's ru_maxrss;
Rendering: its increase over the process just before the first render."""


def _row(case: Case, result: dict) -> tuple[list[str], list[str]]:
    """The table row of one result and the targets it misses."""
    if "skipped" in result:
        return [case.title, *["-"] * (len(COLUMNS) - 2), f"not measured: {result['skipped']}"], []
    peak_mb = result["peak"] / MB
    targets, missed = [], []
    if case.max_seconds is not None:
        targets.append(f"< {case.max_seconds:g} s")
        if result["median"] > case.max_seconds:
            missed.append(f"{case.title}: median {result['median']:.2f} s, over {case.max_seconds:g} s")
    if case.max_mb is not None:
        targets.append(f"< {case.max_mb:g} MB")
        if peak_mb > case.max_mb:
            missed.append(f"{case.title}: peak {peak_mb:.0f} MB, over {case.max_mb:g} MB")
    verdict = f"{' and '.join(targets)}: {'MISSED' if missed else 'met'}" if targets else "none set"
    return [
        case.title,
        str(result["pages"]),
        str(result["queries"]),
        f"{result['median']:.2f} s",
        f"{result['cpu']:.2f} s",
        f"{result['html']:.2f} s",
        f"{result['cold']:.2f} s",
        f"{peak_mb:.0f} MB",
        f"+{result['increase'] / MB:.0f} MB",
        verdict,
    ], missed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="warm renders after the cold one (default 5)")
    parser.add_argument("--case", choices=list(CASES), action="append", help="only this case (repeatable)")
    parser.add_argument("--measure", choices=list(CASES), help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    _refuse_production()

    if args.measure:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlyhelp.settings")
        import django

        django.setup()
        from django.conf import settings

        if settings.ENVIRONMENT == "production":
            sys.exit("Refusing to run against a production configuration")
        print(json.dumps(measure(args.measure, args.runs)))
        return 0

    rows, missed = [COLUMNS], []
    for name in args.case or list(CASES):
        child = subprocess.run(
            [sys.executable, "-m", "tests.bench.pdf_bench", "--measure", name, "--runs", str(args.runs)],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            sys.stderr.write(child.stderr)
            return child.returncode or 1
        row, case_missed = _row(CASES[name], json.loads(child.stdout.strip().splitlines()[-1]))
        rows.append(row)
        missed += case_missed
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"{args.runs} warm renders each. {LEGEND}".replace("\n", " "))
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"The load average is {load:.1f} on {os.cpu_count()} CPUs: wall times include waiting for a CPU.")
    for line in missed:
        print(f"Target missed: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
