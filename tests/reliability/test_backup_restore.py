"""Backups that restore: `scripts/backup.py` (behind `make backup` and `make restore`) run as an operator runs it,
on PostgreSQL databases of the test's own.

A source database of the test's own is migrated from nothing (the test database cannot be its template: tests that
ran before may have emptied its tables, reference data included) and seeded with `seed_demo` at a small size, with
a file in its MEDIA_ROOT. It is backed up once for the module. The round trip restores that backup with --replace
over a scratch database that has a table (kept under another name) and checks what an operator would: every
table's row count against the source, the access log chain (`verify_audit_chain`), the file byte for byte, and the
service itself: gunicorn on the restored database, a demo user signing in through the real sign-in pages
(password, then the authenticator code) and opening a family's page. Other tests damage the dump (its checksum
recomputed) and check that a failing restore leaves the database there untouched, and that the live database
(DATABASE_URL's) is not replaced without its name. The databases are named after the run's test database, and
every one the tests create is dropped.
"""

import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from django.db import connection
from psycopg2 import sql

from cases.demo.staff import DEMO_PASSWORD, demo_totp_key
from earlyhelp.accounts.otp import totp_code_now
from tests.conftest import is_postgresql, require_service
from tests.load.run import ROOT, Server, app_env

# django_db: the databases are named after the run's test database, which is then set up even when these are the
# only tests run.
pytestmark = [pytest.mark.services, pytest.mark.django_db]

SCRIPT = str(ROOT / "scripts" / "backup.py")
DEMO_USER = "manager.tang-hall@example.org"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FAMILY_LINK = re.compile(r'href="/families/([0-9a-f-]{36})/"')


def _name(role: str) -> str:
    """A database of these tests, named after the run's own test database so that two runs on one server (each
    with its own DATABASE_URL) cannot collide."""
    return f"{connection.settings_dict['NAME']}_bk_{role}"


def _url(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def _server_connection():
    parts = urlsplit(os.environ["DATABASE_URL"])
    server = psycopg2.connect(
        dbname="postgres",
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        connect_timeout=5,
    )
    server.autocommit = True
    return server


def _server_sql(statement: sql.Composable) -> None:
    server = _server_connection()
    try:
        with server.cursor() as cursor:
            cursor.execute(statement)
    finally:
        server.close()


def _drop(name: str) -> None:
    _server_sql(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _databases_named(prefix: str) -> list[str]:
    server = _server_connection()
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE left(datname, %s) = %s", [len(prefix), prefix])
            return sorted(row[0] for row in cursor.fetchall())
    finally:
        server.close()


def _database_exists(name: str) -> bool:
    server = _server_connection()
    try:
        with server.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cursor.fetchone() is not None
    finally:
        server.close()


def _query(name: str, statement: str | sql.Composable, params=None) -> list[tuple]:
    """Run a statement on database `name` (committed) and return its rows."""
    database = psycopg2.connect(_url(name))
    database.autocommit = True
    try:
        with database.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()
    finally:
        database.close()


def _row_counts(name: str) -> dict[str, int]:
    """Every table's row count, read straight from the database (not from the backup's manifest)."""
    database = psycopg2.connect(_url(name))
    try:
        with database.cursor() as cursor:
            cursor.execute("SELECT schemaname, tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            counts = {}
            for schema, table in cursor.fetchall():
                cursor.execute(
                    sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
                )
                counts[table] = cursor.fetchone()[0]
            return counts
    finally:
        database.close()


def _run(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, errors="replace", timeout=timeout, check=False
    )


def _backup_script(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return _run([sys.executable, SCRIPT, *args], env)


@pytest.fixture(scope="module")
def made(django_db_setup, django_db_blocker, tmp_path_factory):
    """The seeded source database, its media, and one backup of both made by `backup.py backup`."""
    with django_db_blocker.unblock():
        require_service(is_postgresql(), "backups are of PostgreSQL databases (set DATABASE_URL)")
        require_service(
            shutil.which("pg_dump") is not None, "pg_dump is not installed (apt-get install postgresql-client)"
        )
        source = _name("src")
    tmp = tmp_path_factory.mktemp("backup")
    env = app_env(_url(source), tmp) | {"BACKUP_DIR": str(tmp / "backups")}
    media = Path(env["MEDIA_ROOT"]) / "documents" / "2026"
    media.mkdir(parents=True)
    upload = media / "plan.pdf"
    upload.write_bytes(os.urandom(50_000))
    _drop(source)
    try:
        # A database of its own, migrated from nothing: the test database cannot be its template, as the tests that
        # ran before this one may have emptied its tables (reference data included).
        _server_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(source)))
        migrated = _run([sys.executable, "manage.py", "migrate", "--noinput"], env)
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        seeded = _run(
            [sys.executable, "manage.py", "seed_demo", "--families=24", "--access-events=150", "--seed=7"], env
        )
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        written = _backup_script(["backup"], env)
        assert written.returncode == 0, written.stdout + written.stderr
        (backup,) = (tmp / "backups").iterdir()
        yield {"env": env, "tmp": tmp, "backup": backup, "upload": upload, "output": written.stdout, "source": source}
    finally:
        _drop(source)


def test_backup_writes_the_dump_the_media_and_a_manifest_readable_by_its_owner_only(made):
    backup = made["backup"]
    assert str(backup) in made["output"]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert sorted(path.name for path in backup.iterdir()) == ["database.dump", "manifest.json", "media.tar.gz"]
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in backup.iterdir())
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == made["source"]
    assert manifest["tables"] == _row_counts(made["source"])
    (head,) = _query(made["source"], "SELECT last_hash FROM audit_accesschainhead WHERE id = 1")
    assert manifest["access_log"]["chain_head"] == head[0]
    assert manifest["media_files"] == 1
    assert set(manifest["files"]) == {"database.dump", "media.tar.gz"}


def test_restore_with_replace_brings_back_every_row_the_chain_the_files_and_working_pages_and_keeps_the_old_database(
    made,
):
    restored_db = _name("restore")
    env = made["env"] | {"RESTORE_DATABASE_URL": _url(restored_db), "MEDIA_ROOT": str(made["tmp"] / "restored-media")}
    _drop(restored_db)
    try:
        # A database that already has tables is refused, and left as it was, unless --replace is given.
        _server_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restored_db)))
        _query(restored_db, "CREATE TABLE earlier (id int); INSERT INTO earlier VALUES (1) RETURNING id")
        refused = _backup_script(["restore", str(made["backup"])], env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "already has 1 table:" in refused.stderr
        assert "--replace" in refused.stderr
        assert f"Target: {_url(restored_db)} (RESTORE_DATABASE_URL)" in refused.stdout
        assert _query(restored_db, "SELECT id FROM earlier") == [(1,)]
        assert not Path(env["MEDIA_ROOT"]).exists()

        restored = _backup_script(["restore", str(made["backup"]), "--replace"], env)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "Access log chain: intact" in restored.stdout

        # The database it replaced is kept, renamed, with its table; the restore took the name.
        (kept,) = _databases_named(f"{restored_db}_before_")
        assert re.fullmatch(rf"{re.escape(restored_db)}_before_\d{{8}}T\d{{6}}Z", kept)
        assert f"kept as {kept}" in restored.stdout
        assert _query(kept, "SELECT id FROM earlier") == [(1,)]
        assert not _database_exists(f"{restored_db}_restoring")

        counts = _row_counts(restored_db)
        assert "earlier" not in counts
        assert counts == _row_counts(made["source"])
        assert counts["cases_family"] >= 24
        assert counts["audit_accessevent"] >= 150
        chain = _run([sys.executable, "manage.py", "verify_audit_chain"], env | {"DATABASE_URL": _url(restored_db)})
        assert chain.returncode == 0, chain.stdout + chain.stderr
        assert "intact" in chain.stdout
        restored_upload = Path(env["MEDIA_ROOT"]) / made["upload"].relative_to(made["env"]["MEDIA_ROOT"])
        assert restored_upload.read_bytes() == made["upload"].read_bytes()

        _family_page_renders_after_signing_in(restored_db, env | {"DATABASE_URL": _url(restored_db)}, made["tmp"])
    finally:
        for name in [restored_db, f"{restored_db}_restoring", *_databases_named(f"{restored_db}_before_")]:
            _drop(name)


def _damaged_backup(made, target: Path, *, at: float) -> Path:
    """A copy of the backup with 64 KB of its dump overwritten at `at` of its length and the manifest's checksum
    recomputed, so that the damage passes the checksum and is found by pg_restore."""
    shutil.copytree(made["backup"], target)
    dump = target / "database.dump"
    content = bytearray(dump.read_bytes())
    offset = int(len(content) * at)
    content[offset : offset + 65536] = b"\xff" * len(content[offset : offset + 65536])
    dump.write_bytes(bytes(content))
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["files"]["database.dump"]["sha256"] = hashlib.sha256(bytes(content)).hexdigest()
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def test_a_replace_whose_pg_restore_fails_leaves_the_database_there_untouched_and_the_attempt_to_inspect(
    made, tmp_path
):
    # The dump's table of contents fills most of it; the table data is at the end.
    damaged = _damaged_backup(made, tmp_path / "damaged", at=0.9)
    listed = _run(["pg_restore", "--list", str(damaged / "database.dump")], made["env"])
    assert listed.returncode == 0, "the damage must be in the data, past the table of contents: " + listed.stderr
    target = _name("failing")
    env = made["env"] | {"RESTORE_DATABASE_URL": _url(target), "MEDIA_ROOT": str(tmp_path / "media")}
    _drop(target)
    try:
        _server_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
        _query(target, "CREATE TABLE earlier (id int); INSERT INTO earlier VALUES (1) RETURNING id")
        failed = _backup_script(["restore", str(damaged), "--replace"], env)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "pg_restore failed" in failed.stderr
        assert f"{target} is untouched; the restore is in {target}_restoring" in failed.stderr
        assert _query(target, "SELECT id FROM earlier") == [(1,)]
        assert _database_exists(f"{target}_restoring")
        assert _databases_named(f"{target}_before_") == []
        assert not (tmp_path / "media").exists()
    finally:
        for name in [target, f"{target}_restoring", *_databases_named(f"{target}_before_")]:
            _drop(name)


def test_restore_refuses_a_dump_this_pg_restore_cannot_read_and_touches_nothing(made, tmp_path):
    unreadable = _damaged_backup(made, tmp_path / "unreadable", at=0)
    target = _name("unreadable")
    env = made["env"] | {"RESTORE_DATABASE_URL": _url(target), "MEDIA_ROOT": str(tmp_path / "media")}
    try:
        refused = _backup_script(["restore", str(unreadable), "--replace"], env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "cannot read" in refused.stderr
        assert "Nothing was restored" in refused.stderr
        assert not _database_exists(target)
        assert not _database_exists(f"{target}_restoring")
    finally:
        _drop(target)


def test_an_empty_restore_database_url_is_treated_as_unset_and_the_target_is_named(made, tmp_path):
    env = made["env"] | {"RESTORE_DATABASE_URL": "", "MEDIA_ROOT": str(tmp_path / "media")}
    refused = _backup_script(["restore", str(made["backup"])], env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"Target: {_url(made['source'])} (DATABASE_URL, as RESTORE_DATABASE_URL is empty)" in refused.stdout
    assert f"{made['source']} on " in refused.stderr
    assert f"--replace={made['source']}" in refused.stderr


def test_replacing_database_url_own_database_is_refused_unless_confirmed_by_its_name(made, tmp_path):
    env = {key: value for key, value in made["env"].items() if key != "RESTORE_DATABASE_URL"}
    env |= {"MEDIA_ROOT": str(tmp_path / "media")}
    before = _row_counts(made["source"])
    refused = _backup_script(["restore", str(made["backup"]), "--replace"], env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "(DATABASE_URL, as RESTORE_DATABASE_URL is not set)" in refused.stdout
    assert "the live service's: to replace it, confirm by its name" in refused.stderr
    assert f"--replace={made['source']}" in refused.stderr

    misnamed = _backup_script(["restore", str(made["backup"]), "--replace=earlyhelp"], env)
    assert misnamed.returncode == 2, misnamed.stdout + misnamed.stderr
    assert f"--replace=earlyhelp does not name the target database, {made['source']}" in misnamed.stderr

    # The same database reached through RESTORE_DATABASE_URL is the live one all the same.
    aliased = _backup_script(
        ["restore", str(made["backup"]), "--replace"], env | {"RESTORE_DATABASE_URL": _url(made["source"])}
    )
    assert aliased.returncode == 2, aliased.stdout + aliased.stderr
    assert "the live service's" in aliased.stderr

    assert _row_counts(made["source"]) == before
    assert not _database_exists(f"{made['source']}_restoring")
    assert _databases_named(f"{made['source']}_before_") == []
    assert not (tmp_path / "media").exists()


def _family_page_renders_after_signing_in(name: str, env: dict, tmp: Path) -> None:
    """gunicorn on the restored database: a demo manager signs in with the password and the authenticator code,
    opens the family list and then the first family on it."""
    logs = tmp / "server"
    logs.mkdir()
    with Server(env, logs, workers=1, threads=2) as server:
        browser = _Browser(server.base)
        form = browser.get("/accounts/sign-in/")
        data = {"csrfmiddlewaretoken": _csrf(form), "next": "", "username": DEMO_USER, "password": DEMO_PASSWORD}
        assert browser.post("/accounts/sign-in/", data) == "/accounts/two-factor/", server.log_tail()
        form = browser.get("/accounts/two-factor/")
        data = {"csrfmiddlewaretoken": _csrf(form), "next": "", "code": totp_code_now(key=demo_totp_key())}
        assert browser.post("/accounts/two-factor/", data) == "/", server.log_tail()
        families = browser.get("/families/")
        found = FAMILY_LINK.search(families)
        assert found, families
        page = browser.get(f"/families/{found.group(1)}/")
        ((reference, name),) = _query(
            name, "SELECT reference, name FROM cases_family WHERE uuid = %s", [found.group(1)]
        )
        assert reference in page
        assert name in page


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    assert found, page
    return found.group(1)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class _Browser:
    """Cookies kept, redirects not followed: a redirect's target is what a test checks."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            assert response.status == 200, path
            return response.read().decode()

    def post(self, path: str, data: dict) -> str:
        """The path the form redirects to."""
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(data).encode(), headers={"Referer": self.base + path}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                raise AssertionError(f"{path} answered {response.status}, not a redirect:\n{response.read().decode()}")
        except urllib.error.HTTPError as redirect:
            assert redirect.code == 302, f"{path} answered {redirect.code}"
            return urlsplit(redirect.headers["Location"]).path


def test_restore_refuses_a_backup_whose_dump_was_changed_and_touches_nothing(made, tmp_path):
    tampered = tmp_path / "tampered"
    shutil.copytree(made["backup"], tampered)
    dump = tampered / "database.dump"
    content = bytearray(dump.read_bytes())
    content[len(content) // 2] ^= 0xFF
    dump.write_bytes(bytes(content))
    untouched = _name("untouched")
    env = made["env"] | {"RESTORE_DATABASE_URL": _url(untouched), "MEDIA_ROOT": str(tmp_path / "media")}
    try:
        refused = _backup_script(["restore", str(tampered)], env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "database.dump does not match its SHA-256 in manifest.json" in refused.stderr
        assert "Nothing was restored" in refused.stderr
        assert not _database_exists(untouched)
        assert not (tmp_path / "media").exists()
    finally:
        _drop(untouched)


def test_restore_refuses_to_overwrite_files_already_in_media_root_without_replace(made, tmp_path):
    media = tmp_path / "media"
    existing = media / made["upload"].relative_to(made["env"]["MEDIA_ROOT"])
    existing.parent.mkdir(parents=True)
    existing.write_bytes(b"a newer upload")
    untouched = _name("untouched")
    env = made["env"] | {"RESTORE_DATABASE_URL": _url(untouched), "MEDIA_ROOT": str(media)}
    try:
        refused = _backup_script(["restore", str(made["backup"])], env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "1 of the backup's files already exist" in refused.stderr
        assert existing.read_bytes() == b"a newer upload"
        assert not _database_exists(untouched)
    finally:
        _drop(untouched)


def test_backup_refuses_sqlite_and_says_what_to_do_instead(tmp_path):
    env = app_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) | {"BACKUP_DIR": str(tmp_path / "b")}
    refused = _backup_script(["backup"], env)
    assert refused.returncode == 2
    assert "SQLite" in refused.stderr
    assert "copy the database file and the media folder" in refused.stderr
    assert not (tmp_path / "b").exists()
