"""Page benchmark (not a test): every key page, for the personas who use it, at a city's volume of data.

    make bench                                  # the reference volume: 50,000 families
    .venv/bin/python -m tests.bench.pages_bench --families 500 --runs 10    # small, as CI runs it

It seeds its own PostgreSQL database (BENCH_DATABASE_URL, by default `earlyhelp_bench` on 127.0.0.1) with
`seed_demo`: --families families (about 3.8 people each), 300 staff, 20 access events a family (1,000,000 for
50,000) and the casework, notes and history the demo makes; a later run with the same volume and migrations reuses
it (--fresh seeds again). Then, in this process, through the whole middleware stack with Django's test client, it
signs each persona in, warms each page up and requests it --runs times, and reports p50 and p95 wall time, the
SQL queries the page made (the same on every run, or the run fails) and the ratio of its p95 to the baseline's: a
page that does one indexed query and renders a one-line template, measured in the same run. PostgreSQL logs every
statement over 50 ms on the benchmark's database (log_min_duration_statement); the benchmark lists them too, and
runs EXPLAIN on each page's slowest statements to show sequential scans of big tables.

Targets (../shared/design/QUALITY.md): queries lists <= 12, detail <= 20, search <= 8; family list, family page,
MASH inbox and caseload p95 <= 3 x the baseline's; person search (name and date of birth) p95 <= 100 ms; no
statement over 50 ms. A name alone with a typo (name search) is measured against the query limit only. The run
exits non-zero when a target is missed; --no-time-targets (as CI runs it: its machine is busy with other work)
reports the times and checks the query counts only. Results go to a table and to --json.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date

from tests.bench import bench_db

SLOW_STATEMENT_MS = 50
QUERY_LIMITS = {"list": 12, "detail": 20, "search": 8, "write": 20, "baseline": 8}
RATIO_TARGET = 3.0  # p95 over the baseline's p95, for the pages QUALITY.md names
RATIO_PAGES = {"family list", "family page", "MASH inbox", "caseload"}
SEARCH_P95_MS = 100.0
BIG_TABLE_ROWS = 50_000  # a sequential scan of a table this big is reported
EXPLAINED_PER_PAGE = 2


@dataclass
class Page:
    name: str  # what QUALITY.md calls it
    persona: str  # the demo user's e-mail local part
    kind: str  # list, detail, search, write, baseline
    request: Callable  # (client) -> response, with the status checked by `expect`
    expect: int = 200


@dataclass
class Result:
    name: str
    persona: str
    kind: str
    p50_ms: float
    p95_ms: float
    queries: int
    query_limit: int
    ratio_p95: float | None = None
    slow_statements: list = field(default_factory=list)
    seq_scans: list = field(default_factory=list)


# --- The pages and the records they are asked about -------------------------------------------------------------


def _records(users: dict) -> dict:
    """The busiest records the personas can see: the family with the most notes among a worker's open cases, its
    current plan, and a person in it to search for."""
    from django.db.models import Count

    from cases.models import Episode, FamilyPlan
    from cases.selectors import families_visible_to

    worker = users["cfs.tang-hall"]
    visible = families_visible_to(worker)
    plan = (
        FamilyPlan.objects.exclude(status=FamilyPlan.Status.SUPERSEDED)
        .filter(episode__family__in=visible)
        .filter(episode__status__in=Episode.OPEN)
        .annotate(note_count=Count("episode__family__notes", distinct=True), goal_count=Count("goals", distinct=True))
        .order_by("-note_count", "-goal_count", "pk")
        .select_related("episode__family")
        .first()
    )
    if plan is None:
        raise SystemExit("No current plan in a family the Tang Hall worker sees: seed more families")
    family = plan.episode.family
    person = family.members.select_related("person").order_by("pk").first().person
    return {"plan": plan, "family": family, "person": person}


def _search(name: str, born: date | None) -> Callable:
    """Post a search (not timed: it only stores the criteria in the session), then time the results page."""
    from django.urls import reverse

    url = reverse("cases:search")
    data = {"name": name, "nhs_number": "", "postcode": ""}
    if born:
        data |= {"date_of_birth_0": born.day, "date_of_birth_1": born.month, "date_of_birth_2": born.year}

    def prepare(client) -> None:
        response = client.post(url, data)
        if response.status_code != 302:
            raise RuntimeError(f"search for {name!r} answered {response.status_code}")

    def request(client):
        return client.get(url, {"results": "1"})

    request.prepare = prepare
    return request


def _plan_save(plan) -> Callable:
    from django.urls import reverse

    from cases.models import FamilyPlan

    url = reverse("cases:plan_edit", args=[plan.uuid])

    version = {}

    def prepare(client) -> None:  # not timed or counted: the version the form would hold
        version["now"] = FamilyPlan.objects.values_list("lock_version", flat=True).get(pk=plan.pk)

    def request(client):
        return client.post(url, {"summary": f"Plan reviewed at {time.time():.0f}", "lock_version": version["now"]})

    request.prepare = prepare
    return request


def pages(users: dict, records: dict) -> list[Page]:
    from django.urls import reverse

    family, plan, person = records["family"], records["plan"], records["person"]
    typo = person.last_name[:-1] + person.last_name[-1].swapcase() + "e"  # one letter wrong, one extra

    def get(name: str, *args, query: dict | None = None) -> Callable:
        url = reverse(name, args=args)
        return lambda client: client.get(url, query or {})

    def post(name: str, *args) -> Callable:
        url = reverse(name, args=args)
        return lambda client: client.post(url)

    return [
        Page("baseline", "cfs.tang-hall", "baseline", get("bench_baseline", family.pk)),
        Page("family list", "cfs.tang-hall", "list", get("cases:family_list")),
        Page("family list", "manager.tang-hall", "list", get("cases:family_list")),
        Page("family list", "partner.school", "list", get("cases:family_list")),
        Page("family page", "cfs.tang-hall", "detail", get("cases:family_detail", family.uuid)),
        Page("family page", "manager.tang-hall", "detail", get("cases:family_detail", family.uuid)),
        Page("person search", "cfs.tang-hall", "search", _search(person.full_name, person.date_of_birth)),
        Page("name search", "cfs.tang-hall", "search", _search(f"{person.first_name} {typo}", None)),
        Page("person search", "mash.screener", "search", _search(person.full_name, person.date_of_birth)),
        Page("MASH inbox", "mash.screener", "list", get("referrals:inbox")),
        Page("MASH inbox", "mash.manager", "list", get("referrals:inbox")),
        Page("caseload", "cfs.tang-hall", "list", get("cases:caseload")),
        Page("caseload", "manager.tang-hall", "list", get("cases:team_caseload")),
        Page("chronology", "cfs.tang-hall", "detail", get("cases:chronology", family.uuid)),  # one family's
        Page("home", "cfs.tang-hall", "list", get("core:home")),
        Page("dashboard", "manager.tang-hall", "list", get("reporting:dashboard")),
        Page("dashboard", "analyst", "list", get("reporting:dashboard")),
        Page("saving a plan", "cfs.tang-hall", "write", _plan_save(plan), expect=302),
        Page("requesting a PDF", "cfs.tang-hall", "write", post("documents:plan_pdf", plan.uuid), expect=302),
    ]


# --- Measuring ---------------------------------------------------------------------------------------------------


def _explain(statements: list[dict]) -> list[str]:
    """Sequential scans of big tables in the plans of the slowest SELECTs of a page."""
    from django.db import connection

    found = []
    selects = [s for s in statements if s["sql"].lstrip().upper().startswith("SELECT") and "FOR UPDATE" not in s["sql"]]
    for statement in sorted(selects, key=lambda s: -float(s["time"]))[:EXPLAINED_PER_PAGE]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement["sql"])
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            for node in _nodes(plan[0]["Plan"]):
                if node.get("Node Type") != "Seq Scan":
                    continue
                cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [node["Relation Name"]])
                rows = cursor.fetchone()[0]
                if rows >= BIG_TABLE_ROWS:
                    found.append(f"Seq Scan on {node['Relation Name']} ({rows:,.0f} rows): {statement['sql'][:160]}")
    return found


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def measure(page: Page, client, *, runs: int, warmup: int, explain: bool) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    prepare = getattr(page.request, "prepare", None)
    times, counts, slow = [], set(), {}
    captured: list[dict] = []
    for run in range(warmup + runs):
        if prepare:
            prepare(client)
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = page.request(client)
            elapsed = time.perf_counter() - started
        if response.status_code != page.expect:
            raise RuntimeError(f"{page.name} as {page.persona} answered {response.status_code}, not {page.expect}")
        if run < warmup:
            continue
        times.append(elapsed * 1000)
        counts.add(len(queries))
        captured = queries.captured_queries
        for statement in captured:
            if float(statement["time"]) * 1000 > SLOW_STATEMENT_MS:
                slow[statement["sql"][:300]] = max(slow.get(statement["sql"][:300], 0), float(statement["time"]) * 1000)
    if len(counts) != 1:
        raise RuntimeError(f"{page.name} as {page.persona} made different numbers of queries: {sorted(counts)}")
    cuts = statistics.quantiles(times, n=20, method="inclusive")
    return Result(
        name=page.name,
        persona=page.persona,
        kind=page.kind,
        p50_ms=round(statistics.median(times), 1),
        p95_ms=round(cuts[18], 1),
        queries=counts.pop(),
        query_limit=QUERY_LIMITS[page.kind],
        slow_statements=[{"ms": round(ms, 1), "sql": sql} for sql, ms in slow.items()],
        seq_scans=_explain(captured) if explain else [],
    )


def missed_targets(results: list[Result], *, times: bool) -> list[str]:
    missed = []
    for r in results:
        label = f"{r.name} ({r.persona})"
        if r.queries > r.query_limit:
            missed.append(f"{label}: {r.queries} queries, limit {r.query_limit}")
        if not times:
            continue
        for statement in r.slow_statements:
            missed.append(f"{label}: a statement took {statement['ms']} ms (> {SLOW_STATEMENT_MS}): {statement['sql']}")
        if r.name in RATIO_PAGES and r.ratio_p95 is not None and r.ratio_p95 > RATIO_TARGET:
            missed.append(f"{label}: p95 {r.ratio_p95:.1f} x the baseline's, target <= {RATIO_TARGET:g}")
        if r.name == "person search" and r.p95_ms > SEARCH_P95_MS:
            missed.append(f"{label}: p95 {r.p95_ms} ms, target <= {SEARCH_P95_MS:g} ms")
    return missed


def table(results: list[Result]) -> str:
    lines = [
        f"{'page':<18} {'persona':<18} {'p50 ms':>8} {'p95 ms':>8} {'x base':>7} {'queries':>8}",
        "-" * 72,
    ]
    for r in results:
        ratio = f"{r.ratio_p95:.1f}" if r.ratio_p95 is not None else "-"
        queries = f"{r.queries}/{r.query_limit}"
        lines.append(f"{r.name:<18} {r.persona:<18} {r.p50_ms:>8.1f} {r.p95_ms:>8.1f} {ratio:>7} {queries:>8}")
    return "\n".join(lines)


def run(*, runs: int, warmup: int, explain: bool) -> list[Result]:
    from django.conf import settings
    from django.urls import clear_url_caches

    from earlyhelp.accounts.models import User
    from tests.auth import signed_in_client

    settings.ROOT_URLCONF = "tests.bench.urls"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    clear_url_caches()
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith="@example.org")}
    records = _records(users)
    clients = {}
    results = []
    for page in pages(users, records):
        if page.persona not in clients:
            clients[page.persona] = signed_in_client(users[page.persona])
        results.append(measure(page, clients[page.persona], runs=runs, warmup=warmup, explain=explain))
    baseline = results[0].p95_ms
    for result in results[1:]:
        result.ratio_p95 = round(result.p95_ms / baseline, 2) if baseline else None
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--families", type=int, default=50_000, help="families seeded (default: the reference volume)")
    parser.add_argument("--seed", type=int, default=2026, help="seed_demo's --seed: the same data every time")
    parser.add_argument("--runs", type=int, default=30, help="timed requests of each page, after the warm-up")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests of each page first")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", bench_db.DEFAULT_URL))
    parser.add_argument("--fresh", action="store_true", help="seed again even if the database holds this volume")
    parser.add_argument(
        "--no-seed", dest="seed_it", action="store_false", help="measure the database as it is (migrated, seeded)"
    )
    parser.add_argument("--json", default="bench-results.json", help="where to write the results")
    parser.add_argument("--no-time-targets", dest="time_targets", action="store_false", help="report times only")
    parser.add_argument("--no-explain", dest="explain", action="store_false", help="skip EXPLAIN of slow queries")
    args = parser.parse_args()
    if os.environ.get("DJANGO_ENV", "").lower() == "production":
        sys.exit("The page benchmark seeds demo data with a published password: never with DJANGO_ENV=production")
    if args.runs < 2:
        parser.error("--runs must be at least 2")
    started = time.perf_counter()
    say = lambda line: print(line, flush=True)  # noqa: E731
    volume = bench_db.Volume(families=args.families, seed=args.seed)
    if args.seed_it:
        seeding = bench_db.prepare(url=args.database_url, volume=volume, fresh=args.fresh, say=say)
    else:
        seeding = {"database": bench_db.database_name(args.database_url), "seeded": False, "seconds": 0.0}
    bench_db.log_slow_statements(url=args.database_url, milliseconds=SLOW_STATEMENT_MS)
    counts = bench_db.volume_counts(args.database_url)
    say("Volume: " + ", ".join(f"{count:,} {label}" for label, count in counts.items()))

    # This process's Django: the benchmark's database, PDFs queued to an in-memory broker (the request is measured,
    # not the rendering, which `tests.bench.pdf_bench` times), no Redis cache.
    os.environ.update(DATABASE_URL=args.database_url, CELERY_BROKER_URL="memory://", REDIS_URL="")
    os.environ["DJANGO_ENV"] = "development"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlyhelp.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    results = run(runs=args.runs, warmup=args.warmup, explain=args.explain)
    missed = missed_targets(results, times=args.time_targets)
    say("")
    say(table(results))
    for result in results:
        for scan in result.seq_scans:
            say(f"EXPLAIN, {result.name} ({result.persona}): {scan}")
    seconds = time.perf_counter() - started
    report = {
        "measured_on": {
            "date": date.today().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}",
            "python": platform.python_version(),
            "postgresql": _server_version(),
            "load_average": os.getloadavg()[0],
        },
        "volume": counts | {"seed": args.seed},
        "seeding": seeding,
        "runs": args.runs,
        "warmup": args.warmup,
        "targets": {
            "queries": QUERY_LIMITS,
            "ratio_p95": RATIO_TARGET,
            "ratio_pages": sorted(RATIO_PAGES),
            "search_p95_ms": SEARCH_P95_MS,
            "slow_statement_ms": SLOW_STATEMENT_MS,
            "times_checked": args.time_targets,
        },
        "pages": [asdict(r) for r in results],
        "missed": missed,
        "seconds": round(seconds, 1),
    }
    with open(args.json, "w") as out:
        json.dump(report, out, indent=2)
    say(f"\nResults written to {args.json}; the whole run took {seconds / 60:.1f} min.")
    for line in missed:
        print(f"Target missed: {line}", file=sys.stderr)
    if not missed:
        say("Every target met.")
    return 1 if missed else 0


def _server_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
