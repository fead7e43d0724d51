#!/usr/bin/env python3
"""Back up and restore Early Help: the PostgreSQL database and the uploaded files (MEDIA_ROOT).

    python scripts/backup.py backup                  # make backup
    python scripts/backup.py restore BACKUP [--replace[=NAME]]  # make restore BACKUP=backups/20260101T020000Z

`backup` writes BACKUP_DIR/<UTC time>/ (BACKUP_DIR defaults to backups/ in the project):
- database.dump: pg_dump's custom format, without owners or privileges, so another role can restore it;
- media.tar.gz: everything under MEDIA_ROOT (empty when there are no files);
- manifest.json: when, which database, the row count of every table, the access log's chain head, the SHA-256 of
  both files, the app's version and the migrations applied.
The row counts and the chain head are read in the same snapshot pg_dump dumps, so they describe the dump exactly
even while the service is in use. The directory is readable by its owner only (0700, files 0600): it holds
personal data.

`restore` checks the files against the manifest's checksums and that this pg_restore can read the dump, then
restores into RESTORE_DATABASE_URL (DATABASE_URL when it is unset or empty; the target is printed) and MEDIA_ROOT.
A database that does not exist is created; an empty one is restored into directly. It refuses, changing nothing, a
database that already has tables or a file that already exists, unless --replace is given: then the backup is
restored into a new database `<name>_restoring` (dropped first if an earlier attempt left it), checked there, and
only then swapped in: the old database is renamed `<name>_before_<UTC time>` and kept (drop it once satisfied), and
`<name>_restoring` takes its name. No one may be connected to either (stop the web, worker and beat processes
first). Replacing the database DATABASE_URL names (the live service's) must be confirmed by name:
--replace=<database name>. The checks: `manage.py migrate --check`, every table's row count and the chain head
against the manifest, and `manage.py verify_audit_chain`. If the restore or a check fails, the database there
before is untouched, `<name>_restoring` is left to inspect, and no files are written. Files are written, existing
ones overwritten with --replace, only once the database has passed its checks.

Exit status: 0 done (and, for restore, every check passed); 1 a check failed or a tool failed; 2 refused before
anything was changed (bad arguments, SQLite, a damaged backup, a database or files in the way).

Needs PostgreSQL's client programs (pg_dump, pg_restore: Debian's postgresql-client, of the server's major version
or newer) and the project's own packages (Django settings, dj-database-url, psycopg2). SQLite is not supported:
stop the app and copy db.sqlite3 and the media folder instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess  # nosec B404  # runs pg_dump, pg_restore and manage.py with fixed argument lists, no shell
import sys
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_FORMAT = 1
DUMP, MEDIA, MANIFEST = "database.dump", "media.tar.gz", "manifest.json"
CHAIN_HEAD_TABLE = "audit_accesschainhead"
REFUSED, FAILED = 2, 1
NAME_BYTES = 63  # PostgreSQL's longest database name


class Refused(Exception):
    """Nothing was changed: the command cannot or must not go ahead."""


class Failed(Exception):
    """A tool or a check failed part-way."""


# -- Settings and the database ----------------------------------------------------------------------------------


def django_settings():
    """The app's own settings (MEDIA_ROOT and the database as the app resolves them)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlyhelp.settings")
    from django.conf import settings

    return settings


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database: libpq keywords for the tools (the password goes in their environment, never on a
    command line where `ps` would show it)."""

    name: str
    host: str
    port: str
    user: str
    password: str
    options: dict

    @classmethod
    def from_url(cls, url: str, what: str) -> Database:
        import dj_database_url

        try:
            parsed = dj_database_url.parse(url)
        except (ValueError, KeyError) as error:
            raise Refused(f"{what} is not a database address: {error}") from None
        engine = parsed.get("ENGINE", "")
        if "sqlite" in engine:
            raise Refused(
                f"{what} is SQLite: backups here are for PostgreSQL. For SQLite, stop the app and copy the "
                "database file and the media folder."
            )
        if "postgresql" not in engine:
            raise Refused(f"{what} is not PostgreSQL ({engine})")
        if not parsed.get("NAME"):
            raise Refused(f"{what} names no database")
        return cls(
            name=parsed["NAME"],
            host=str(parsed.get("HOST") or ""),
            port=str(parsed.get("PORT") or ""),
            user=str(parsed.get("USER") or ""),
            password=str(parsed.get("PASSWORD") or ""),
            options={key: str(value) for key, value in (parsed.get("OPTIONS") or {}).items()},
        )

    def dsn(self, name: str | None = None) -> str:
        """A libpq connection string without the password."""
        from psycopg2.extensions import make_dsn

        keywords = {"dbname": name or self.name, "host": self.host, "port": self.port, "user": self.user}
        return make_dsn(**{key: value for key, value in keywords.items() if value}, **self.options)

    def env(self) -> dict:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def connect(self, name: str | None = None):
        import psycopg2

        return psycopg2.connect(self.dsn(name), password=self.password or None, connect_timeout=10)

    def describe(self) -> str:
        return f"{self.name} on {self.host or 'localhost'}:{self.port or 5432}"


def run(command: list[str], *, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a program (never through a shell), its output captured (pg_restore may echo a damaged dump's bytes,
    so undecodable ones are replaced)."""
    return subprocess.run(  # noqa: S603  # nosec B603  # argument lists built here from fixed names, no shell
        command, env=env, cwd=ROOT, capture_output=True, text=True, errors="replace", check=False
    )


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise Refused(
            f"{name} is not installed: install PostgreSQL's client programs (apt-get install postgresql-client)"
        )
    return path


def table_names(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%%' "
        "ORDER BY schemaname, tablename"
    )
    return list(cursor.fetchall())


def row_counts(cursor) -> dict[str, int]:
    """Every table's row count, named as `table` in the public schema and `schema.table` elsewhere."""
    from psycopg2 import sql

    counts = {}
    for schema, table in table_names(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
        counts[table if schema == "public" else f"{schema}.{table}"] = cursor.fetchone()[0]
    return counts


def chain_head(cursor) -> str | None:
    """The access log's chain head (the last event's hash), or None before the first event."""
    cursor.execute("SELECT to_regclass(%s)", [CHAIN_HEAD_TABLE])
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute("SELECT last_hash FROM audit_accesschainhead WHERE id = 1")
    row = cursor.fetchone()
    return row[0] if row else None


def migration_heads(cursor) -> dict[str, dict]:
    cursor.execute("SELECT to_regclass('django_migrations')")
    if cursor.fetchone()[0] is None:
        return {}
    cursor.execute("SELECT app, max(name), count(*) FROM django_migrations GROUP BY app ORDER BY app")
    return {app: {"latest": latest, "applied": applied} for app, latest, applied in cursor.fetchall()}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def app_version() -> str:
    try:
        return metadata.version("earlyhelp")
    except metadata.PackageNotFoundError:
        return "unknown"


def size(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024
    return ""


# -- backup -----------------------------------------------------------------------------------------------------


def media_archive(media_root: Path, target: Path) -> int:
    """Write MEDIA_ROOT's files to a gzipped tar, paths relative to MEDIA_ROOT; the number of files."""
    files = 0
    with tarfile.open(target, "w:gz") as archive:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=path.relative_to(media_root).as_posix(), recursive=False)
                    files += 1
    return files


def backup(args) -> int:
    settings = django_settings()
    database = Database.from_url(settings.DATABASE_URL, "DATABASE_URL")
    pg_dump = tool("pg_dump")
    media_root = Path(settings.MEDIA_ROOT)
    backup_dir = Path(os.environ.get("BACKUP_DIR") or ROOT / "backups")
    if backup_dir.resolve().is_relative_to(media_root.resolve()):
        raise Refused(f"BACKUP_DIR ({backup_dir}) is inside MEDIA_ROOT: each backup would hold the ones before it")
    os.umask(0o077)  # everything written from here (pg_dump's file too) is the owner's only
    started = datetime.now(UTC)
    target = backup_dir / started.strftime("%Y%m%dT%H%M%SZ")
    try:
        backup_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        target.mkdir(mode=0o700)
    except FileExistsError:
        raise Refused(f"{target} already exists: wait a second and run it again") from None
    except OSError as error:
        raise Refused(f"cannot write the backup in {backup_dir} ({error.strerror}): set BACKUP_DIR") from None

    try:
        return _backup_into(target, database=database, pg_dump=pg_dump, media_root=media_root, started=started)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # no half-written backup left to be mistaken for one
        raise


def _backup_into(target: Path, *, database: Database, pg_dump: str, media_root: Path, started: datetime) -> int:
    connection = database.connect()
    try:
        # One snapshot for the dump, the row counts and the chain head, so the manifest describes the dump exactly.
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            dumped = run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target / DUMP}",
                    f"--dbname={database.dsn()}",
                ],
                env=database.env(),
            )
            if dumped.returncode != 0:
                raise Failed(f"pg_dump failed:\n{dumped.stderr.strip()}")
            counts = row_counts(cursor)
            head = chain_head(cursor)
            migrations = migration_heads(cursor)
        connection.rollback()
    finally:
        connection.close()

    media_files = media_archive(media_root, target / MEDIA)
    manifest = {
        "format": MANIFEST_FORMAT,
        "created_at": started.isoformat(timespec="seconds"),
        "database": database.name,
        "server_version": server_version,
        "pg_dump": run([pg_dump, "--version"]).stdout.strip(),
        "app_version": app_version(),
        "migrations": migrations,
        "tables": counts,
        "total_rows": sum(counts.values()),
        "access_log": {"chain_head": head, "events": counts.get("audit_accessevent", 0)},
        "media_files": media_files,
        "files": {
            name: {"sha256": sha256(target / name), "bytes": (target / name).stat().st_size} for name in (DUMP, MEDIA)
        },
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    for name in (DUMP, MEDIA, MANIFEST):
        (target / name).chmod(0o600)
    total = sum((target / name).stat().st_size for name in (DUMP, MEDIA, MANIFEST))
    print(
        f"Backup written to {target} ({size(total)}): database {database.name}, {len(counts)} tables, "
        f"{manifest['total_rows']:,} rows, {media_files} media files."
    )
    print("It holds personal data: keep it encrypted, off this machine, where only those who restore can read it.")
    return 0


# -- restore ----------------------------------------------------------------------------------------------------


def manifest_checked(source: Path) -> dict:
    """The backup's manifest, once both files match its checksums."""
    if not (source / MANIFEST).is_file():
        raise Refused(f"{source} is not a backup: it has no {MANIFEST}")
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except ValueError as error:
        raise Refused(f"{source / MANIFEST} is not readable JSON: {error}") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise Refused(f"{source / MANIFEST} is of format {manifest.get('format')!r}, not {MANIFEST_FORMAT}")
    for name in (DUMP, MEDIA):
        expected = manifest.get("files", {}).get(name, {}).get("sha256")
        if not (source / name).is_file():
            raise Refused(f"{source / name} is missing: nothing was restored")
        if expected is None or sha256(source / name) != expected:
            raise Refused(
                f"{source / name} does not match its SHA-256 in {MANIFEST}: the backup is damaged or has been "
                "changed. Nothing was restored."
            )
    return manifest


def maintenance(database: Database):
    """A connection to the server's `postgres` database (or `template1`), to look up, create, rename and drop
    databases."""
    import psycopg2

    for name in ("postgres", "template1"):
        try:
            connection = database.connect(name)
        except psycopg2.OperationalError as error:
            last = error
            continue
        connection.autocommit = True
        return connection
    raise Failed(f"cannot connect to the server of {database.describe()}: {str(last).strip()}")


def database_exists(database: Database, name: str | None = None) -> bool:
    connection = maintenance(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name or database.name])
            return cursor.fetchone() is not None
    finally:
        connection.close()


def database_state(database: Database) -> int | None:
    """How many tables the database has, or None if it does not exist."""
    import psycopg2

    try:
        if not database_exists(database):
            return None
        connection = database.connect()
    except (Failed, psycopg2.Error) as error:
        raise Refused(f"cannot connect to {database.describe()}: {str(error).strip()}") from None
    try:
        with connection.cursor() as cursor:
            return len(table_names(cursor))
    finally:
        connection.close()


def sessions_refused(database: Database, name: str | None = None) -> None:
    """Refuse to replace or rename a database someone is connected to (the app would write to it mid-restore)."""
    name = name or database.name
    connection = maintenance(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [name]
            )
            sessions = cursor.fetchone()[0]
    finally:
        connection.close()
    if sessions:
        raise Refused(
            f"{sessions} session(s) are connected to {name}: stop the web, worker and beat processes "
            "(docker compose stop web worker beat) and run the restore again"
        )


def server_sql(database: Database, statement, what: str) -> None:
    """Run one statement (CREATE, DROP or ALTER DATABASE) on the server's maintenance connection."""
    import psycopg2

    connection = maintenance(database)
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    except psycopg2.Error as error:
        raise Failed(f"could not {what}: {str(error).strip()}") from None
    finally:
        connection.close()


def database_create(database: Database, name: str | None = None) -> None:
    from psycopg2 import sql

    name = name or database.name
    server_sql(database, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)), f"create {name}")


def database_drop(database: Database, name: str) -> None:
    from psycopg2 import sql

    server_sql(database, sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)), f"drop {name}")


def database_rename(database: Database, old: str, new: str) -> None:
    from psycopg2 import sql

    statement = sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new))
    server_sql(database, statement, f"rename {old} to {new}")


def media_members(source: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(source / MEDIA, "r:gz") as archive:
        return [member for member in archive.getmembers() if member.isfile()]


def media_extract(source: Path, media_root: Path) -> None:
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA, "r:gz") as archive:
        # The "data" filter refuses absolute paths, paths leaving MEDIA_ROOT, links and device files.
        archive.extractall(media_root, filter="data")


def manage(args: list[str], database_url: str) -> subprocess.CompletedProcess:
    return run([sys.executable, str(ROOT / "manage.py"), *args], env={**os.environ, "DATABASE_URL": database_url})


def migrations_unknown_to_code(database: Database) -> list[str]:
    """Migrations applied in the restored database that this code's apps do not have (a backup of newer code)."""
    import django
    from django.db.migrations.loader import MigrationLoader

    django.setup()
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the code's migrations, from disk only
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)  # the migrations a squashed one stands for may be recorded as applied
    apps = {app for app, _ in known}
    connection = database.connect()
    try:
        with connection.cursor() as cursor:
            applied = []
            if migration_heads(cursor):  # the table exists and has rows
                cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
                applied = cursor.fetchall()
    finally:
        connection.close()
    return [f"{app}.{name}" for app, name in applied if app in apps and (app, name) not in known]


def restore_checks(database: Database, database_url: str, manifest: dict) -> list[str]:
    """Check the restored database against the manifest; the problems found (none when it is whole)."""
    problems = []
    connection = database.connect()
    try:
        with connection.cursor() as cursor:
            counts = row_counts(cursor)
            head = chain_head(cursor)
    finally:
        connection.close()
    expected = manifest["tables"]
    for table in sorted(set(expected) | set(counts)):
        if expected.get(table) != counts.get(table):
            problems.append(
                f"table {table}: {counts.get(table, 'missing')} rows, the backup had {expected.get(table, 'none')}"
            )
    print(
        f"  Row counts: {len(counts)} tables, {sum(counts.values()):,} rows" + (" (differ)" if problems else " (match)")
    )
    if head != manifest["access_log"]["chain_head"]:
        problems.append(f"access log chain head {head} is not the backup's {manifest['access_log']['chain_head']}")
    migrate = manage(["migrate", "--check", "--plan"], database_url)
    if migrate.returncode != 0:
        # The plan lists each migration unindented, its operations indented below it.
        planned = [line for line in migrate.stdout.splitlines()[1:] if line and not line.startswith(" ")]
        shown = ", ".join(planned[:5]) + (f" and {len(planned) - 5} more" if len(planned) > 5 else "")
        problems.append(
            f"the restored database lacks {len(planned)} migrations this code has ({shown or migrate.stderr.strip()}): "
            f"run `python manage.py migrate` against it (the backup was made by version {manifest['app_version']})"
        )
    unknown = migrations_unknown_to_code(database)
    if unknown:
        problems.append(
            f"the backup has {len(unknown)} migrations this code does not (such as {unknown[0]}): it was made by a "
            f"newer version ({manifest['app_version']}); deploy that version before restoring"
        )
    print("  Migrations: " + ("as this code expects" if migrate.returncode == 0 and not unknown else "DIFFERENT"))
    if "audit_accessevent" not in counts:
        problems.append("the database has no access log (audit_accessevent): it was backed up before migrating")
        print("  Access log chain: NOT CHECKED")
        return problems
    chain = manage(["verify_audit_chain"], database_url)
    if chain.returncode != 0:
        lines = (chain.stderr or chain.stdout).strip().splitlines() or ["no output"]
        problems.append(f"verify_audit_chain: {lines[-1]}")
    print("  Access log chain: " + ("intact" if chain.returncode == 0 else "BROKEN"))
    return problems


def url_naming(url: str, name: str) -> str:
    """The same address with another database name."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(name, safe="")))


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo.partition(':')[0]}:***@{hostinfo}"))


def same_database(one: Database, other: Database) -> bool:
    """Whether two addresses may name the same database. Hosts are not compared (one server answers to localhost,
    its addresses and its service name): a false match only asks the operator to confirm by name."""
    return one.name == other.name and (one.port or "5432") == (other.port or "5432")


def restore_target(settings) -> tuple[Database, str, bool]:
    """The database to restore into, its address, and whether it is the one DATABASE_URL names (the live one)."""
    restore_url = os.environ.get("RESTORE_DATABASE_URL", "").strip()
    if restore_url:
        variable = "RESTORE_DATABASE_URL"
    elif "RESTORE_DATABASE_URL" in os.environ:
        variable = "DATABASE_URL, as RESTORE_DATABASE_URL is empty"
    else:
        variable = "DATABASE_URL, as RESTORE_DATABASE_URL is not set"
    database_url = restore_url or settings.DATABASE_URL
    print(f"Target: {without_password(database_url)} ({variable})")
    database = Database.from_url(database_url, "RESTORE_DATABASE_URL" if restore_url else "DATABASE_URL")
    if not restore_url:
        return database, database_url, True
    try:
        live = Database.from_url(settings.DATABASE_URL, "DATABASE_URL")
    except Refused:  # DATABASE_URL is SQLite or unset: the target cannot be the live PostgreSQL database
        return database, database_url, False
    return database, database_url, same_database(database, live)


def restore(args) -> int:
    settings = django_settings()
    source = Path(args.backup)
    manifest = manifest_checked(source)
    database, database_url, live = restore_target(settings)
    pg_restore = tool("pg_restore")
    media_root = Path(settings.MEDIA_ROOT)

    # Everything that could refuse is checked before anything is changed.
    listed = run([pg_restore, "--list", str(source / DUMP)])
    if listed.returncode != 0:
        raise Refused(
            f"{run([pg_restore, '--version']).stdout.strip()} cannot read {source / DUMP} "
            f"({listed.stderr.strip()}): the dump was made by {manifest.get('pg_dump', 'an unknown pg_dump')}; "
            "this pg_restore must be of that version or newer. Nothing was restored."
        )
    if isinstance(args.replace, str) and args.replace != database.name:
        raise Refused(f"--replace={args.replace} does not name the target database, {database.name}")
    tables = database_state(database)
    if tables and not args.replace:
        raise Refused(
            f"{database.describe()} already has {tables} table{'s' if tables != 1 else ''}: restore into an empty or "
            f"new database (RESTORE_DATABASE_URL), or give --replace{'=' + database.name if live else ''} to restore "
            "the backup in its place (the database there now is kept under another name)"
        )
    if tables and live and args.replace is True:
        raise Refused(
            f"{database.describe()} is the database DATABASE_URL names, the live service's: to replace it, confirm "
            f"by its name: --replace={database.name}"
        )
    swap = bool(tables)  # restore beside it, check, then swap names: the live database is never dropped
    restoring = kept = ""
    if swap:
        restoring = f"{database.name}_restoring"
        kept = f"{database.name}_before_{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
        if len(kept.encode()) > NAME_BYTES:
            raise Refused(
                f"the name {database.name} is too long to keep the database beside the restore ({kept} would pass "
                f"PostgreSQL's {NAME_BYTES} bytes): restore into a new database with a shorter name "
                "(RESTORE_DATABASE_URL) and point DATABASE_URL at it"
            )
        sessions_refused(database)
    members = media_members(source)
    in_the_way = [member.name for member in members if (media_root / member.name).exists()]
    if in_the_way and not args.replace:
        raise Refused(
            f"{len(in_the_way)} of the backup's files already exist in {media_root} (such as {in_the_way[0]}): "
            "restore into an empty MEDIA_ROOT, or give --replace to overwrite them"
        )

    print(f"Restoring {source} (made {manifest['created_at']} from {manifest['database']}) into {database.describe()}")
    into, into_url = database, database_url
    if swap:
        into, into_url = dataclasses.replace(database, name=restoring), url_naming(database_url, restoring)
        if database_exists(database, restoring):
            print(f"  Dropping {restoring}, left by an earlier restore")
            database_drop(database, restoring)
        database_create(database, restoring)
        print(f"  Restoring into {restoring}; {database.name} is untouched until the checks pass")
    elif tables is None:
        database_create(database)
    untouched = (
        f"{database.name} is untouched; the restore is in {restoring} to inspect (drop it when done)" if swap else ""
    )
    restored = run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={into.dsn()}",
            str(source / DUMP),
        ],
        env=database.env(),
    )
    if restored.returncode != 0:
        raise Failed(
            f"pg_restore failed ({untouched if swap else 'the database was left without the backup data'}):\n"
            f"{restored.stderr.strip()}"
        )

    problems = restore_checks(into, into_url, manifest)
    if problems:
        print("The restore does not match the backup:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(f"{untouched + '. ' if swap else ''}No files were written to {media_root}.", file=sys.stderr)
        return FAILED
    if swap:
        swap_in(database, restoring, kept, untouched)
    media_extract(source, media_root)
    print(f"  Media: {len(members)} files into {media_root}")
    print(f"Restored and checked: {database.name} matches the backup of {manifest['created_at']}.")
    if swap:
        print(
            f"The database it replaced is kept as {kept}: once you are satisfied with the restore, drop it "
            f'(DROP DATABASE "{kept}";).'
        )
    return 0


def swap_in(database: Database, restoring: str, kept: str, untouched: str) -> None:
    """Rename the live database to `kept` and the checked restore to the live name (no one may be connected)."""
    try:
        sessions_refused(database)  # the service may have been started again while restoring
        sessions_refused(database, restoring)
    except Refused as refused:
        raise Failed(f"{refused} ({untouched})") from None
    try:
        database_rename(database, database.name, kept)
    except Failed as error:
        raise Failed(f"{error} ({untouched})") from None
    try:
        database_rename(database, restoring, database.name)
    except Failed as error:
        database_rename(database, kept, database.name)  # put the live database back under its name
        raise Failed(f"{error} ({untouched})") from None
    print(f"  Swapped: {restoring} is now {database.name}; the database it replaces is now {kept}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup", help="write BACKUP_DIR/<UTC time>/ with the database, the media and a manifest")
    restoring = commands.add_parser("restore", help="restore a backup into RESTORE_DATABASE_URL and check it")
    restoring.add_argument("backup", help="the backup's directory, such as backups/20260101T020000Z")
    restoring.add_argument(
        "--replace",
        nargs="?",
        const=True,
        default=False,
        metavar="DATABASE",
        help="restore beside a database that has tables and swap it in once checked (the old one is kept, renamed), "
        "and overwrite existing files; DATABASE_URL's own database must be named: --replace=<its name>",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import psycopg2

    try:
        return backup(args) if args.command == "backup" else restore(args)
    except Refused as error:
        print(f"{args.command} refused: {error}", file=sys.stderr)
        return REFUSED
    except (Failed, psycopg2.Error) as error:
        print(f"{args.command} failed: {str(error).strip()}", file=sys.stderr)
        return FAILED


if __name__ == "__main__":
    sys.exit(main())
