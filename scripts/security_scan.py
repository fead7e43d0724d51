#!/usr/bin/env python3
"""The security scan behind `make security`: four checks, a summary, and a non-zero exit on any failure.

1. pip-audit: every pinned package in constraints.txt against the PyPI vulnerability feed.
2. bandit: the project's own code (configured in pyproject.toml [tool.bandit]); any finding of low severity or above.
3. `manage.py check --deploy --fail-level WARNING` with production settings and a secret key made for the run.
4. sqlmap: against a running local instance on a scratch database with the demo data, signed in as demo users
   through the real sign-in pages (password, then the second-factor code when the page asks for one), on the
   search and filter parameters listed in SQLMAP_TARGETS.

The scratch database is a PostgreSQL database created on the server DATABASE_URL points to (and dropped at the
end) when DATABASE_URL is a PostgreSQL address, otherwise an SQLite file in the run's temporary directory. The
script stops only the processes it started and removes only the temporary directory (and database) it created.

`--self-check` runs in seconds without the network: the tools are pinned and installed, [tool.bandit] exists,
every `# nosec` names its test and gives a reason, bandit passes, and every view that reads the query string is
either scanned by sqlmap or listed in NOT_SCANNED with a reason. tests/security/test_security_scan.py runs it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import html.parser
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess  # nosec B404  # runs the scanners and the app's own commands with fixed argument lists
import sys
import tempfile
import time
import tokenize
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PYPROJECT = ROOT / "pyproject.toml"
CONSTRAINTS = ROOT / "constraints.txt"
SCANNERS = ("pip-audit", "bandit", "sqlmap")
STEPS = ("pip-audit", "bandit", "deploy", "sqlmap")

# Known vulnerabilities accepted after review: ID -> reason. Each one is also written up in docs/security.md.
ACCEPTED_VULNERABILITIES: dict[str, str] = {}

DEMO_USERS = {
    "manager": "manager.tang-hall@example.org",
    "mash": "mash.screener@example.org",
    "sf": "sf.officer@example.org",
    "analyst": "analyst@example.org",
    "ig": "ig.officer@example.org",
}
# Names a second-factor code field may have on the sign-in step that follows the password.
CODE_FIELDS = ("otp_token", "code", "token", "totp", "verification_code")


@dataclass(frozen=True)
class Target:
    """One page and the parameters sqlmap tests on it, each with an ordinary value to start from.

    The starting values must be accepted (no error on the page), or every payload would stop at the same error
    before any query: the scan checks this before running sqlmap, unless `refused_start` says why not.
    `family`: the address takes the uuid of a family the user can see. `fixed`: sent unchanged, not tested.
    Values may name `{last_month}` (2026-10) or `{quarter}` (2026-Q1), filled in on the day of the scan.
    POST targets are search forms: sqlmap takes a fresh CSRF token from the form page before each request."""

    url_name: str
    user: str
    params: dict[str, str]
    method: str = "GET"
    family: bool = False
    fixed: dict[str, str] = field(default_factory=dict)
    refused_start: bool = False  # the page shows an error for the starting values, yet runs its query first

    @property
    def label(self) -> str:
        return f"{self.url_name} ({self.method})"


SQLMAP_TARGETS: tuple[Target, ...] = (
    # Person search: posted with a CSRF token, results shown from the session after a redirect.
    Target(
        "cases:search",
        "manager",
        {
            "name": "Smith",
            "date_of_birth_0": "1",
            "date_of_birth_1": "6",
            "date_of_birth_2": "2015",
            "nhs_number": "",
            "postcode": "YO31 7TA",
        },
        method="POST",
    ),
    Target("cases:search", "manager", {"page": "1"}, fixed={"results": "1"}),
    Target("cases:family_list", "manager", {"team": "", "status": "active", "page": "1"}),
    Target("cases:note_list", "manager", {"kind": ""}, family=True),
    Target("cases:chronology", "manager", {"types": "note", "person": "", "order": "newest"}, family=True),
    Target("cases:team_caseload", "manager", {"worker": ""}),
    Target("cases:team_tasks", "manager", {"worker": "", "overdue": ""}),
    Target("reporting:dashboard", "manager", {"period": "{last_month}", "team": ""}),
    Target("reporting:dashboard_download", "manager", {"period": "{last_month}", "team": ""}, fixed={"format": "csv"}),
    Target("reporting:case_audits", "manager", {"kind": "", "grade": ""}),
    Target("reporting:case_audit_new", "manager", {"kind": "assessment_plan", "step": "1"}, family=True),
    Target(
        "reporting:training",
        "manager",
        {
            "course": "",
            "completed_from_0": "",
            "completed_from_1": "",
            "completed_from_2": "",
            "completed_to_0": "",
            "completed_to_1": "",
            "completed_to_2": "",
        },
    ),
    Target("locality:directory", "manager", {"text": "family", "local_area_team": "", "age": "", "need_category": ""}),
    # The MASH front door: the inbox filters and the posted check for an existing record.
    Target("referrals:inbox", "mash", {"status": "", "rag": "", "source": "", "overdue": "", "mine": ""}),
    Target(
        "referrals:contact_find",
        "mash",
        {
            "first_name": "Alex",
            "last_name": "Smith",
            "date_of_birth_0": "1",
            "date_of_birth_1": "6",
            "date_of_birth_2": "2015",
        },
        method="POST",
    ),
    Target("cases:sf_list", "sf", {"status": ""}),
    Target("cases:sf_return", "sf", {"quarter": "{quarter}", "format": "csv"}),
    Target("reporting:annex_a", "analyst", {"annex_list": "1", "ending": "{last_month}", "file_format": "csv"}),
    # The access log and information governance.
    Target("audit:family_access", "manager", {"user": "", "before": ""}, family=True),
    # An unknown reference is an error on the page, but only after the query that looked for it.
    Target("audit:access_log", "ig", {"reference": "EH-000001"}, refused_start=True),
    Target(
        "governance:break_glass_report",
        "ig",
        {
            "date_from_0": "1",
            "date_from_1": "1",
            "date_from_2": "2026",
            "date_to_0": "",
            "date_to_1": "",
            "date_to_2": "",
            "user": "",
        },
    ),
    Target("governance:retention_queue", "ig", {"status": ""}),
)

# Views that read the query string but are not scanned, and why. `--self-check` fails on a view that reads it
# and is in neither list, so a new filter cannot be missed silently.
PAGE_ONLY = "only `page`, read by Paginator.get_page as a page number (the same code is scanned on cases:family_list)"
NEXT_ONLY = "only `next`, an address to go on to, checked by url_has_allowed_host_and_scheme; no query reads it"
NOT_SCANNED: dict[str, str] = {
    "cases:allocation_queue": PAGE_ONLY,
    "cases:intervention_detail": PAGE_ONLY,
    "cases:my_actions": PAGE_ONLY,
    "cases:my_tasks": PAGE_ONLY,
    "cases:family_history": PAGE_ONLY,
    "cases:person_history": PAGE_ONLY,
    "cases:sf_register": "only `change=1`, compared with a constant to show the form again",
    "consent:disclosures": PAGE_ONLY,
    "documents:family_documents": PAGE_ONLY,
    "documents:team_plans": PAGE_ONLY,
    "referrals:mine": PAGE_ONLY,
    "reporting:my_audits": PAGE_ONLY,
    "governance:restrictions": "`due` compared with the constant '1', and `page`",
    "governance:retention_disposed": PAGE_ONLY,
    "governance:subject_access_list": PAGE_ONLY,
    "accounts:sessions": PAGE_ONLY,
    "accounts:signed_out": "only `reason`, shown only when it is one of a fixed set of reasons",
    "accounts:two_factor_code": NEXT_ONLY,
    "accounts:two_factor_enrol": NEXT_ONLY,
    "accounts:reauthenticate": NEXT_ONLY,
    "accounts:authenticator_replace": NEXT_ONLY,
    "accounts:backup_codes": NEXT_ONLY,
}

# What sqlmap prints once it has confirmed an injection (after its false-positive check), or found a lead worth a
# look. "appears to be ... injectable" alone is tentative: sqlmap checks it next and may call it a false positive.
SQLMAP_INJECTABLE = (
    re.compile(r"sqlmap identified the following injection point", re.IGNORECASE),
    re.compile(r"parameter '[^']+' is vulnerable", re.IGNORECASE),
)
SQLMAP_TENTATIVE = re.compile(
    r"appears to be .* injectable|might be injectable|false positive or unexploitable", re.IGNORECASE
)
SQLMAP_OTHER_FINDINGS = (
    re.compile(r"might be vulnerable to cross-site scripting", re.IGNORECASE),
    re.compile(r"might be vulnerable to file inclusion", re.IGNORECASE),
)
SQLMAP_CLEAN = re.compile(r"all tested parameters do not appear to be injectable", re.IGNORECASE)
SQLMAP_HTTP_ERRORS = re.compile(r"^(\d{3}) \([^)]*\) - (\d+) times", re.MULTILINE)


class ScanError(Exception):
    """A step could not be carried out (as opposed to a step that ran and found something)."""


@dataclass
class StepResult:
    name: str
    status: str  # PASS, FAIL, ERROR, WARN (passed with a caveat the caller allowed), SKIP
    summary: str
    details: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status in ("FAIL", "ERROR")


# --------------------------------------------------------------------------------------------------------------
# Processes and HTTP


CHILDREN: set[subprocess.Popen] = set()  # commands running now, stopped if the scan is interrupted


def run(cmd: list[str], *, env: dict | None = None, timeout: float = 600, cwd: Path = ROOT, log: Path | None = None):
    """Run one command with a fixed argument list (never a shell), capturing its output (written as it comes to
    `log` when given, so a long run can be followed)."""
    with open(log, "w+") if log else open(os.devnull, "w") as sink:
        process = subprocess.Popen(  # noqa: S603  # nosec B603  # argument lists built here from fixed names, no shell
            cmd,
            cwd=cwd,
            env=env,
            stdout=sink if log else subprocess.PIPE,
            stderr=subprocess.STDOUT if log else subprocess.PIPE,
            text=True,
        )
        CHILDREN.add(process)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            process.kill()
            process.communicate()
            raise
        finally:
            CHILDREN.discard(process)
        if log:
            sink.seek(0)
            stdout, stderr = sink.read(), ""
    return subprocess.CompletedProcess(cmd, process.returncode, stdout, stderr)


def stop_children() -> None:
    """Stop the commands this script started that are still running (and only those)."""
    for process in list(CHILDREN):
        if process.poll() is None:
            process.kill()


def manage(args: list[str], *, env: dict, timeout: float = 600):
    result = run([str(BIN / "python"), "manage.py", *args], env=env, timeout=timeout)
    if result.returncode != 0:
        raise ScanError(f"manage.py {args[0]} failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return result


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie jar and an opener for the local instance only (http://127.0.0.1)."""

    def __init__(self, base: str) -> None:
        if not base.startswith("http://127.0.0.1:"):
            raise ScanError(f"refusing to browse {base}: the scan only talks to its own local instance")
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.plain = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def open(self, path: str, data: dict | None = None, *, follow: bool = True) -> tuple[int, str, str]:
        """(status, final path, body) of a GET, or a POST when `data` is given (Referer set, as Django wants)."""
        url = urllib.parse.urljoin(self.base, path)
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers={"Referer": url})  # noqa: S310 (local http only)
        opener = self.opener if follow else self.plain
        try:
            with opener.open(request, timeout=60) as response:  # nosec B310  # the URL is always http://127.0.0.1
                final = urllib.parse.urlsplit(response.geturl())
                return (
                    response.status,
                    final.path + (f"?{final.query}" if final.query else ""),
                    response.read().decode(),
                )
        except urllib.error.HTTPError as error:
            final = urllib.parse.urlsplit(error.geturl() or url)
            return error.code, final.path, error.read().decode(errors="replace")

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.jar)


class _Forms(html.parser.HTMLParser):
    """Every <form> of a page: its action, method and fields (name -> value, first value kept)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower()})
            self.forms[-1]["fields"] = {}
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = attrs.get("name")
        if tag in ("input", "textarea") and name:
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                fields.setdefault(name, None)
            elif fields.get(name) is None:
                fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, None)
        elif tag == "option" and self._select and fields.get(self._select) is None and "selected" in attrs:
            fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def page_forms(body: str) -> list[dict]:
    parser = _Forms()
    parser.feed(body)
    return parser.forms


# --------------------------------------------------------------------------------------------------------------
# Step 1: pip-audit


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def constraint_pins() -> dict[str, str]:
    """Canonical package name -> pinned version, from constraints.txt."""
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[_canonical(name)] = version.strip()
    return pins


def latest_release_vulnerabilities(name: str, version: str) -> tuple[list[dict] | None, str]:
    """The known vulnerabilities of `name` `version` from PyPI's project JSON, which describes the latest release
    only, so None when `version` is not the latest; and a note of the latest release and the newest one in the
    pin's own series (5.2.x for 5.2.19), for a person to judge an unaudited pin by."""
    from packaging.version import InvalidVersion, Version

    url = f"https://pypi.org/pypi/{urllib.parse.quote(name)}/json"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310  # nosec B310  # a fixed https address
        data = json.load(response)
    latest = data["info"]["version"]
    if latest == version:
        return [v for v in data.get("vulnerabilities") or [] if not v.get("withdrawn")], ""
    try:
        pinned = Version(version)
        series = [
            parsed
            for parsed in (Version(v) for v in data.get("releases", {}) if re.fullmatch(r"[\d.]+", v))
            if parsed.release[:2] == pinned.release[:2]
        ]
    except InvalidVersion:
        series = []
    newest = max(series, default=None)
    in_series = f", newest {pinned.major}.{pinned.minor}.x {newest}" if newest is not None else ""
    return None, f"latest {latest}{in_series}"


def _accepted(vuln_id: str, aliases: list[str]) -> bool:
    return any(name in ACCEPTED_VULNERABILITIES for name in [vuln_id, *aliases])


def step_pip_audit(args, tmp: Path) -> StepResult:
    """pip-audit over constraints.txt. Where its feed has nothing for a pin (PyPI answers per-release questions
    with 404 on some networks), a pin that is the package's latest release is checked against the project JSON's
    list for the latest release; any pin still unchecked is an error unless --allow-audit-unavailable."""
    report = tmp / "pip-audit.json"
    cmd = [
        str(BIN / "pip-audit"),
        "--requirement",
        str(CONSTRAINTS),
        "--no-deps",
        "--disable-pip",
        "--vulnerability-service",
        args.audit_service,
        "--progress-spinner",
        "off",
        "--cache-dir",
        str(tmp / "pip-audit-cache"),
        "--format",
        "json",
        "--output",
        str(report),
    ]
    for vuln_id in ACCEPTED_VULNERABILITIES:
        cmd += ["--ignore-vuln", vuln_id]
    result = run(cmd, timeout=300)
    if not report.exists():
        return StepResult("pip-audit", "ERROR", "pip-audit did not run", [(result.stdout + result.stderr)[-2000:]])
    dependencies = json.loads(report.read_text()).get("dependencies", [])
    pins = constraint_pins()
    vulnerable, skipped, audited = [], [], 0
    for dep in dependencies:
        if "skip_reason" in dep:
            skipped.append(_canonical(dep["name"]))
            continue
        audited += 1
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
            aliases = ", ".join(vuln.get("aliases") or [])
            vulnerable.append(f"{dep['name']} {dep['version']}: {vuln['id']} ({aliases}) fixed in {fixes}")
    from_latest, unaudited = 0, []
    if skipped:

        def check(name: str) -> tuple[str, list[dict] | None, str]:
            try:
                return name, *latest_release_vulnerabilities(name, pins.get(name, ""))
            except (OSError, ValueError, KeyError):
                return name, None, "PyPI did not answer"

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            for name, vulns, note in pool.map(check, skipped):
                if vulns is None:
                    unaudited.append(f"{name} {pins.get(name, '?')} ({note})")
                    continue
                from_latest += 1
                for vuln in vulns:
                    if not _accepted(vuln["id"], vuln.get("aliases") or []):
                        fixes = ", ".join(vuln.get("fixed_in") or []) or "no fixed version"
                        vulnerable.append(f"{name} {pins[name]}: {vuln['id']} fixed in {fixes}")
    accepted = [f"accepted: {vuln_id}: {reason}" for vuln_id, reason in ACCEPTED_VULNERABILITIES.items()]
    counts = f"{len(dependencies)} pins: {audited} checked by pip-audit ({args.audit_service})"
    if skipped:
        counts += f", {from_latest} checked as the latest release"
    if vulnerable:
        return StepResult("pip-audit", "FAIL", f"{len(vulnerable)} known vulnerabilities; {counts}", vulnerable)
    if unaudited:
        status = "WARN" if args.allow_audit_unavailable else "ERROR"
        summary = f"{len(unaudited)} pins NOT AUDITED (no feed answered for them); {counts}; no known vulnerabilities"
        return StepResult("pip-audit", status, summary, [*(f"not audited: {line}" for line in unaudited), *accepted])
    return StepResult("pip-audit", "PASS", f"no known vulnerabilities; {counts}", accepted)


# --------------------------------------------------------------------------------------------------------------
# Step 2: bandit


NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
NOSEC_WELL_FORMED = re.compile(r"^\s+B\d{3}(?:\s*,\s*B\d{3})*\s+#\s*\S.{9,}")


def bandit_config() -> dict:
    return tomllib.loads(PYPROJECT.read_text()).get("tool", {}).get("bandit", {})


def bandit_files() -> list[Path]:
    """The Python files bandit reads, by the same exclusions (`exclude_dirs`, matched as substrings of ./path)."""
    excluded = bandit_config().get("exclude_dirs", [])
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = "./" + path.relative_to(ROOT).as_posix()
        if not any(pattern in relative for pattern in excluded):
            files.append(path)
    return files


def nosec_problems(paths: list[Path] | None = None) -> list[str]:
    """`# nosec` comments that do not name the test they silence and give a reason: `# nosec B123  # why`.
    (The reason goes after a second `#`: bandit would read words straight after `nosec` as test names.)"""
    problems = []
    for path in bandit_files() if paths is None else paths:
        with path.open("rb") as source:
            try:
                comments = [t for t in tokenize.tokenize(source.readline) if t.type == tokenize.COMMENT]
            except (tokenize.TokenError, SyntaxError):
                continue  # bandit reports files it cannot parse
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        for token in comments:
            match = NOSEC.search(token.string)
            if match and not NOSEC_WELL_FORMED.match(match.group("rest")):
                problems.append(f"{shown}:{token.start[0]}: write `# nosec B123  # the reason`")
    return problems


def step_bandit(args, tmp: Path) -> StepResult:
    if not bandit_config().get("exclude_dirs"):
        return StepResult("bandit", "ERROR", "pyproject.toml has no [tool.bandit] exclude_dirs")
    report = tmp / "bandit.json"
    cmd = [str(BIN / "bandit"), "-c", str(PYPROJECT), "-r", ".", "--severity-level", "low", "-f", "json"]
    result = run([*cmd, "-o", str(report), "-q"], timeout=300)
    if not report.exists():
        return StepResult("bandit", "ERROR", "bandit did not run", [(result.stdout + result.stderr)[-2000:]])
    data = json.loads(report.read_text())
    issues = [
        f"{issue['filename'].removeprefix('./')}:{issue['line_number']} {issue['test_id']} "
        f"{issue['issue_severity'].lower()}/{issue['issue_confidence'].lower()}: {issue['issue_text']}"
        for issue in data.get("results", [])
    ]
    errors = [f"{error['filename']}: {error['reason']}" for error in data.get("errors", [])]
    problems = nosec_problems()
    totals = data.get("metrics", {}).get("_totals", {})
    scanned = f"{totals.get('loc', '?')} lines in {len(data.get('metrics', {})) - 1} files"
    skipped = totals.get("skipped_tests", 0) + totals.get("nosec", 0)
    if issues or errors or problems:
        summary = f"{len(issues)} findings, {len(errors)} errors, {len(problems)} bad nosec comments ({scanned})"
        return StepResult("bandit", "FAIL", summary, issues + errors + problems)
    return StepResult("bandit", "PASS", f"no findings ({scanned}; {skipped} silenced by a reasoned # nosec)")


# --------------------------------------------------------------------------------------------------------------
# Step 3: check --deploy


def step_deploy(args, tmp: Path) -> StepResult:
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "earlyhelp.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://earlyhelp.example.org",
        "DATABASE_URL": f"sqlite:///{tmp / 'deploy-check.sqlite3'}",
    }
    result = run([str(BIN / "python"), "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=env)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        return StepResult("deploy", "FAIL", "check --deploy reported problems", output.splitlines()[-40:])
    return StepResult("deploy", "PASS", f"check --deploy --fail-level WARNING: {output.splitlines()[-1]}")


# --------------------------------------------------------------------------------------------------------------
# Step 4: sqlmap against a running local instance


class ScratchDatabase:
    """PostgreSQL when DATABASE_URL points to a PostgreSQL server (a database made for this run), else SQLite."""

    def __init__(self, tmp: Path, *, engine: str) -> None:
        self.tmp = tmp
        self.name: str | None = None
        self.server: dict | None = None
        configured = os.environ.get("DATABASE_URL", "")
        self.postgres = engine == "postgres" or (engine == "auto" and configured.startswith(("postgres", "pgsql")))
        if self.postgres and not configured.startswith(("postgres", "pgsql")):
            raise ScanError("--database postgres needs DATABASE_URL to point to a PostgreSQL server")
        self.configured = configured

    def __enter__(self) -> ScratchDatabase:
        if not self.postgres:
            self.url = f"sqlite:///{self.tmp / 'scan.sqlite3'}"
            self.dbms = "SQLite"
            return self
        import dj_database_url
        import psycopg2

        settings = dj_database_url.parse(self.configured)
        self.server = {
            "host": settings.get("HOST") or "127.0.0.1",
            "port": settings.get("PORT") or 5432,
            "user": settings.get("USER") or "postgres",
            "password": settings.get("PASSWORD") or None,
        }
        self.name = f"earlyhelp_scan_{secrets.token_hex(4)}"
        connection = psycopg2.connect(dbname="postgres", connect_timeout=5, **self.server)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{self.name}"')
        connection.close()
        parts = urllib.parse.urlsplit(self.configured)
        self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{self.name}", "", ""))
        self.dbms = "PostgreSQL"
        return self

    def __exit__(self, *exc) -> None:
        if not self.name:
            return
        import psycopg2

        connection = psycopg2.connect(dbname="postgres", connect_timeout=5, **self.server)
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        connection.close()


class Server:
    """gunicorn serving the app on 127.0.0.1 in its own process group, stopped (that group only) on exit."""

    def __init__(self, env: dict, tmp: Path, *, concurrent: bool) -> None:
        self.env, self.tmp = env, tmp
        # SQLite takes one writer at a time: one worker and one thread, so requests queue instead of failing.
        self.workers, self.threads = (2, 2) if concurrent else (1, 1)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
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
            "120",
            "--access-logfile",
            str(self.tmp / "access.log"),
            "--access-logformat",
            '%(s)s %(m)s "%(U)s"',
            "--error-logfile",
            str(self.tmp / "server.log"),
            "--capture-output",
        ]
        self.process = subprocess.Popen(  # noqa: S603  # nosec B603  # fixed argument list, no shell
            cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ScanError(f"the server stopped at start:\n{self.log_tail()}")
            try:
                status, _, _ = Browser(self.base).open("/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        raise ScanError(f"the server did not answer /healthz within 60 s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        log = self.tmp / "server.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the group this script started, nothing else
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def last_error(self) -> str:
        """The last line of the last traceback in the server's log (the exception), or ""."""
        lines = [line for line in self.log_tail().splitlines() if line and not line.startswith((" ", "Traceback"))]
        return lines[-1] if lines else ""

    def server_errors(self) -> dict[str, int]:
        """Paths answered with a 5xx status, and how often (from the access log)."""
        counts: dict[str, int] = {}
        log = self.tmp / "access.log"
        for line in log.read_text(errors="replace").splitlines() if log.exists() else []:
            status, _, rest = line.partition(" ")
            if status.startswith("5"):
                path = rest.split('"')[1] if '"' in rest else rest
                counts[path] = counts.get(path, 0) + 1
        return counts


OTP_SNIPPET = """
import json, time
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
device = TOTPDevice.objects.filter(user__email={email!r}).order_by("-confirmed", "-id").first()
if device is None:
    print(json.dumps(None))
else:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    print(json.dumps({{"code": f"{{totp.token():0{{device.digits}}d}}", "t": totp.t(), "last_t": device.last_t,
                      "step": device.step}}))
"""


def totp_code(email: str, env: dict) -> str:
    """The user's current TOTP code, computed from their device; waits for the next step if this one's code has
    been used (a replayed code is refused)."""
    for _ in range(3):
        result = manage(["shell", "--no-imports", "-c", OTP_SNIPPET.format(email=email)], env=env, timeout=120)
        answer = json.loads(result.stdout.strip().splitlines()[-1])
        if answer is None:
            raise ScanError(f"the sign-in page asks {email} for a code, but they have no authenticator device")
        if answer["t"] > answer["last_t"]:
            return answer["code"]
        time.sleep(answer["step"] - time.time() % answer["step"] + 1)
    raise ScanError(f"could not get an unused code for {email}")


def sign_in(browser: Browser, email: str, password: str, env: dict) -> list[str]:
    """Sign in through the real pages: the password, then a second-factor code if the next page asks for one.
    Returns the steps taken."""
    status, path, body = browser.open("/accounts/sign-in/")
    form = next((f for f in page_forms(body) if "username" in f["fields"]), None)
    if status != 200 or form is None:
        raise ScanError(f"no sign-in form at /accounts/sign-in/ (status {status})")
    data = {k: v for k, v in form["fields"].items() if v is not None}
    data.update(username=email, password=password)
    status, path, body = browser.open(form["action"] or "/accounts/sign-in/", data)
    steps = ["password"]
    for _ in range(3):
        code_form = next(
            (f for f in page_forms(body) if f["method"] == "post" and any(n in f["fields"] for n in CODE_FIELDS)),
            None,
        )
        if code_form is None:
            break
        field_name = next(n for n in CODE_FIELDS if n in code_form["fields"])
        data = {k: v for k, v in code_form["fields"].items() if v is not None}
        data[field_name] = totp_code(email, env)
        status, path, body = browser.open(code_form["action"] or path, data)
        steps.append(f"second-factor code ({field_name})")
    status, path, body = browser.open("/")
    if status != 200 or path != "/":
        raise ScanError(f"signing in as {email} did not reach the home page (ended at {path}, status {status})")
    return steps


def signed_in(browser: Browser) -> bool:
    status, path, _ = browser.open("/", follow=False)
    return status == 200 and path == "/"


ERROR_SUMMARY = re.compile(r"class=\"govuk-error-summary\"|govuk-form-group--error")
FIRST_ERROR = re.compile(r"govuk-error-summary__list.*?<a[^>]*>(.*?)</a>", re.DOTALL)


def preflight(target: Target, path: str, browser: Browser, server: Server, keep_in: Path | None = None) -> str:
    """Why sqlmap cannot usefully run on `target` ("" when it can): the page must answer 200 to its user, have the
    fields (a posted form), and accept the starting values."""
    status, _, body = browser.open(path, follow=False)
    if status != 200:
        return f"{path} answers {status}" + (f": {server.last_error()}" if status >= 500 else "")
    if target.method == "POST":
        form = next(
            (f for f in page_forms(body) if f["method"] == "post" and target.params.keys() <= f["fields"].keys()),
            None,
        )
        if form is None:
            return f"no form on {path} with the fields {', '.join(target.params)}"
        data = {k: v for k, v in form["fields"].items() if v is not None} | filled(target.params, date.today())
        status, _, body = browser.open(form["action"] or path, data, follow=False)
        if status == 302:
            return ""
        if status != 200:
            return f"posting the starting values to {path} answers {status}"
    if keep_in is not None:  # for reading with --keep
        keep_in.mkdir(exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", f"{target.url_name}-{target.method}".lower())
        (keep_in / f"{slug}.html").write_text(body)
    if not target.refused_start and ERROR_SUMMARY.search(body):
        found = FIRST_ERROR.search(body)
        message = re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip() if found else "an error"
        return f"the starting values are refused ({message}): choose values the page accepts"
    return ""


def sqlmap_verdict(output: str) -> tuple[str, list[str]]:
    """(verdict, notes) from sqlmap's console output: INJECTABLE, FINDING (another vulnerability sqlmap noticed),
    CLEAN, or INCONCLUSIVE (sqlmap did not say)."""
    notes = [line.strip() for line in output.splitlines() if SQLMAP_TENTATIVE.search(line)]
    notes += [f"HTTP {code}: {count} times" for code, count in SQLMAP_HTTP_ERRORS.findall(output)]
    if any(pattern.search(output) for pattern in SQLMAP_INJECTABLE):
        start = output.lower().find("sqlmap identified")
        report = output[start:].strip().splitlines()[:40] if start >= 0 else []
        return "INJECTABLE", notes + report
    other = [line.strip() for line in output.splitlines() if any(p.search(line) for p in SQLMAP_OTHER_FINDINGS)]
    if other:
        return "FINDING", other + notes
    if SQLMAP_CLEAN.search(output):
        return "CLEAN", notes
    return "INCONCLUSIVE", notes + output.strip().splitlines()[-8:]


@dataclass
class TargetRun:
    target: Target
    url: str
    verdict: str = "NOT RUN"
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def sqlmap_command(run_: TargetRun, cookie: str, args, dbms: str, out: Path) -> list[str]:
    target = run_.target
    cmd = [
        str(BIN / "sqlmap"),
        "--batch",
        "--flush-session",
        "--disable-coloring",
        "--output-dir",
        str(out),
        "--cookie",
        cookie,
        "--drop-set-cookie",
        "--level",
        str(args.level),
        "--risk",
        str(args.risk),
        "--dbms",
        dbms,
        "--timeout",
        "30",
        "--retries",
        "2",
        "-p",
        ",".join(target.params),
    ]
    if target.method == "POST":
        data = {"csrfmiddlewaretoken": "", **filled(target.params, date.today())}
        cmd += [
            "-u",
            run_.url,
            "--data",
            urllib.parse.urlencode(data),
            "--csrf-token",
            "csrfmiddlewaretoken",
            "--csrf-url",
            run_.url,
        ]
    else:
        cmd += ["-u", run_.url]
    return cmd


def filled(values: dict[str, str], today: date) -> dict[str, str]:
    """`values` with `{last_month}` and `{quarter}` replaced by ones valid on `today`."""
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    quarter = f"{today.year}-Q1"
    return {key: value.format(last_month=last_month, quarter=quarter) for key, value in values.items()}


def target_path(target: Target, paths: dict[str, str], family: str) -> str:
    path = paths[target.url_name].replace("00000000-0000-0000-0000-000000000000", family)
    if target.method == "POST":
        return path
    return f"{path}?{urllib.parse.urlencode(filled({**target.fixed, **target.params}, date.today()))}"


PATHS_SNIPPET = """
import json
from django.urls import reverse
names = {names!r}
placeholder = "00000000-0000-0000-0000-000000000000"
paths = {{}}
for name in names:
    try:
        paths[name] = reverse(name)
    except Exception:
        paths[name] = reverse(name, kwargs={{"uuid": placeholder}})
print(json.dumps(paths))
"""


def step_sqlmap(args, tmp: Path) -> StepResult:
    env = {
        **os.environ,
        "DJANGO_ENV": "local",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "MEDIA_ROOT": str(tmp / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "HOME": str(tmp / "home"),  # sqlmap keeps its history under $HOME: keep it in the run's directory
    }
    (tmp / "home").mkdir()
    chosen = {name.strip() for name in args.targets.split(",") if name.strip()}
    targets = [t for t in SQLMAP_TARGETS if not chosen or t.url_name in chosen]
    if not targets:
        raise ScanError(f"no sqlmap target is named {args.targets}")
    details: list[str] = []
    started = time.monotonic()
    with ScratchDatabase(tmp, engine=args.database) as database:
        env["DATABASE_URL"] = database.url
        details.append(f"database: {database.dbms} scratch database, demo data with --families {args.families}")
        manage(["migrate", "--noinput", "-v", "0"], env=env, timeout=900)
        seeded = manage(["seed_demo", "--families", str(args.families)], env=env, timeout=900).stdout
        password = re.search(r"Password: (\S+)", seeded)
        if password is None:
            raise ScanError(f"seed_demo did not print the demo password:\n{seeded[-1000:]}")
        names = sorted({t.url_name for t in targets} | {"cases:family_list"})
        paths = json.loads(
            manage(["shell", "--no-imports", "-c", PATHS_SNIPPET.format(names=names)], env=env).stdout.splitlines()[-1]
        )
        details.append(f"set up in {time.monotonic() - started:.0f} s")
        with Server(env, tmp, concurrent=database.postgres) as server:
            browsers: dict[str, Browser] = {}
            for key in sorted({t.user for t in targets}):
                browsers[key] = Browser(server.base)
                steps = sign_in(browsers[key], DEMO_USERS[key], password.group(1), env)
                details.append(f"signed in as {DEMO_USERS[key]}: {' then '.join(steps)}")
            family = ""
            if any(t.family for t in targets):
                _, _, body = browsers["manager"].open(paths["cases:family_list"])
                found = re.search(r'href="/families/([0-9a-f-]{36})/"', body)
                if not found:
                    raise ScanError("the LAT manager sees no family: raise --families")
                family = found.group(1)
            runs, unreachable = [], []
            for target in targets:
                path = target_path(target, paths, family)
                problem = preflight(target, path, browsers[target.user], server, tmp / "pages")
                run_ = TargetRun(target, server.base + path)
                if problem:
                    run_.verdict, run_.notes = "UNREACHABLE", [problem]
                    unreachable.append(run_)
                else:
                    runs.append(run_)

            for run_ in runs if args.dry_run else []:
                run_.verdict = "READY"  # checked, not scanned

            def one(run_: TargetRun) -> TargetRun:
                slug = re.sub(r"[^a-z0-9]+", "-", f"{run_.target.url_name}-{run_.target.method}".lower())
                out = tmp / "sqlmap" / slug
                cookie = browsers[run_.target.user].cookie_header()
                cmd = sqlmap_command(run_, cookie, args, database.dbms, out)
                began = time.monotonic()
                out.mkdir(parents=True)
                try:
                    result = run(cmd, env=env, timeout=args.target_timeout, log=out / "console.txt")
                except subprocess.TimeoutExpired:
                    run_.seconds = time.monotonic() - began
                    run_.verdict, run_.notes = "INCONCLUSIVE", [f"stopped after {args.target_timeout} s"]
                    return run_
                run_.seconds = time.monotonic() - began
                run_.verdict, run_.notes = sqlmap_verdict(result.stdout + result.stderr)
                if not signed_in(browsers[run_.target.user]):
                    run_.verdict, run_.notes = "INCONCLUSIVE", ["the session was signed out during the run"]
                print(f"  sqlmap {run_.target.label}: {run_.verdict} in {run_.seconds:.0f} s", flush=True)
                return run_

            with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
                try:
                    list(pool.map(one, [] if args.dry_run else runs))
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    stop_children()
                    raise
            server_errors = server.server_errors()
    runs = unreachable + runs
    tested = sum(len(r.target.params) for r in runs if r.verdict != "UNREACHABLE")
    bad = [r for r in runs if r.verdict not in ("CLEAN", "READY")]
    for r in runs:
        line = f"{r.verdict:<12} {r.target.label} {', '.join(r.target.params)} ({r.seconds:.0f} s)"
        details.append(line)
        details += [f"    {note}" for note in r.notes]
    for path, count in sorted(server_errors.items()):
        details.append(f"server error (5xx) {count} times on {path}")
    summary = (
        f"{tested} parameters on {len(runs)} pages, level {args.level} risk {args.risk}, "
        f"{time.monotonic() - started:.0f} s in all"
    )
    if bad or server_errors:
        kinds = sorted({r.verdict for r in bad} | ({"server errors"} if server_errors else set()))
        return StepResult("sqlmap", "FAIL", f"{summary}: {', '.join(kinds)}", details)
    return StepResult("sqlmap", "PASS", f"{summary}: none injectable, no server errors", details)


# --------------------------------------------------------------------------------------------------------------
# Self-check


def _pins() -> dict[str, str]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    declared = project.get("dependencies", []) + project.get("optional-dependencies", {}).get("dev", [])
    return {name.lower(): version for name, _, version in (d.partition("==") for d in declared)}


def query_string_views() -> dict[str, str]:
    """URL name -> view, for the project's views whose code (or a helper in their module) reads request.GET."""
    import inspect

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "earlyhelp.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.urls import URLPattern, URLResolver, get_resolver

    packages = tuple(
        p.rstrip("*") for p in tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    )
    readers: dict[str, set[str]] = {}

    def module_readers(module) -> set[str]:
        if module.__name__ not in readers:
            names = set()
            for name, member in vars(module).items():
                if inspect.isfunction(member) and member.__module__ == module.__name__:
                    try:
                        source = inspect.getsource(member)
                    except (OSError, TypeError):
                        continue
                    if "request.GET" in source:
                        names.add(name)
            readers[module.__name__] = names
        return readers[module.__name__]

    found: dict[str, str] = {}

    def walk(resolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, ":".join(filter(None, [namespace, pattern.namespace])))
                continue
            if not isinstance(pattern, URLPattern) or not pattern.name:
                continue
            view = inspect.unwrap(pattern.callback)
            module = sys.modules.get(getattr(view, "__module__", ""))
            if module is None or not module.__name__.startswith(packages) or not inspect.isfunction(view):
                continue
            source = inspect.getsource(view)
            helpers = module_readers(module) - {view.__name__}
            if "request.GET" in source or any(re.search(rf"\b{h}\(request\b", source) for h in helpers):
                found[f"{namespace}:{pattern.name}" if namespace else pattern.name] = (
                    f"{module.__name__}.{view.__name__}"
                )

    walk(get_resolver(), "")
    return found


def self_check(args, tmp: Path) -> list[StepResult]:
    results = []
    pins, problems = _pins(), []
    from importlib.metadata import PackageNotFoundError, version

    for tool in SCANNERS:
        if not pins.get(tool):
            problems.append(f"{tool} is not pinned (==) in pyproject.toml")
            continue
        try:
            installed = version(tool)
        except PackageNotFoundError:
            problems.append(f"{tool} is not installed in {BIN.parent}")
            continue
        if installed != pins[tool]:
            problems.append(f"{tool} {installed} is installed, {pins[tool]} is pinned")
        if not (BIN / tool).exists():
            problems.append(f"{BIN / tool} is missing")
    results.append(StepResult("tools", "FAIL" if problems else "PASS", "scanners pinned and installed", problems))
    results.append(step_bandit(args, tmp))
    readers = query_string_views()
    targeted = {t.url_name for t in SQLMAP_TARGETS}
    read_targets = {t.url_name for t in SQLMAP_TARGETS if t.method == "GET"}
    missing = sorted(set(readers) - targeted - set(NOT_SCANNED))
    stale = sorted((read_targets | set(NOT_SCANNED)) - set(readers))
    problems = [
        f"{name} ({readers[name]}) reads the query string: add it to SQLMAP_TARGETS or NOT_SCANNED "
        "(with a reason) in scripts/security_scan.py"
        for name in missing
    ]
    problems += [
        f"{name} is listed in scripts/security_scan.py but no such view reads the query string" for name in stale
    ]
    problems += [f"{t.label}: unknown demo user {t.user!r}" for t in SQLMAP_TARGETS if t.user not in DEMO_USERS]
    results.append(
        StepResult(
            "sqlmap targets",
            "FAIL" if problems else "PASS",
            f"{len(readers)} views read the query string: {len(targeted)} scanned, {len(NOT_SCANNED)} listed as not",
            problems,
        )
    )
    return results


# --------------------------------------------------------------------------------------------------------------


def print_summary(results: list[StepResult], began: datetime, *, verbose: bool) -> None:
    print()
    print(f"Security scan summary ({began:%Y-%m-%d %H:%M} UTC, {(datetime.now(UTC) - began).seconds} s)")
    for result in results:
        print(f"  {result.name:<15} {result.status:<5} {result.summary}")
        if verbose or result.status != "PASS":
            for line in result.details:
                print(f"      {line}")
    failed = [r.name for r in results if r.failed]
    print(f"Result: {'FAIL (' + ', '.join(failed) + ')' if failed else 'PASS'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--self-check", action="store_true", help="fast checks of the scan's own set-up (no network)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, from {', '.join(STEPS)}")
    parser.add_argument("--audit-service", default="pypi", choices=["pypi", "osv"], help="pip-audit's feed")
    parser.add_argument(
        "--allow-audit-unavailable",
        action="store_true",
        help="pass with a warning when the vulnerability feed cannot be reached (known vulnerabilities still fail)",
    )
    parser.add_argument("--database", default="auto", choices=["auto", "sqlite", "postgres"])
    parser.add_argument("--families", type=int, default=4, help="demo families to seed (default 4)")
    parser.add_argument("--level", type=int, default=2, choices=range(1, 6), help="sqlmap --level (default 2)")
    parser.add_argument("--risk", type=int, default=1, choices=range(1, 4), help="sqlmap --risk (default 1)")
    parser.add_argument("--jobs", type=int, default=2, help="sqlmap processes at once (default 2)")
    parser.add_argument("--target-timeout", type=int, default=600, help="seconds allowed for one page (default 600)")
    parser.add_argument("--dry-run", action="store_true", help="set up, sign in and check the pages; no sqlmap")
    parser.add_argument("--targets", default="", help="sqlmap only these URL names (comma-separated), to retry one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, sqlmap output)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every detail, passes included")
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = set(steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    began = datetime.now(UTC)
    tmp = Path(tempfile.mkdtemp(prefix="earlyhelp-security-"))
    results: list[StepResult] = []
    try:
        if args.self_check:
            results = self_check(args, tmp)
        else:
            functions = {"pip-audit": step_pip_audit, "bandit": step_bandit, "deploy": step_deploy}
            functions["sqlmap"] = step_sqlmap
            for step in steps:
                print(f"== {step}", flush=True)
                try:
                    results.append(functions[step](args, tmp))
                except (ScanError, subprocess.TimeoutExpired) as error:
                    results.append(StepResult(step, "ERROR", str(error).splitlines()[0], str(error).splitlines()[1:]))
                print(f"   {results[-1].status} {results[-1].summary}", flush=True)
    except KeyboardInterrupt:
        results.append(StepResult("interrupted", "ERROR", "stopped before the end"))
    finally:
        if args.keep:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_summary(results, began, verbose=args.verbose)
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
