"""The load test itself, at a small size so it cannot rot: ten users for twenty seconds on a scratch PostgreSQL
database of its own (created, migrated and seeded by the load test, dropped afterwards), through gunicorn and
locust as `make load` runs them. It must finish with no failure and with reads, searches and writes all done."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import require_service
from tests.load.run import ROOT, database_drop

pytestmark = pytest.mark.services


def _postgres_server() -> str:
    """The PostgreSQL server the tests use (DATABASE_URL), or "" when they run on SQLite."""
    url = os.environ.get("DATABASE_URL", "")
    return url if urlsplit(url).scheme in ("postgres", "postgresql") else ""


def test_load_run_signs_everyone_in_and_reads_searches_and_writes_without_a_failure(tmp_path):
    server = _postgres_server()
    require_service(bool(server), "the load test needs PostgreSQL for its scratch database (set DATABASE_URL)")
    parts = urlsplit(server)
    scratch = urlunsplit((parts.scheme, parts.netloc, f"/eh_load_test_{secrets.token_hex(4)}", "", ""))
    report = tmp_path / "load.json"
    command = [
        sys.executable,
        "-m",
        "tests.load.run",
        "--users=10",
        "--spawn-rate=10",
        "--run-time=20s",
        "--families=300",
        # Short think times, so twenty seconds hold enough tasks that every kind surely runs.
        "--wait-min=0.5",
        "--wait-max=2",
        f"--database-url={scratch}",
        f"--json={report}",
    ]
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ENV"}
    try:
        finished = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    finally:
        database_drop(scratch)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output
    results = json.loads(Path(report).read_text())
    assert results["passed"], output
    assert results["signed_in"] == 10
    assert results["sign-in"]["aggregated"]["failures"] == 0
    assert results["measured"]["aggregated"]["failures"] == 0
    assert all(results["measured"]["tasks"].get(kind, 0) > 0 for kind in ("read", "search", "write")), output
    names = {row["name"].split(":")[0] for row in results["measured"]["requests"]}
    assert names == {"read", "search", "write"}, output
