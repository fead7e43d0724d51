"""Soak test: the load test's mix for a long run, checking that memory and connections stay flat.

    .venv/bin/python -m tests.load.soak [--database-url URL] [--redis-url URL] [--users 30] [--minutes 10]
                                        [--interval 15] [--pdf-every 15] [--json PATH]

Production-shaped, on this machine: gunicorn (--workers x --threads, as docker-compose.yml runs it), a real Celery
worker (--concurrency processes, prefetch 1) and Celery beat on a Redis of this machine, and PostgreSQL. The set-up
is the load test's (tests/load/run.py: the same database rules, demo data, one account per simulated user, and the
same locust mix of reads, searches and writes). The mix asks for no PDF, so this script asks for one itself every
--pdf-every seconds (a family's chronology, as a signed-in practitioner would), for the worker to render.

Every --interval seconds it samples the resident memory (RSS) of each gunicorn worker and of the Celery worker's
processes, the PostgreSQL connections to the database (pg_stat_activity) and the Redis clients on the broker's
database (CLIENT LIST; connected_clients is the whole server's, shared with anything else, and is shown too).

Verdict, over the samples taken once every user had signed in, cut in thirds:
- memory is flat when the last third's mean is at most the first third's plus the larger of MEMORY_GROWTH (10%)
  and MEMORY_MARGIN_MB (16 MB), for the gunicorn workers together and for the Celery processes together;
- PostgreSQL connections are bounded when they never pass one a gunicorn thread, one a Celery process, and
  CONNECTION_MARGIN (4: the Celery parent, beat, a request for a PDF from this script, a health check);
- Redis clients are bounded when the last third's highest is at most the first third's plus CONNECTION_MARGIN;
- and no request failed (errors, unexpected answers, 5xx) and every user signed in.
Exit code 0 when all hold, 1 when one does not, 2 when the soak could not run. --json writes the samples and the
verdict. It refuses DJANGO_ENV=production, a database or Redis on another host, and a database whose name lacks
"load" (tests/load/run.py's rule: it is written to).
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from tests.load import run as load
from tests.load.run import BIN, CHILDREN, ROOT, LoadError

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/earlyhelp_load_soak"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
MEMORY_GROWTH = 0.10
MEMORY_MARGIN_MB = 16
CONNECTION_MARGIN = 4
MB = 1024 * 1024


def refuse_unsafe(database_url: str, redis_url: str) -> None:
    load.refuse_unsafe(database_url)
    parts = urllib.parse.urlsplit(redis_url)
    if parts.scheme != "redis":
        raise LoadError(f"the soak needs a Redis broker (redis://...), not {parts.scheme or '?'}")
    if (parts.hostname or "") not in load.LOCAL_HOSTS:
        raise LoadError(f"the soak runs on this machine only: Redis host {parts.hostname} refused")


def redis_db(redis_url: str) -> int:
    path = urllib.parse.urlsplit(redis_url).path.strip("/")
    return int(path) if path.isdigit() else 0


# -- The processes: a Celery worker and beat besides the load test's gunicorn -----------------------------------


class Celery:
    """A Celery worker (or beat) in its own process group, stopped (that group only) on exit."""

    def __init__(self, args: list[str], *, env: dict, log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Celery":
        with open(self.log, "a", encoding="utf-8") as sink:
            self.process = subprocess.Popen(
                [str(BIN / "celery"), "-A", "earlyhelp", *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        CHILDREN.add(self.process)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            load.stop(self.process)


def worker_ready(env: dict, node: str, *, timeout: float = 120) -> None:
    """Wait until the worker answers a ping on the broker."""
    from celery import Celery as App

    app = App(broker=env["CELERY_BROKER_URL"])
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if app.control.ping(destination=[node], timeout=2):
                return
            time.sleep(1)
    finally:
        app.close()
    raise LoadError(f"the Celery worker {node} did not answer a ping within {timeout:.0f} s")


# -- Sampling ----------------------------------------------------------------------------------------------------


def rss(pid: int) -> tuple[int, list[int]]:
    """The resident memory (bytes) of a process and of each of its children."""
    import psutil

    try:
        parent = psutil.Process(pid)
        children = []
        for child in parent.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess):  # a Celery child replaced between listing and reading
                children.append(child.memory_info().rss)
        return parent.memory_info().rss, children
    except psutil.NoSuchProcess:
        return 0, []


class Sampler(threading.Thread):
    """Every `interval` seconds, one sample of memory and connections; asks for a PDF every `pdf_every` seconds."""

    def __init__(self, *, interval, database_url, redis_url, gunicorn, worker, beat, pdfs, pdf_every) -> None:
        super().__init__(daemon=True)
        self.interval, self.database_url, self.redis_url = interval, database_url, redis_url
        self.gunicorn, self.worker, self.beat = gunicorn, worker, beat
        self.pdfs, self.pdf_every = pdfs, pdf_every
        self.samples: list[dict] = []
        self.pdf_requests: list[int] = []
        self.errors: list[str] = []
        self.started = time.monotonic()
        self.done = threading.Event()

    def run(self) -> None:
        import psycopg2
        import redis

        database = urllib.parse.urlsplit(self.database_url).path.lstrip("/")
        # To the maintenance database, so the sampler's own connection is not among those it counts.
        pg = psycopg2.connect(dbname="postgres", connect_timeout=5, **load._server(self.database_url))
        pg.autocommit = True
        broker = redis.Redis.from_url(self.redis_url, socket_timeout=5)
        own_client = broker.client_id()
        next_pdf = self.started + 5 if self.pdf_every else None
        try:
            while not self.done.is_set():
                self.samples.append(self.sample(pg, broker, database, own_client))
                while next_pdf is not None and time.monotonic() >= next_pdf:
                    self.pdf_request()
                    next_pdf += self.pdf_every
                wake = self.started + len(self.samples) * self.interval
                self.done.wait(max(0.0, wake - time.monotonic()))
            self.samples.append(self.sample(pg, broker, database, own_client))
        except Exception as error:  # reported with the results; the soak's verdict needs the samples
            self.errors.append(f"sampling stopped: {error!r}")
        finally:
            pg.close()
            broker.close()

    def sample(self, pg, broker, database: str, own_client: int) -> dict:
        _, web = rss(self.gunicorn.pid)
        worker_parent, worker_children = rss(self.worker.pid)
        beat, _ = rss(self.beat.pid)
        with pg.cursor() as cursor:
            cursor.execute("SELECT state, count(*) FROM pg_stat_activity WHERE datname = %s GROUP BY state", [database])
            states = {state or "none": count for state, count in cursor.fetchall()}
        db = redis_db(self.redis_url)
        ours = [c for c in broker.client_list() if int(c.get("db", -1)) == db and int(c["id"]) != own_client]
        return {
            "t": round(time.monotonic() - self.started, 1),
            "load_average": os.getloadavg()[0],
            "gunicorn_workers_mb": [round(value / MB, 1) for value in web],
            "celery_parent_mb": round(worker_parent / MB, 1),
            "celery_children_mb": [round(value / MB, 1) for value in worker_children],
            "beat_mb": round(beat / MB, 1),
            "pg_connections": sum(states.values()),
            "pg_states": states,
            "redis_clients": len(ours),
            "redis_connected_clients_server": broker.info("clients")["connected_clients"],
            "pdfs_made": self.pdfs_made(),
        }

    def pdf_request(self) -> None:
        """A chronology PDF for a family one of the simulated practitioners may see and share, as that user."""
        from django.db import connections

        from documents.services import DocumentError, document_request

        if not self.pdfs:
            return
        user, family = self.pdfs[len(self.pdf_requests) % len(self.pdfs)]
        try:
            self.pdf_requests.append(document_request(user=user, kind="chronology", uuid=family).pk)
        except DocumentError as error:
            self.errors.append(f"PDF not asked for: {error}")
        finally:
            connections.close_all()  # not held between requests: the count above is the app's connections

    def pdfs_made(self) -> dict:
        from django.db import connections

        from documents.models import DocumentRequest

        if not self.pdf_requests:
            return {}
        try:
            rows = DocumentRequest.objects.filter(pk__in=self.pdf_requests).values_list("status", flat=True)
            counts: dict[str, int] = {}
            for status in rows:
                counts[status] = counts.get(status, 0) + 1
            return counts
        finally:
            connections.close_all()


def pdf_pairs(plan: dict, *, limit: int = 50) -> list[tuple]:
    """(user, family uuid) pairs whose chronology the user may have as a PDF: the family is theirs to see and
    to share (documents.selectors.document_sharing). Casework accounts, as they are the ones who print."""
    from django.contrib.auth import get_user_model
    from django.db import connections

    from cases.selectors import family_get
    from documents.selectors import document_sharing

    pairs: list[tuple] = []
    try:
        for account in plan["accounts"]:
            if account["kind"] != "casework":
                continue
            user = get_user_model().objects.get(email=account["email"])
            for uuid in account["families"][:5]:
                if document_sharing(user=user, family=family_get(user=user, uuid=uuid)).allowed:
                    pairs.append((user, uuid))
            if len(pairs) >= limit:
                break
    finally:
        connections.close_all()
    return pairs


# -- Verdict ------------------------------------------------------------------------------------------------------


def thirds(values: list[float]) -> tuple[list[float], list[float]]:
    third = max(1, len(values) // 3)
    return values[:third], values[-third:]


def verdict(samples: list[dict], *, since: float, bound: int, results: dict, users: int, server_errors: dict) -> dict:
    """Each check's figures and whether it holds (see the module's docstring)."""
    measured = [s for s in samples if s["t"] >= since] or samples
    checks: dict[str, dict] = {}
    for name, value in (
        ("gunicorn workers memory (MB)", lambda s: sum(s["gunicorn_workers_mb"])),
        ("Celery worker memory (MB)", lambda s: s["celery_parent_mb"] + sum(s["celery_children_mb"])),
    ):
        first, last = thirds([value(s) for s in measured])
        first_mean, last_mean = statistics.fmean(first), statistics.fmean(last)
        allowed = max(first_mean * MEMORY_GROWTH, MEMORY_MARGIN_MB)
        checks[name] = {
            "first_third_mean": round(first_mean, 1),
            "last_third_mean": round(last_mean, 1),
            "growth": round(last_mean - first_mean, 1),
            "allowed_growth": round(allowed, 1),
            "max": round(max(value(s) for s in measured), 1),
            "holds": last_mean - first_mean <= allowed,
        }
    connections = [s["pg_connections"] for s in samples]
    first, last = thirds([s["pg_connections"] for s in measured])
    checks["PostgreSQL connections"] = {
        "first_third_mean": round(statistics.fmean(first), 1),
        "last_third_mean": round(statistics.fmean(last), 1),
        "max": max(connections),
        "bound": bound,
        "holds": max(connections) <= bound,
    }
    first, last = thirds([s["redis_clients"] for s in measured])
    checks["Redis clients"] = {
        "first_third_max": max(first),
        "last_third_max": max(last),
        "max": max(s["redis_clients"] for s in samples),
        "allowed": max(first) + CONNECTION_MARGIN,
        "holds": max(last) <= max(first) + CONNECTION_MARGIN,
    }
    failures = sum(results[phase]["aggregated"]["failures"] for phase in load.PHASES if phase in results)
    checks["requests"] = {
        "signed_in": results.get("signed_in", 0),
        "users": users,
        "failures": failures,
        "server_errors": sum(server_errors.values()),
        "holds": results.get("signed_in", 0) == users and not failures and not server_errors,
    }
    return checks


def samples_table(samples: list[dict]) -> str:
    head = (
        f"{'t (s)':>6} {'load':>5} {'gunicorn MB':>12} {'max worker':>10} {'celery MB':>10} {'children':>8} "
        f"{'beat MB':>8} {'pg conn':>8} {'redis':>6} {'PDFs made':>9}"
    )
    lines = [head, "-" * len(head)]
    for s in samples:
        web = s["gunicorn_workers_mb"]
        celery = s["celery_parent_mb"] + sum(s["celery_children_mb"])
        made = s["pdfs_made"].get("ready", 0)
        lines.append(
            f"{s['t']:>6.0f} {s['load_average']:>5.2f} {sum(web):>12.1f} {max(web, default=0):>10.1f} "
            f"{celery:>10.1f} {len(s['celery_children_mb']):>8} {s['beat_mb']:>8.1f} {s['pg_connections']:>8} "
            f"{s['redis_clients']:>6} {made:>9}"
        )
    return "\n".join(lines)


def requests_report(results: dict, server_errors: dict) -> None:
    """locust's figures, as the load test shows them (the load test's latency target is not the soak's)."""
    for phase in load.PHASES:
        if phase in results:
            print(f"\n{phase}: {results[phase]['seconds']:.0f} s")
            print(load.table(results[phase]))
            for failure in results[phase]["failures"]:
                print(f"failure: {failure['occurrences']} x {failure['method']} {failure['name']}: {failure['error']}")
    if "measured" in results:
        print(f"\ntasks: {load.tasks_line(results['measured']['tasks'])}")
    for path, count in sorted(server_errors.items()):
        print(f"server error: {count} x {path}")


def checks_lines(checks: dict) -> list[str]:
    lines = []
    for name, figures in checks.items():
        shown = ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in figures.items() if key != "holds")
        lines.append(f"{'ok  ' if figures['holds'] else 'FAIL'} {name}: {shown}")
    return lines


# -- Main -------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("SOAK_DATABASE_URL") or DEFAULT_DATABASE_URL,
        help=f"PostgreSQL on this machine, its name containing 'load' (default: SOAK_DATABASE_URL, else "
        f"{DEFAULT_DATABASE_URL})",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("SOAK_REDIS_URL") or DEFAULT_REDIS_URL,
        help=f"the broker, a Redis on this machine (default: SOAK_REDIS_URL, else {DEFAULT_REDIS_URL})",
    )
    parser.add_argument("--users", type=int, default=30, help="simulated users, each its own account (default 30)")
    parser.add_argument("--minutes", type=float, default=10, help="how long the users work (default 10)")
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started a second (default 5)")
    parser.add_argument("--interval", type=float, default=15, help="seconds between samples (default 15)")
    parser.add_argument("--pdf-every", type=float, default=15, help="seconds between PDF requests, 0 for none")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3, as compose)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4, as compose)")
    parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes (default 2, as compose)")
    parser.add_argument("--families", type=int, default=300, help="families to seed into an empty database")
    parser.add_argument("--seed-users", type=int, default=300, help="users to seed into an empty database")
    parser.add_argument("--wait-min", type=float, default=2, help="least think time between tasks, s (default 2)")
    parser.add_argument("--wait-max", type=float, default=8, help="most think time between tasks, s (default 8)")
    parser.add_argument("--seed", type=int, default=2026, help="chooses the accounts and what they look at")
    parser.add_argument("--json", type=Path, help="write the samples and the verdict here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (logs, plan)")
    args = parser.parse_args(argv)
    if min(args.users, args.workers, args.threads, args.concurrency) < 1 or args.minutes <= 0:
        parser.error("--users, --minutes, --workers, --threads and --concurrency must be positive")
    if args.interval <= 0 or args.pdf_every < 0 or args.spawn_rate <= 0:
        parser.error("--interval and --spawn-rate must be positive, --pdf-every 0 or more")
    if not 0 <= args.wait_min <= args.wait_max:
        parser.error("--wait-min must be between 0 and --wait-max")
    args.run_time = f"{round(args.minutes * 60)}s"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, load._interrupted)
    tmp = Path(tempfile.mkdtemp(prefix="earlyhelp-soak-"))
    try:
        refuse_unsafe(args.database_url, args.redis_url)
        env = load.app_env(args.database_url, tmp) | {"REDIS_URL": args.redis_url, "CELERY_BROKER_URL": args.redis_url}
        if load.database_ensure(args.database_url):
            print("database: created", flush=True)
        load.manage(["migrate", "--noinput", "-v", "0"], env=env, log=tmp / "setup.log")
        load.django_setup(env)
        if not load.has_families():
            seed = ["seed_demo", "--families", str(args.families)]
            if load.seed_demo_takes_users(env):
                seed += ["--users", str(args.seed_users)]
            print(f"database: no families, seeding: manage.py {' '.join(seed)}", flush=True)
            load.manage(seed, env=env, log=tmp / "setup.log")
        plan = load.plan_accounts(args.users, seed=args.seed)
        pdfs = pdf_pairs(plan) if args.pdf_every else []
        if args.pdf_every and not pdfs:
            raise LoadError("no simulated user may ask for a PDF of a family they see (consent to share)")
        plan_file = tmp / "plan.json"
        plan_file.write_text(json.dumps(plan))
        node = f"soak{os.getpid()}@%h"
        worker_args = ["worker", "--loglevel=WARNING", f"--concurrency={args.concurrency}", "--prefetch-multiplier=1"]
        beat_args = ["beat", "--loglevel=WARNING", "--schedule", str(tmp / "celerybeat-schedule")]
        began = time.time()
        with (
            Celery([*worker_args, "-n", node], env=env, log=tmp / "worker.log") as worker,
            Celery(beat_args, env=env, log=tmp / "beat.log") as beat,
            load.Server(env, tmp, workers=args.workers, threads=args.threads) as server,
        ):
            worker_ready(env, node.replace("%h", os.uname().nodename))
            print(
                f"gunicorn: {args.workers} workers x {args.threads} threads on {server.base}; Celery worker: "
                f"{args.concurrency} processes, prefetch 1, and beat, on {args.redis_url}",
                flush=True,
            )
            sampler = Sampler(
                interval=args.interval,
                database_url=args.database_url,
                redis_url=args.redis_url,
                gunicorn=server.process,
                worker=worker.process,
                beat=beat.process,
                pdfs=pdfs,
                pdf_every=args.pdf_every,
            )
            sampler.start()
            try:
                results = load.run_locust(args, base=server.base, env=env | {"LOAD_PLAN": str(plan_file)}, tmp=tmp)
            finally:
                sampler.done.set()
                sampler.join(timeout=60)
        server_errors = server.server_errors()
        if len(sampler.samples) < 3:
            raise LoadError(f"only {len(sampler.samples)} samples: {'; '.join(sampler.errors) or 'too short a run'}")
        since = results.get("sign-in", {}).get("seconds", 0)
        bound = args.workers * args.threads + args.concurrency + CONNECTION_MARGIN
        checks = verdict(
            sampler.samples, since=since, bound=bound, results=results, users=args.users, server_errors=server_errors
        )
        flat = all(check["holds"] for check in checks.values())
        print(f"\nSamples every {args.interval:g} s (memory is resident set size, MB):")
        print(samples_table(sampler.samples))
        requests_report(results, server_errors)
        for error in sampler.errors:
            print(f"note: {error}")
        loads = [s["load_average"] for s in sampler.samples]
        print(f"\nload average (1 min) during the run: mean {statistics.fmean(loads):.2f}, max {max(loads):.2f}")
        print("\n".join(checks_lines(checks)))
        print(f"Verdict: {'flat' if flat else 'NOT flat'}")
        if args.json:
            document = {
                "machine": load.machine(),
                "began": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(began)),
                "settings": {
                    "users": args.users,
                    "minutes": args.minutes,
                    "interval_seconds": args.interval,
                    "pdf_every_seconds": args.pdf_every,
                    "think_time_seconds": [args.wait_min, args.wait_max],
                    "gunicorn": {"workers": args.workers, "threads": args.threads},
                    "celery": {"concurrency": args.concurrency, "prefetch_multiplier": 1},
                },
                "samples": sampler.samples,
                "measured_from_seconds": since,
                "pdf_requests": len(sampler.pdf_requests),
                "notes": sampler.errors,
                "locust": results,
                "server_errors": server_errors,
                "checks": checks,
                "flat": flat,
            }
            args.json.write_text(json.dumps(document, indent=2) + "\n")
        return 0 if flat else 1
    except LoadError as error:
        print(f"soak: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("soak: interrupted", file=sys.stderr)
        return 130
    finally:
        for process in list(CHILDREN):
            load.stop(process)
        if args.keep:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
