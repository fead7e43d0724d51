"""A partner practitioner finds no record, adds a family and two people, then finds the child.

Drives Debian's Chromium through Playwright against pytest-django's live server. Every page
visited is checked with axe-core (no serious or critical violations) and for Content Security
Policy violations reported on the console.
"""

import importlib
import re
import time
from base64 import b32decode
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connections
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import Family
from earlyhelp.accounts.otp import totp_code_now
from earlyhelp.core.roles import roles_sync
from locality.models import Agency
from locality.services import membership_add
from tests.conftest import require_service
from tests.factories import PASSWORD, AgencyFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}
CSP_REFUSALS = ("Refused to", "Content Security Policy")


@pytest.fixture
def _async_unsafe_allowed(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; Django's ORM would refuse to run."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def partner_practitioner(_async_unsafe_allowed, live_server):
    """A school's partner practitioner, with York's reference data put back after the flush."""
    migration = importlib.import_module("locality.migrations.0002_york_local_area_teams")
    migration.add_teams(apps, None)
    roles_sync()
    user = UserFactory(full_name="Pat Partner", job_title="Designated safeguarding lead")
    school = AgencyFactory(name="Test Primary School", type=Agency.Type.SCHOOL)
    membership_add(user=user, team=TeamFactory(agency=school), role="partner_practitioner")
    return user


@pytest.fixture
def browser(_async_unsafe_allowed):
    """Debian's Chromium, headless. Ask for it after the database fixtures, so they set up outside Playwright."""
    require_service(CHROMIUM.exists(), "Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # Code run inside Playwright gets its own database connections (Django keeps them per context, and
        # Playwright's greenlets have their own). Close them here, or PostgreSQL cannot drop the test database.
        connections.close_all()


class PageChecks:
    """What went wrong on each page visited: axe-core violations and CSP refusals."""

    def __init__(self, page):
        self.page = page
        self.axe_source = (Path(settings.BASE_DIR) / "node_modules/axe-core/axe.min.js").read_text()
        self.problems: list[str] = []
        self.console_errors: list[str] = []
        page.on("console", self._console)

    def _console(self, message) -> None:
        # Older Chromium says "Refused to load/execute ..."; newer says "... violates the following
        # Content Security Policy directive ...". Either is a page that breaks the policy.
        if message.type == "error" and any(phrase in message.text for phrase in CSP_REFUSALS):
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def check(self) -> None:
        """Run axe-core on the page as it is now, and note any serious or critical violations."""
        self.page.wait_for_load_state("load")
        violations = axe_check(self.page, self.axe_source)
        if violations:
            self.problems.append(f"{self.page.url} ({self.page.title()}):\n" + "\n".join(violations))

    def assert_clean(self) -> None:
        problems = self.problems + self.console_errors
        assert not problems, "Accessibility or CSP problems:\n\n" + "\n\n".join(problems)


def axe_check(page, axe_source: str) -> list[str]:
    """Inject axe-core (evaluated, not a script tag, because the CSP forbids inline script) and run it."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)
    results = page.evaluate("async () => await axe.run()")
    return [
        f"  [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})\n"
        + "\n".join(f"    {' >> '.join(map(str, node['target']))}" for node in violation["nodes"])
        for violation in results["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def sign_in(page, checks: PageChecks, base_url: str, *, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/sign-in/")
    checks.check()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    second_factor(page, checks, email=email)
    page.wait_for_url(f"{base_url}/")
    checks.check()


SECOND_FACTOR_URL = re.compile(r"/accounts/two-factor/(set-up/)?(\?|$)")


def second_factor(page, checks: PageChecks, *, email: str) -> None:
    """The second step of signing in, after the password. On a user's first sign-in: set up an authenticator app with
    the secret shown on the page, confirm it with the code it gives, and go past the backup codes. After that: the code
    the app shows now (or a backup code, when this user's code of this 30-second step has been used already)."""
    page.wait_for_url(SECOND_FACTOR_URL)
    checks.check()
    if "/set-up/" in page.url:
        secret = page.locator("#authenticator-secret").text_content()
        page.get_by_label("Code from the app").fill(totp_code_now(key=b32decode(secret.replace(" ", "")).hex()))
        page.get_by_role("button", name="Continue", exact=True).click()
        page.wait_for_url(re.compile(r"/accounts/two-factor/backup-codes/"))
        checks.check()
        page.get_by_role("button", name="I have kept my backup codes, continue").click()
        return
    page.get_by_label("Code", exact=True).fill(unused_code(email))
    page.get_by_role("button", name="Continue", exact=True).click()


def unused_code(email: str) -> str:
    """A code that signs `email` in now: their app's, unless it was used in this time step already (a second sign-in
    within 30 seconds is refused as a replay), then one of their backup codes, or the app's code of the next step."""
    device = TOTPDevice.objects.get(user__email=email, confirmed=True)
    if device.last_t < int(time.time()) // device.step:
        return totp_code_now(key=device.key)
    backup = StaticToken.objects.filter(device__user__email=email, device__confirmed=True).first()
    if backup is not None:
        return backup.token
    time.sleep(device.step - time.time() % device.step + 0.5)
    return totp_code_now(key=device.key)


def fill_date(page, name: str, day: int, month: int, year: int) -> None:
    page.locator(f"input[name='{name}_0']").fill(str(day))
    page.locator(f"input[name='{name}_1']").fill(str(month))
    page.locator(f"input[name='{name}_2']").fill(str(year))


def add_person(page, checks: PageChecks, *, role: str, first_name: str, last_name: str, born: tuple[int, int, int]):
    page.get_by_role("button", name="Add a person to the family").click()
    page.wait_for_url(re.compile(r"/members/add/$"))
    checks.check()
    page.locator(f"input[name='role'][value='{role}']").check()
    page.locator("input[name='first_name']").fill(first_name)
    page.locator("input[name='last_name']").fill(last_name)
    fill_date(page, "date_of_birth", *born)
    if role != "child":
        page.locator("input[name='parental_responsibility']").check()
    page.get_by_role("button", name="Add person").click()
    page.wait_for_url(re.compile(r"/families/[0-9a-f-]+/$"))
    checks.check()
    banner = page.locator(".govuk-notification-banner--success")
    assert f"{first_name} {last_name} added to the family" in banner.inner_text()


def test_practitioner_creates_a_family_with_two_members(live_server, partner_practitioner, browser):
    from playwright.sync_api import expect

    base_url = live_server.url
    context = browser.new_context()
    page = context.new_page()
    checks = PageChecks(page)

    sign_in(page, checks, base_url, email=partner_practitioner.email, password=PASSWORD)
    expect(page.locator(".govuk-phase-banner")).to_contain_text("Signed in as Pat Partner")

    # Search first, so no family has to tell its story twice.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Find a person or family").click()
    page.wait_for_url(f"{base_url}/families/search/")
    checks.check()
    page.locator("input[name='name']").fill("Zoë O'Brien")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/families/search/\?"))
    checks.check()
    expect(page.get_by_role("heading", name="0 people found")).to_be_visible()

    page.get_by_role("main").get_by_role("link", name="Add a family").click()
    page.wait_for_url(f"{base_url}/families/new/")
    checks.check()

    # An empty form is refused with the GOV.UK error summary.
    page.get_by_role("button", name="Save family").click()
    error_summary = page.locator(".govuk-error-summary")
    expect(error_summary).to_be_visible()
    checks.check()
    expect(error_summary).to_contain_text("Enter the family name")
    expect(page).to_have_title(re.compile(r"^Error: Add a family"))

    page.locator("input[name='name']").fill("O'Brien")
    page.locator("input[name='address_line_1']").fill("12 Example Street")
    page.locator("input[name='postcode']").fill("YO31 1AA")
    page.get_by_role("button", name="Save family").click()
    page.wait_for_url(re.compile(r"/families/[0-9a-f-]+/$"))
    checks.check()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Now add the people in the family")
    expect(page.get_by_role("heading", level=1)).to_contain_text("O'Brien family")
    family_url = page.url

    add_person(page, checks, role="parent", first_name="Siobhan", last_name="O'Brien", born=(14, 6, 1988))
    add_person(page, checks, role="child", first_name="Zoë", last_name="O'Brien", born=(2, 3, 2015))

    assert page.url == family_url
    members = page.get_by_role("table", name="People in the family")
    expect(members.get_by_role("row")).to_have_count(3)
    parent = members.get_by_role("row", name=re.compile("Siobhan O'Brien"))
    child = members.get_by_role("row", name=re.compile("Zoë O'Brien"))
    # Columns: name, role, date of birth, in household, parental responsibility.
    expect(parent.get_by_role("cell").nth(1)).to_have_text("Parent")
    expect(parent.get_by_role("cell").nth(4)).to_have_text("Yes")
    expect(child.get_by_role("cell").nth(1)).to_have_text("Child or young person")
    expect(child.get_by_role("cell").nth(2)).to_contain_text("2 Mar 2015")
    expect(child.get_by_role("cell").nth(4)).to_have_text("No")

    # The child can now be found, with the family beside them.
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Find a person or family").click()
    page.wait_for_url(f"{base_url}/families/search/")
    checks.check()
    page.locator("input[name='name']").fill("Zoë")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/families/search/\?"))
    checks.check()
    expect(page.get_by_role("heading", name="1 person found")).to_be_visible()
    results = page.get_by_role("table", name="Search results")
    expect(results.get_by_role("link", name="Zoë O'Brien")).to_be_visible()
    expect(results.get_by_role("link", name="O'Brien family")).to_be_visible()

    context.close()
    checks.assert_clean()

    # What the pages showed is what was saved: the postcode routed the family to Tang Hall.
    family = Family.objects.get(name="O'Brien")
    assert family.local_area_team.slug == "tang-hall"
    assert sorted(family.members.values_list("person__first_name", "role")) == [("Siobhan", "parent"), ("Zoë", "child")]
