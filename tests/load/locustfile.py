"""The load test's simulated users (locust): practitioners who sign in through the real pages and then read, search
and write in a 70/20/10 mix. `python -m tests.load.run` starts gunicorn, writes the plan this file reads and runs
locust on it; this file is not meant to be pointed at anything else.

The plan (a JSON file named by LOAD_PLAN) holds one account per simulated user, each a different user with a
confirmed authenticator app (django-otp refuses a code used twice in the same 30-second step, so two simulated
users never share an account), and, for each, what that user may see: family uuids, people's names and dates of
birth to search for, the families it may write a note for or the children it may flag a concern about.

Every request is named after its kind and page ("read: family page", "search: submit", "write: case note save",
"sign-in: code") and fails unless it answers as a browser expects: 200 for a page, a redirect to the right place
after a form is saved. Requests never follow redirects, so a user signed out by the server (a redirect to the
sign-in page) is a failure too.

Two phases are measured apart. First the LOAD_USERS users sign in, as fast as locust starts them; the moment the
last has signed in (or failed to), that phase's figures are kept and locust's statistics start again, and the
users work for LOAD_MEASURE_SECONDS more before locust stops them. Both phases' figures (per request name and
aggregated, with every failure) and the tasks run by kind are written to LOAD_RESULTS when locust quits, for
run.py to report and check. (Importing locust monkey-patches the process with gevent: never import this file from
Django or pytest.)
"""

import hashlib
import hmac
import json
import os
import random
import re
import struct
import time
from collections import Counter
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import gevent
from locust import FastHttpUser, between, events, task
from locust.stats import StatsError

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text(encoding="utf-8")) if os.environ.get("LOAD_PLAN") else {}
ACCOUNTS = list(PLAN.get("accounts", []))
USERS = int(os.environ.get("LOAD_USERS") or 0)
MEASURE_SECONDS = float(os.environ.get("LOAD_MEASURE_SECONDS") or 0)
STATE: dict = {"started": time.time(), "signed_in": 0, "sign_in_failed": 0, "tasks": Counter(), "phases": {}}
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NOTE = re.compile(r"^/notes/[0-9a-f-]{36}/$")

# Which page a read task opens, with its weight, by the kind of account.
CASEWORK_READS = (("home", 15), ("family list", 15), ("family page", 35), ("caseload", 15), ("chronology", 20))
MASH_READS = (("home", 10), ("MASH inbox", 35), ("family list", 10), ("family page", 30), ("chronology", 15))


def totp_code(*, key: str, step: int, t0: int, digits: int, drift: int, at: float) -> tuple[str, int]:
    """The RFC 6238 code of the hex `key` at time `at` (as django-otp's TOTPDevice computes it), and its time step."""
    counter = int((at - t0) // step) + drift
    digest = hmac.new(bytes.fromhex(key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{value:0{digits}d}", counter


def typo(name: str, rng: random.Random) -> str:
    """`name` as someone might mistype it: two letters of the surname swapped, or one doubled or dropped."""
    first, _, last = name.rpartition(" ")
    if len(last) < 4:
        return name
    at = rng.randrange(1, len(last) - 2)
    mistake = rng.choice(("swap", "double", "drop"))
    if mistake == "swap":
        last = last[:at] + last[at + 1] + last[at] + last[at + 2 :]
    elif mistake == "double":
        last = last[: at + 1] + last[at] + last[at + 1 :]
    else:
        last = last[:at] + last[at + 1 :]
    return f"{first} {last}".strip()


class Practitioner(FastHttpUser):
    """One signed-in user of the service. Think time between tasks: LOAD_WAIT_MIN to LOAD_WAIT_MAX seconds."""

    wait_time = between(float(os.environ.get("LOAD_WAIT_MIN", "2")), float(os.environ.get("LOAD_WAIT_MAX", "8")))
    # A page slower than this is a failure in itself (the server is stuck, not slow).
    network_timeout = 60.0
    connection_timeout = 60.0

    def on_start(self) -> None:
        self.account = ACCOUNTS.pop(0) if ACCOUNTS else None
        self.rng = random.Random(self.account["email"] if self.account else 0)
        # A user who could not sign in (a failure already recorded) stays idle: its tasks do nothing.
        self.signed_in = self.account is not None and self.sign_in()
        STATE["signed_in" if self.signed_in else "sign_in_failed"] += 1
        if STATE["signed_in"] + STATE["sign_in_failed"] == USERS:
            _measure_from_now(self.environment)

    # -- HTTP ---------------------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, name: str, *, data: dict | None = None, redirect_to=None):
        """One request, never following a redirect. Expect 200, or with `redirect_to` (a path, a compiled pattern or
        a function of the path) a redirect there. Returns the response, or None when it failed."""
        kwargs = {"name": name, "catch_response": True, "allow_redirects": False}
        if data is not None:
            kwargs |= {"data": urlencode(data, doseq=True), "headers": FORM_HEADERS}
        with self.client.request(method, path, **kwargs) as response:
            status = response.status_code
            location = urlsplit(response.headers.get("Location", "") if response.headers else "").path
            if redirect_to is None:
                if status == 200:
                    response.success()
                    return response
                where = f" to {location}" if status in (301, 302, 303) else ""
                response.failure(f"{name}: expected 200, got {status}{where}")
                return None
            if status in (302, 303) and _matches(location, redirect_to):
                response.success()
                return response
            if status in (302, 303):
                response.failure(f"{name}: expected a redirect to {_describe(redirect_to)}, got one to {location}")
            elif status == 200:
                response.failure(f"{name}: the form was shown again (refused) instead of saved")
            else:
                response.failure(f"{name}: expected a redirect to {_describe(redirect_to)}, got {status}")
            return None

    def get(self, path: str, name: str):
        return self._request("GET", path, name)

    def post(self, path: str, name: str, data: dict, *, redirect_to):
        return self._request("POST", path, name, data=data, redirect_to=redirect_to)

    @staticmethod
    def csrf(response) -> str:
        found = CSRF.search(response.text or "")
        return found.group(1) if found else ""

    # -- Signing in ---------------------------------------------------------------------------------------------

    def sign_in(self) -> bool:
        """The password page, then the code from the account's authenticator app, as a browser would."""
        page = self.get("/accounts/sign-in/", "sign-in: form")
        if page is None:
            return False
        data = {
            "csrfmiddlewaretoken": self.csrf(page),
            "next": "",
            "username": self.account["email"],
            "password": PLAN["password"],
        }
        if self.post("/accounts/sign-in/", "sign-in: password", data, redirect_to="/accounts/two-factor/") is None:
            return False
        page = self.get("/accounts/two-factor/", "sign-in: code form")
        if page is None:
            return False
        code = self.code_unused()
        data = {"csrfmiddlewaretoken": self.csrf(page), "next": "", "code": code}
        return self.post("/accounts/two-factor/", "sign-in: code", data, redirect_to="/") is not None

    def code_unused(self) -> str:
        """The app's code now, or at the next time step if this step's code was used already (a replay is
        refused)."""
        device = self.account["totp"]
        while True:
            parameters = {name: device[name] for name in ("key", "step", "t0", "digits", "drift")}
            code, counter = totp_code(at=time.time(), **parameters)
            if counter > device["last_t"]:
                device["last_t"] = counter
                return code
            gevent.sleep(device["step"] - (time.time() - device["t0"]) % device["step"] + 0.5)

    # -- The mix: 70% reads, 20% searches, 10% writes -----------------------------------------------------------

    @task(70)
    def read(self) -> None:
        if not self.signed_in:
            return
        STATE["tasks"]["read"] += 1
        reads = MASH_READS if self.account["kind"] == "mash" else CASEWORK_READS
        page = self.rng.choices([name for name, _ in reads], weights=[weight for _, weight in reads])[0]
        family = self.rng.choice(self.account["families"])
        if page == "home":
            self.get("/", "read: home")
        elif page == "family list":
            pages = max(1, -(-self.account["family_count"] // PLAN["families_per_page"]))
            number = 1 if self.rng.random() < 0.7 else self.rng.randint(1, min(pages, 5))
            self.get("/families/" + (f"?page={number}" if number > 1 else ""), "read: family list")
        elif page == "family page":
            self.get(f"/families/{family}/", "read: family page")
        elif page == "caseload":
            self.get("/work/caseload/", "read: caseload")
        elif page == "chronology":
            self.get(f"/families/{family}/chronology/", "read: chronology")
        else:
            self.get("/mash/", "read: MASH inbox")

    @task(20)
    def search(self) -> None:
        """Name and date of birth of someone the user may see, mistyped one time in three; the results page."""
        if not self.signed_in:
            return
        STATE["tasks"]["search"] += 1
        person = self.rng.choice(self.account["people"])
        form = self.get("/families/search/", "search: form")
        if form is None:
            return
        born = date.fromisoformat(person["date_of_birth"])
        name = typo(person["name"], self.rng) if self.rng.random() < 1 / 3 else person["name"]
        data = {
            "csrfmiddlewaretoken": self.csrf(form),
            "name": name,
            "date_of_birth_0": str(born.day),
            "date_of_birth_1": str(born.month),
            "date_of_birth_2": str(born.year),
            "nhs_number": "",
            "postcode": "",
        }
        if self.post("/families/search/", "search: submit", data, redirect_to="/families/search/") is not None:
            self.get("/families/search/?results=1", "search: results")

    @task(10)
    def write(self) -> None:
        if not self.signed_in:
            return
        STATE["tasks"]["write"] += 1
        if self.account["kind"] == "mash":
            self.concern_flag()
        else:
            self.case_note()

    def case_note(self) -> None:
        """A case note for a family the user may write to, through the form; then the note's page."""
        family = self.rng.choice(self.account["write_families"])
        form = self.get(f"/families/{family}/notes/new/", "write: case note form")
        if form is None:
            return
        today = date.today()
        data = {
            "csrfmiddlewaretoken": self.csrf(form),
            "kind": self.rng.choice(PLAN["note_kinds"]),
            "happened_on_0": str(today.day),
            "happened_on_1": str(today.month),
            "happened_on_2": str(today.year),
            "text": "Load test note: phoned the family to arrange the next visit. Synthetic text.",
            "lock_version": "",
        }
        saved = self.post(f"/families/{family}/notes/new/", "write: case note save", data, redirect_to=NOTE)
        if saved is not None:
            self.get(urlsplit(saved.headers["Location"]).path, "write: case note page")

    def concern_flag(self) -> None:
        """The MASH flags a concern about a child it may see (no narrative); then the child's page."""
        person = self.rng.choice(self.account["flag_people"])
        form = self.get(f"/people/{person}/concern-flags/", "write: concern flag form")
        if form is None:
            return
        today = date.today()
        data = {
            "csrfmiddlewaretoken": self.csrf(form),
            "category": self.rng.choice(PLAN["flag_categories"]),
            "raised_on_0": str(today.day),
            "raised_on_1": str(today.month),
            "raised_on_2": str(today.year),
        }
        target = f"/people/{person}/"
        saved = self.post(f"/people/{person}/concern-flags/", "write: concern flag save", data, redirect_to=target)
        if saved is not None:
            self.get(target, "write: person page")


def _matches(location: str, expected) -> bool:
    if isinstance(expected, str):
        return location == expected
    if isinstance(expected, re.Pattern):
        return bool(expected.match(location))
    return bool(expected(location))


def _describe(expected) -> str:
    return expected if isinstance(expected, str) else getattr(expected, "pattern", "the saved record")


def _phase(stats, *, seconds: float) -> dict:
    """Locust's figures for a phase: per request name and aggregated (times in ms), and the failures."""

    def row(entry, name: str, method: str) -> dict:
        measured = entry.num_requests > 0
        return {
            "name": name,
            "method": method,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": entry.num_requests / seconds if seconds else 0.0,
            "p50": entry.get_response_time_percentile(0.5) if measured else None,
            "p95": entry.get_response_time_percentile(0.95) if measured else None,
            "max": entry.max_response_time if measured else None,
            "mean": entry.avg_response_time if measured else None,
        }

    return {
        "seconds": seconds,
        "requests": [
            row(entry, name, method)
            for (name, method), entry in sorted(stats.entries.items())
            if entry.num_requests or entry.num_failures
        ],
        "aggregated": row(stats.total, "Aggregated", ""),
        "failures": [
            {"method": e.method, "name": e.name, "error": StatsError.parse_error(e.error), "occurrences": e.occurrences}
            for e in stats.errors.values()
        ],
        "tasks": dict(STATE["tasks"]),
    }


def _measure_from_now(environment) -> None:
    """Every user has signed in (or failed to): keep the sign-in phase's figures, start the statistics again, and
    stop the users MEASURE_SECONDS from now."""
    now = time.time()
    STATE["phases"]["sign-in"] = _phase(environment.stats, seconds=now - STATE["started"])
    environment.stats.reset_all()
    STATE["tasks"].clear()
    STATE["measuring_since"] = now
    gevent.spawn_later(MEASURE_SECONDS, environment.runner.quit)


@events.quitting.add_listener
def _results_write(environment, **kwargs) -> None:
    """When locust quits (every user stopped): both phases' figures, to LOAD_RESULTS."""
    now = time.time()
    if "measuring_since" in STATE:
        STATE["phases"]["measured"] = _phase(environment.stats, seconds=now - STATE["measuring_since"])
    else:  # stopped before every user had signed in
        STATE["phases"]["sign-in"] = _phase(environment.stats, seconds=now - STATE["started"])
    path = os.environ.get("LOAD_RESULTS")
    if path:
        results = {"signed_in": STATE["signed_in"], "sign_in_failed": STATE["sign_in_failed"], **STATE["phases"]}
        Path(path).write_text(json.dumps(results, indent=1), encoding="utf-8")
