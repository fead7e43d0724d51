"""The benchmark's own PostgreSQL database: created, migrated and seeded with `seed_demo` at a given volume, or
reused when it already holds exactly that volume at the current migrations.

The seed's arguments and the migrations it was made with are kept as the database's comment, so a later run knows
whether the data it finds is the data it asked for. Nothing here touches any other database.
"""

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/earlyhelp_bench"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
USERS = 300  # the reference volume's staff, whatever the number of families
ACCESS_EVENTS_PER_FAMILY = 20  # 1,000,000 for the reference volume's 50,000 families


@dataclass(frozen=True)
class Volume:
    families: int
    seed: int

    @property
    def users(self) -> int:
        return USERS

    @property
    def access_events(self) -> int:
        return self.families * ACCESS_EVENTS_PER_FAMILY

    def seed_args(self) -> list[str]:
        return [
            f"--families={self.families}",
            f"--seed={self.seed}",
            f"--users={self.users}",
            f"--access-events={self.access_events}",
        ]


def database_name(url: str) -> str:
    """The database a URL names, refused unless it is PostgreSQL on this machine and not an obvious real one."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit(f"The benchmark needs PostgreSQL, not {parts.scheme or url!r}")
    if parts.hostname not in LOCAL_HOSTS:
        raise SystemExit(f"The benchmark only runs against a database on this machine, not {parts.hostname}")
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"The benchmark drops and re-creates its database: its name must contain 'bench' ({name!r})")
    return name


def _server_url(url: str) -> str:
    """The same server's maintenance database, to create or drop the benchmark's."""
    return urlsplit(url)._replace(path="/postgres").geturl()


def migrations_fingerprint() -> str:
    """A digest of every migration file's name and content: changes when the schema does."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/0*.py")) + sorted(ROOT.glob("earlyhelp/*/migrations/0*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _marker(volume: Volume) -> str:
    return f"earlyhelp bench: {' '.join(volume.seed_args())} migrations={migrations_fingerprint()}"


def _execute(url: str, statement, params=None, *, fetch: bool = False):
    """One statement on its own connection, outside a transaction (CREATE DATABASE and VACUUM need that)."""
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if fetch else None
    finally:
        conn.close()


def _comment(url: str, name: str) -> str | None:
    rows = _execute(
        _server_url(url),
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
        fetch=True,
    )
    return None if not rows else (rows[0][0] or "")


def _manage(url: str, *args: str) -> None:
    """manage.py against the benchmark's database, Celery tasks run in-process (no broker is written to)."""
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": "", "REDIS_URL": "", "DJANGO_ENV": "development"}
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout[-5000:] + done.stderr[-5000:])
        raise SystemExit(f"manage.py {args[0]} failed on the benchmark's database (exit {done.returncode})")


def prepare(*, url: str, volume: Volume, fresh: bool, say) -> dict:
    """Make sure the database at `url` holds `volume`; returns how (reused or seeded) and how long it took."""
    name = database_name(url)
    marker = _marker(volume)
    started = time.perf_counter()
    if not fresh and _comment(url, name) == marker:
        say(f"Reusing database {name}: it already holds {' '.join(volume.seed_args())} at these migrations.")
        return {"database": name, "seeded": False, "seconds": 0.0}
    say(f"Creating database {name} and seeding {' '.join(volume.seed_args())} (this is most of the run's time)...")
    _execute(_server_url(url), sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    _execute(_server_url(url), sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    _manage(url, "migrate", "--noinput", "--verbosity=0")
    _manage(url, "seed_demo", *volume.seed_args())
    _execute(url, "VACUUM (ANALYZE)")  # fresh statistics and visibility maps, as autovacuum would leave them
    _execute(
        _server_url(url), sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(name), sql.Literal(marker))
    )
    seconds = time.perf_counter() - started
    say(f"Seeded in {seconds / 60:.1f} min.")
    return {"database": name, "seeded": True, "seconds": round(seconds, 1)}


def log_slow_statements(*, url: str, milliseconds: int) -> None:
    """Have PostgreSQL log every statement on the benchmark's database slower than `milliseconds` (new sessions)."""
    name = database_name(url)
    statement = sql.SQL("ALTER DATABASE {} SET log_min_duration_statement = {}").format(
        sql.Identifier(name), sql.Literal(milliseconds)
    )
    _execute(_server_url(url), statement)


def volume_counts(url: str) -> dict[str, int]:
    """What the database holds, as the reference volume counts it."""
    tables = {
        "families": "cases_family",
        "people": "cases_person",
        "users": "accounts_user",
        "contacts": "referrals_contact",
        "assessments": "assessments_earlyhelpassessment",
        "plans": "cases_familyplan",
        "case notes": "cases_casenote",
        "access events": "audit_accessevent",
    }
    counts = {
        label: _execute(url, f"SELECT count(*) FROM {table}", fetch=True)[0][0] for label, table in tables.items()
    }
    counts["users"] = _execute(url, "SELECT count(*) FROM accounts_user WHERE NOT is_service_account", fetch=True)[0][0]
    history = _execute(
        url,
        "SELECT string_agg(format('SELECT count(*) AS n FROM %I', tablename), ' UNION ALL ') "
        "FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE '%%historical%%'",
        fetch=True,
    )[0][0]
    counts["history rows"] = int(_execute(url, f"SELECT sum(n) FROM ({history}) AS h", fetch=True)[0][0])
    return counts
