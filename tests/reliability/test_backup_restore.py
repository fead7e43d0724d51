"""Backups that restore: `scripts/backup.py` (behind `make backup` and `make restore`) run as an operator runs it,
on PostgreSQL databases of the test's own.

A source database is made from the migrated test database (as a template: migrating afresh takes a minute more and
proves nothing else) and seeded with `seed_demo` at a small size, with a file in its MEDIA_ROOT. It is backed up
once for the module. The round trip restores that backup into a scratch database and checks what an operator would:
every table's row count against the source, the access log chain (`verify_audit_chain`), the file byte for byte,
and the service itself: gunicorn on the restored database, a demo user signing in through the real sign-in pages
(password, then the authenticator code) and opening a family's page. Every database the tests create is dropped.
"""

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
from django.db import connection, connections
from psycopg2 import sql

from cases.demo.staff import DEMO_PASSWORD, demo_totp_key
from earlyhelp.accounts.otp import totp_code_now
from tests.conftest import is_postgresql, require_service
from tests.load.run import ROOT, Server, app_env

# django_db: so that the test database is set up (migrated) even when these are the only tests run; it is the
# source database's template.
pytestmark = [pytest.mark.services, pytest.mark.django_db]

SOURCE = "earlyhelp_h4_backup_src"
RESTORED = "earlyhelp_h4_backup_restore"
UNTOUCHED = "earlyhelp_h4_backup_untouched"
SCRIPT = str(ROOT / "scripts" / "backup.py")
DEMO_USER = "manager.tang-hall@example.org"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FAMILY_LINK = re.compile(r'href="/families/([0-9a-f-]{36})/"')


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
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)


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
        template = connection.settings_dict["NAME"]
        connections.close_all()  # a template database must have no one connected
    tmp = tmp_path_factory.mktemp("backup")
    env = app_env(_url(SOURCE), tmp) | {"BACKUP_DIR": str(tmp / "backups")}
    media = Path(env["MEDIA_ROOT"]) / "documents" / "2026"
    media.mkdir(parents=True)
    upload = media / "plan.pdf"
    upload.write_bytes(os.urandom(50_000))
    _drop(SOURCE)
    try:
        _server_sql(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(SOURCE), sql.Identifier(template)))
        seeded = _run(
            [sys.executable, "manage.py", "seed_demo", "--families=24", "--access-events=150", "--seed=7"], env
        )
        assert seeded.returncode == 0, seeded.stdout + seeded.stderr
        written = _backup_script(["backup"], env)
        assert written.returncode == 0, written.stdout + written.stderr
        (backup,) = (tmp / "backups").iterdir()
        yield {"env": env, "tmp": tmp, "backup": backup, "upload": upload, "output": written.stdout}
    finally:
        _drop(SOURCE)


def test_backup_writes_the_dump_the_media_and_a_manifest_readable_by_its_owner_only(made):
    backup = made["backup"]
    assert str(backup) in made["output"]
    assert stat.S_IMODE(backup.stat().st_mode) == 0o700
    assert sorted(path.name for path in backup.iterdir()) == ["database.dump", "manifest.json", "media.tar.gz"]
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in backup.iterdir())
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == SOURCE
    assert manifest["tables"] == _row_counts(SOURCE)
    (head,) = _query(SOURCE, "SELECT last_hash FROM audit_accesschainhead WHERE id = 1")
    assert manifest["access_log"]["chain_head"] == head[0]
    assert manifest["media_files"] == 1
    assert set(manifest["files"]) == {"database.dump", "media.tar.gz"}


def test_restore_into_a_scratch_database_brings_back_every_row_the_audit_chain_the_files_and_working_pages(made):
    env = made["env"] | {"RESTORE_DATABASE_URL": _url(RESTORED), "MEDIA_ROOT": str(made["tmp"] / "restored-media")}
    _drop(RESTORED)
    try:
        # A database that already has tables is refused, and left as it was, unless --replace is given.
        _server_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(RESTORED)))
        _query(RESTORED, "CREATE TABLE earlier (id int); INSERT INTO earlier VALUES (1) RETURNING id")
        refused = _backup_script(["restore", str(made["backup"])], env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "already has 1 table:" in refused.stderr
        assert "--replace" in refused.stderr
        assert _query(RESTORED, "SELECT id FROM earlier") == [(1,)]
        assert not Path(env["MEDIA_ROOT"]).exists()

        restored = _backup_script(["restore", str(made["backup"]), "--replace"], env)
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "Access log chain: intact" in restored.stdout

        counts = _row_counts(RESTORED)
        assert counts == _row_counts(SOURCE)
        assert counts["cases_family"] >= 24
        assert counts["audit_accessevent"] >= 150
        chain = _run([sys.executable, "manage.py", "verify_audit_chain"], env | {"DATABASE_URL": _url(RESTORED)})
        assert chain.returncode == 0, chain.stdout + chain.stderr
        assert "intact" in chain.stdout
        restored_upload = Path(env["MEDIA_ROOT"]) / made["upload"].relative_to(made["env"]["MEDIA_ROOT"])
        assert restored_upload.read_bytes() == made["upload"].read_bytes()

        _family_page_renders_after_signing_in(env | {"DATABASE_URL": _url(RESTORED)}, made["tmp"] / "server")
    finally:
        _drop(RESTORED)


def _family_page_renders_after_signing_in(env: dict, logs: Path) -> None:
    """gunicorn on the restored database: a demo manager signs in with the password and the authenticator code,
    opens the family list and then the first family on it."""
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
            RESTORED, "SELECT reference, name FROM cases_family WHERE uuid = %s", [found.group(1)]
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
    env = made["env"] | {"RESTORE_DATABASE_URL": _url(UNTOUCHED), "MEDIA_ROOT": str(tmp_path / "media")}
    try:
        refused = _backup_script(["restore", str(tampered)], env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "database.dump does not match its SHA-256 in manifest.json" in refused.stderr
        assert "Nothing was restored" in refused.stderr
        assert not _database_exists(UNTOUCHED)
        assert not (tmp_path / "media").exists()
    finally:
        _drop(UNTOUCHED)


def test_restore_refuses_to_overwrite_files_already_in_media_root_without_replace(made, tmp_path):
    media = tmp_path / "media"
    existing = media / made["upload"].relative_to(made["env"]["MEDIA_ROOT"])
    existing.parent.mkdir(parents=True)
    existing.write_bytes(b"a newer upload")
    env = made["env"] | {"RESTORE_DATABASE_URL": _url(UNTOUCHED), "MEDIA_ROOT": str(media)}
    try:
        refused = _backup_script(["restore", str(made["backup"])], env)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "1 of the backup's files already exist" in refused.stderr
        assert existing.read_bytes() == b"a newer upload"
        assert not _database_exists(UNTOUCHED)
    finally:
        _drop(UNTOUCHED)


def test_backup_refuses_sqlite_and_says_what_to_do_instead(tmp_path):
    env = app_env(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path) | {"BACKUP_DIR": str(tmp_path / "b")}
    refused = _backup_script(["backup"], env)
    assert refused.returncode == 2
    assert "SQLite" in refused.stderr
    assert "copy the database file and the media folder" in refused.stderr
    assert not (tmp_path / "b").exists()
