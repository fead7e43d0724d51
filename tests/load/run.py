"""Load test: signed-in users reading, searching and writing at once against gunicorn, on loopback, for a set time.

    .venv/bin/python -m tests.load.run [--database-url URL] [--users 100] [--spawn-rate 10] [--run-time 5m]
                                       [--families N] [--json PATH]

1. The database (--database-url, else LOAD_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/earlyhelp_load,
   on this machine only) is created if missing, migrated, and given demo data (`seed_demo --families N --users 300`)
   if it has no families. Its data is written to (case notes, concern flags, the access log, sessions): use a copy
   of a database you want to keep.
2. One account per simulated user is chosen from it: active users with a confirmed authenticator app whose role
   can write (case notes; concern flags for the MASH), each with what they may see (`families_visible_to`): a sample
   of families, and people's names and dates of birth to search for. A code from an authenticator app signs in
   once per 30 seconds, so simulated users never share an account.
3. gunicorn serves the app on 127.0.0.1 on a free port (DEBUG off, development settings, Celery eager, e-mail kept
   in memory), and locust runs headless against it: each user signs in through the real pages (password, then the
   code from the account's authenticator key) and then, with a think time of --wait-min to --wait-max seconds,
   reads (70%: home, family list, family page, caseload, chronology, the MASH inbox), searches (20%: name and date
   of birth, mistyped one time in three) and writes (10%: a case note, or a concern flag for the MASH).
4. gunicorn (only the server this script started) is stopped, and the results are printed per request and
   aggregated: requests, failures, requests a second, p50, p95 and maximum (ms). --json writes them too.

The exit code is non-zero when a target is missed: any failure (an error, or a response other than the page or the
redirect a browser expects), a user who could not sign in, or an aggregated p95 over 500 ms. It refuses to run
with DJANGO_ENV=production or against a database on another host.
"""

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DEFAULT_DATABASE_URL = (
    "postgres://postgres@127.0.0.1:5432/earlyhelp_load"  # not the benchmark's: this one is written to
)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}
TARGET_P95_MS = 500
KINDS = ("read", "search", "write")
PHASES = ("sign-in", "measured")
FAMILIES_PER_USER = 40  # families sampled per user, to read and write to
PEOPLE_PER_USER = 100  # people sampled per user, to search for


class LoadError(Exception):
    """The load test could not be set up or run (as opposed to a run that missed its targets)."""


# -- Checks and the database ------------------------------------------------------------------------------------


def refuse_unsafe(database_url: str) -> None:
    if os.environ.get("DJANGO_ENV", "").strip().lower() == "production":
        raise LoadError("the load test writes demo data and signs in as demo users: not with DJANGO_ENV=production")
    parts = urllib.parse.urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise LoadError(f"the load test needs PostgreSQL (many workers writing at once), not {parts.scheme or '?'}")
    if (parts.hostname or "") not in LOCAL_HOSTS:
        raise LoadError(f"the load test runs on this machine only: database host {parts.hostname} refused")
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise LoadError(f"name the database with letters, digits and underscores only, not {name!r}")
    if "load" not in name:
        # It migrates, seeds and writes to the database (and the test drops its own): never a developer's own.
        raise LoadError(f"the load test writes to its database: its name must contain 'load' ({name!r})")


def _server(database_url: str) -> dict:
    parts = urllib.parse.urlsplit(database_url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": urllib.parse.unquote(parts.username or "postgres"),
        "password": urllib.parse.unquote(parts.password) if parts.password else None,
    }


def database_ensure(database_url: str) -> bool:
    """Create the database if it does not exist; True if it was created."""
    import psycopg2

    name = urllib.parse.urlsplit(database_url).path.lstrip("/")
    connection = psycopg2.connect(dbname="postgres", connect_timeout=5, **_server(database_url))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            cursor.execute(f'CREATE DATABASE "{name}"')  # the name is checked to be letters, digits, underscores
            return True
    finally:
        connection.close()


def database_drop(database_url: str) -> None:
    """Drop the database (for the test's scratch database)."""
    import psycopg2

    refuse_unsafe(database_url)
    name = urllib.parse.urlsplit(database_url).path.lstrip("/")
    connection = psycopg2.connect(dbname="postgres", connect_timeout=5, **_server(database_url))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def app_env(database_url: str, tmp: Path) -> dict:
    """The environment of the app's processes: this database, development settings with DEBUG off, no broker
    (tasks run in the request), e-mail kept in memory, files in the run's own folder."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ENV"}
    env |= {
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "MEDIA_ROOT": str(tmp / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    return env


CHILDREN: set[subprocess.Popen] = set()  # processes this script started and has not yet stopped


def run(cmd: list[str], *, env: dict, log: Path, timeout: float) -> int:
    """Run a command (never a shell), its output to `log`; its exit code."""
    with open(log, "a", encoding="utf-8") as sink:
        process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
        CHILDREN.add(process)
        try:
            return process.wait(timeout=timeout)
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Stop a process this script started, and the processes it started (its own process group only)."""
    try:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    except ProcessLookupError:
        pass
    finally:
        CHILDREN.discard(process)


def manage(args: list[str], *, env: dict, log: Path, timeout: float = 3600) -> None:
    with open(log, "a", encoding="utf-8") as sink:
        sink.write(f"\n$ manage.py {' '.join(args)}\n")
    if run([str(BIN / "python"), "manage.py", *args], env=env, log=log, timeout=timeout) != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise LoadError(f"manage.py {' '.join(args)} failed:\n{tail}")


def seed_demo_takes_users(env: dict) -> bool:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", "seed_demo", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return "--users" in result.stdout


# -- The plan: one account per simulated user, with what that user may see ---------------------------------------


def django_setup(env: dict) -> None:
    for key in ("DATABASE_URL", "DJANGO_DEBUG", "DJANGO_SECRET_KEY", "REDIS_URL", "CELERY_BROKER_URL", "MEDIA_ROOT"):
        os.environ[key] = env[key]
    os.environ.pop("DJANGO_ENV", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlyhelp.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def has_families() -> bool:
    from cases.models import Family

    return Family.objects.exists()


def _account(user, device, rng: random.Random) -> dict | None:
    """What one simulated user signs in with and works on, or None if the account cannot take part."""
    from cases.models import Family
    from cases.selectors import families_visible_to, people_visible_to
    from earlyhelp.core import perms

    if user.has_perm(perms.ADD_CASE_NOTE):
        kind = "casework"
    elif user.has_perm(perms.TRIAGE_CONTACT) and user.has_perm(perms.FLAG_CONCERN) and user.agency_id:
        kind = "mash"
    else:
        return None  # no role that writes: analysts, officers, administrators
    ids = list(families_visible_to(user).values_list("pk", flat=True))
    if not ids:
        return None
    sample = rng.sample(ids, min(len(ids), FAMILIES_PER_USER))
    families = [str(uuid) for uuid in Family.objects.filter(pk__in=sample).values_list("uuid", flat=True)]
    people = list(
        people_visible_to(user)
        .filter(memberships__family_id__in=sample, date_of_birth__isnull=False)
        .values("uuid", "first_name", "last_name", "date_of_birth")
        .distinct()
        .order_by("pk")[:PEOPLE_PER_USER]
    )
    if not people:
        return None
    adult = date.today() - timedelta(days=18 * 365 + 5)
    children = [str(p["uuid"]) for p in people if p["date_of_birth"] > adult]
    return {
        "email": user.email,
        "roles": sorted(set(user.memberships.values_list("role", flat=True))),
        "kind": kind,
        "family_count": len(ids),
        "families": families,
        "write_families": families if kind == "casework" else [],
        "flag_people": (children or [str(p["uuid"]) for p in people]) if kind == "mash" else [],
        "people": [
            {"name": f"{p['first_name']} {p['last_name']}", "date_of_birth": p["date_of_birth"].isoformat()}
            for p in people
        ],
        "totp": {
            "key": device.key,
            "step": device.step,
            "t0": device.t0,
            "digits": device.digits,
            "drift": device.drift,
            "last_t": device.last_t,
        },
    }


def plan_accounts(users: int, *, seed: int) -> dict:
    """The locust plan: `users` accounts chosen at random among those that can take part."""
    from django.conf import settings
    from django.db import connections
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from cases.demo.staff import DEMO_PASSWORD
    from cases.models import CaseNote
    from referrals.models import ConcernFlag

    devices: dict[int, TOTPDevice] = {}
    for device in TOTPDevice.objects.filter(confirmed=True, user__is_active=True).select_related("user").order_by("pk"):
        devices.setdefault(device.user_id, device)
    rng = random.Random(seed)
    order = sorted(devices)
    rng.shuffle(order)
    accounts: list[dict] = []
    for user_id in order:
        if len(accounts) == users:
            break
        device = devices[user_id]
        account = _account(device.user, device, rng)
        if account is not None:
            accounts.append(account)
    connections.close_all()
    if len(accounts) < users:
        raise LoadError(
            f"only {len(accounts)} accounts can take part (active, with a confirmed authenticator app, a role that "
            f"writes and families to see) for {users} users: each simulated user needs its own account. Seed more "
            f"users (seed_demo --users N) or ask for fewer (--users {len(accounts)})"
        )
    return {
        "password": DEMO_PASSWORD,
        "families_per_page": settings.FAMILIES_PER_PAGE,
        "note_kinds": list(CaseNote.Kind.values),
        "flag_categories": list(ConcernFlag.Category.values),
        "accounts": accounts,
    }


# -- gunicorn ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn on 127.0.0.1 in its own process group; stopped (that group only) on exit."""

    def __init__(self, env: dict, tmp: Path, *, workers: int, threads: int) -> None:
        self.env, self.tmp, self.workers, self.threads = env, tmp, workers, threads
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log, self.error_log = tmp / "access.log", tmp / "server.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        cmd = [
            str(BIN / "gunicorn"),
            "earlyhelp.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--timeout",
            "60",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            '%(s)s %(m)s "%(U)s" %(M)s',
            "--error-logfile",
            str(self.error_log),
            "--capture-output",
            "--preload",
        ]
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        CHILDREN.add(self.process)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LoadError(f"gunicorn stopped at start:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as response:
                    if response.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.5)
        self.__exit__()
        raise LoadError(f"gunicorn did not answer /healthz within 90 s:\n{self.log_tail()}")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            stop(self.process)

    def log_tail(self) -> str:
        return self.error_log.read_text(errors="replace")[-3000:] if self.error_log.exists() else ""

    def server_errors(self) -> dict[str, int]:
        """Paths answered with a 5xx status, and how often, from the access log."""
        counts: dict[str, int] = {}
        for line in self.access_log.read_text(errors="replace").splitlines() if self.access_log.exists() else []:
            status, _, rest = line.partition(" ")
            if status.startswith("5"):
                path = rest.split('"')[1] if '"' in rest else rest
                counts[path] = counts.get(path, 0) + 1
        return counts


# -- locust and its results -------------------------------------------------------------------------------------


def run_locust(args, *, base: str, env: dict, tmp: Path) -> dict:
    """locust, headless, against our own gunicorn: the users sign in, then work for --run-time. Its results."""
    if not base.startswith("http://127.0.0.1:"):
        raise LoadError(f"refusing to load {base}: the load test only talks to its own gunicorn on 127.0.0.1")
    results_file = tmp / "results.json"
    measure = _seconds(args.run_time)
    # A limit in case signing in never finishes; normally the locustfile stops the users once the run time is over.
    limit = measure + args.users / args.spawn_rate + 600
    cmd = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.spawn_rate),
        "--run-time",
        f"{limit:.0f}s",
        "--host",
        base,
        "--stop-timeout",
        "30",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = env | {
        "LOAD_USERS": str(args.users),
        "LOAD_MEASURE_SECONDS": str(measure),
        "LOAD_RESULTS": str(results_file),
        "LOAD_WAIT_MIN": str(args.wait_min),
        "LOAD_WAIT_MAX": str(args.wait_max),
    }
    print(
        f"locust: {args.users} users signing in, {args.spawn_rate:g} a second, then working for {args.run_time} "
        f"(think time {args.wait_min:g} to {args.wait_max:g} s) against {base}",
        flush=True,
    )
    run(cmd, env=env, log=tmp / "locust.log", timeout=limit + 120)
    if not results_file.exists():
        raise LoadError(f"locust wrote no results:\n{(tmp / 'locust.log').read_text(errors='replace')[-3000:]}")
    return json.loads(results_file.read_text())


def _seconds(run_time: str) -> float:
    """locust's --run-time (300, 20s, 5m, 1h30m) in seconds."""
    if run_time.isdigit():
        return float(run_time)
    parts = re.fullmatch(r"(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?", run_time.strip())
    if not parts or not any(parts.groups()):
        raise LoadError(f"--run-time takes 300, 20s, 5m or 1h30m, not {run_time!r}")
    hours, minutes, seconds = (int(value or 0) for value in parts.groups())
    return hours * 3600 + minutes * 60 + seconds


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def table(phase: dict) -> str:
    head = f"{'request':<34} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"
    lines = [head, "-" * len(head)]
    order = {"sign-in": 0, "read": 1, "search": 2, "write": 3}
    for row in sorted(phase["requests"], key=lambda r: (order.get(r["name"].split(":")[0], 9), r["name"])):
        lines.append(_row(f"{row['method']} {row['name']}", row))
    lines.append("-" * len(head))
    lines.append(_row("Aggregated", phase["aggregated"]))
    return "\n".join(lines)


def _row(label: str, row: dict) -> str:
    return (
        f"{label:<34} {row['requests']:>9} {row['failures']:>9} {row['rps']:>7.1f} "
        f"{_ms(row['p50']):>7} {_ms(row['p95']):>7} {_ms(row['max']):>7}"
    )


def tasks_line(tasks: dict) -> str:
    total = sum(tasks.values()) or 1
    return ", ".join(f"{kind} {tasks.get(kind, 0)} ({100 * tasks.get(kind, 0) / total:.0f}%)" for kind in KINDS)


def verdict(results: dict, *, users: int, run_seconds: float, server_errors: dict) -> list[str]:
    """The targets missed (empty when all are met)."""
    missed = []
    if results.get("signed_in", 0) < users:
        missed.append(f"{results.get('signed_in', 0)} of {users} users signed in")
    failures = sum(results[phase]["aggregated"]["failures"] for phase in PHASES if phase in results)
    if failures:
        missed.append(f"{failures} failed requests (target: none)")
    if server_errors:
        missed.append(f"{sum(server_errors.values())} server errors (5xx)")
    measured = results.get("measured")
    if measured is None:
        return [*missed, "the users never all signed in, so nothing was measured"]
    if measured["seconds"] < run_seconds - 1:
        missed.append(f"measured for {measured['seconds']:.0f} s of {run_seconds:.0f} s")
    p95 = measured["aggregated"]["p95"]
    if p95 is None or p95 > TARGET_P95_MS:
        missed.append(f"aggregated p95 {_ms(p95)} ms (target: {TARGET_P95_MS} ms or less)")
    for kind in KINDS:
        if not measured["tasks"].get(kind):
            missed.append(f"no {kind} task ran")
    return missed


def report(results: dict, *, args, server_errors: dict, missed: list[str]) -> None:
    sign_in = results.get("sign-in")
    if sign_in:
        print(f"\nSigning in: {args.users} users, {args.spawn_rate:g} started a second, {sign_in['seconds']:.0f} s")
        print(table(sign_in))
    measured = results.get("measured")
    if measured:
        print(f"\nMeasured: {measured['seconds']:.0f} s with every user signed in")
        print(table(measured))
        print(f"\ntasks: {tasks_line(measured['tasks'])}; users signed in {results['signed_in']} of {args.users}")
    for phase in PHASES:
        for failure in results.get(phase, {}).get("failures", []):
            where = f"{failure['method']} {failure['name']}"
            print(f"failure ({phase}): {failure['occurrences']} x {where}: {failure['error']}")
    for path, count in sorted(server_errors.items()):
        print(f"server error: {count} x {path}")
    print(f"Result: {'PASS' if not missed else 'FAIL: ' + '; '.join(missed)}")


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


# -- Main -------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("LOAD_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="PostgreSQL on this machine; created, migrated and seeded if needed (default: LOAD_DATABASE_URL, "
        f"else {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--users", type=int, default=100, help="simulated users, each its own account (default 100)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="users started a second (default 10)")
    parser.add_argument("--run-time", default="5m", help="how long the load lasts: 20s, 5m, 1h30m (default 5m)")
    parser.add_argument("--families", type=int, default=300, help="families to seed into an empty database")
    parser.add_argument("--seed-users", type=int, default=300, help="users to seed into an empty database")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4, for 2 cores)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--wait-min", type=float, default=2, help="least think time between tasks, s (default 2)")
    parser.add_argument("--wait-max", type=float, default=8, help="most think time between tasks, s (default 8)")
    parser.add_argument("--seed", type=int, default=2026, help="chooses the accounts and what they look at")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs, plan, locust's CSV files)")
    args = parser.parse_args(argv)
    if args.users < 1 or args.spawn_rate <= 0 or args.workers < 1 or args.threads < 1:
        parser.error("--users, --spawn-rate, --workers and --threads must be positive")
    if not 0 <= args.wait_min <= args.wait_max:
        parser.error("--wait-min must be between 0 and --wait-max")
    return args


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    tmp = Path(tempfile.mkdtemp(prefix="earlyhelp-load-"))
    began = time.monotonic()
    try:
        refuse_unsafe(args.database_url)
        _seconds(args.run_time)
        env = app_env(args.database_url, tmp)
        shown = urllib.parse.urlsplit(args.database_url)._replace(netloc=_server(args.database_url)["host"]).geturl()
        if database_ensure(args.database_url):
            print(f"database: created {shown}", flush=True)
        step = time.monotonic()
        manage(["migrate", "--noinput", "-v", "0"], env=env, log=tmp / "setup.log")
        print(f"database: {shown} migrated ({time.monotonic() - step:.0f} s)", flush=True)
        django_setup(env)
        if not has_families():
            step = time.monotonic()
            seed = ["seed_demo", "--families", str(args.families)]
            if seed_demo_takes_users(env):
                seed += ["--users", str(args.seed_users)]
            print(f"database: no families, seeding: manage.py {' '.join(seed)}", flush=True)
            manage(seed, env=env, log=tmp / "setup.log")
            print(f"database: seeded ({time.monotonic() - step:.0f} s)", flush=True)
        plan = plan_accounts(args.users, seed=args.seed)
        kinds = {kind: sum(a["kind"] == kind for a in plan["accounts"]) for kind in ("casework", "mash")}
        took = time.monotonic() - began
        print(f"accounts: {kinds['casework']} casework, {kinds['mash']} MASH (set up in {took:.0f} s)", flush=True)
        plan_file = tmp / "plan.json"
        plan_file.write_text(json.dumps(plan))
        with Server(env, tmp, workers=args.workers, threads=args.threads) as server:
            print(f"gunicorn: {args.workers} workers x {args.threads} threads on {server.base}", flush=True)
            results = run_locust(args, base=server.base, env=env | {"LOAD_PLAN": str(plan_file)}, tmp=tmp)
        server_errors = server.server_errors()
        missed = verdict(results, users=args.users, run_seconds=_seconds(args.run_time), server_errors=server_errors)
        report(results, args=args, server_errors=server_errors, missed=missed)
        if args.json:
            document = {
                "machine": machine(),
                "settings": {
                    "users": args.users,
                    "spawn_rate": args.spawn_rate,
                    "run_time": args.run_time,
                    "think_time_seconds": [args.wait_min, args.wait_max],
                    "gunicorn": {"workers": args.workers, "threads": args.threads},
                    "accounts": kinds,
                },
                **results,
                "server_errors": server_errors,
                "targets": {"failures": 0, "p95_ms": TARGET_P95_MS},
                "missed": missed,
                "passed": not missed,
            }
            args.json.write_text(json.dumps(document, indent=2) + "\n")
        return 1 if missed else 0
    except LoadError as error:
        print(f"load test: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("load test: interrupted", file=sys.stderr)
        return 130
    finally:
        for process in list(CHILDREN):
            stop(process)
        if args.keep:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
