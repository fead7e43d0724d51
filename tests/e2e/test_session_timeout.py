"""The timeout warning in a browser: with a short idle timeout, the warning opens, passes axe-core, and "Stay
signed in" (or Escape) keeps the session; "Where you are signed in" passes axe-core; left alone, the page goes to
"You have been signed out".

Drives Debian's Chromium through Playwright against pytest-django's live server. The browser is signed in with the
cookie of a session made on the server (as the test clients are), so the sign-in form plays no part here.
"""

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session

from tests.auth import signed_in_client
from tests.e2e.test_family_journey import PageChecks, _async_unsafe_allowed, browser
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e]

__all__ = ["_async_unsafe_allowed", "browser"]  # fixtures, imported so pytest finds them here

IDLE_SECONDS = 20
WARNING_SECONDS = 16
WAIT_MS = 30_000


@pytest.fixture
def short_sessions(settings):
    """Sessions the live server ends after 20 idle seconds, with the warning for the last 16."""
    settings.SESSION_COOKIE_AGE = IDLE_SECONDS
    settings.SESSION_WARNING_SECONDS = WARNING_SECONDS
    settings.SESSION_TOUCH_SECONDS = 60  # as in production (tests/conftest.py makes it an hour elsewhere)


@pytest.fixture
def signed_in_page(short_sessions, _async_unsafe_allowed, live_server, browser):
    user = UserFactory(full_name="Tess Timeout")
    key = signed_in_client(user).cookies[django_settings.SESSION_COOKIE_NAME].value
    signed_in_client(user)  # signed in somewhere else as well, for "Where you are signed in"
    context = browser.new_context()
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": key, "url": live_server.url}])
    page = context.new_page()
    yield page, key
    context.close()


def _expiry(key: str):
    return Session.objects.get(session_key=key).expire_date


def test_session_timeout_warning_keeps_the_session_and_then_signs_out(signed_in_page, live_server):
    page, key = signed_in_page
    checks = PageChecks(page)
    page.goto(f"{live_server.url}/")
    assert "Signed in as Tess Timeout" in page.content()
    dialog = page.get_by_role("dialog", name="You will be signed out soon")

    dialog.wait_for(state="visible", timeout=WAIT_MS)
    assert page.evaluate("() => document.activeElement.id") == "session-timeout"
    assert "seconds" in dialog.locator("[data-session-timeout-countdown]").inner_text()
    checks.check()
    before = _expiry(key)
    dialog.get_by_role("button", name="Stay signed in").click()
    dialog.wait_for(state="hidden", timeout=WAIT_MS)
    after_button = _expiry(key)
    assert after_button > before

    dialog.wait_for(state="visible", timeout=WAIT_MS)
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden", timeout=WAIT_MS)
    assert _expiry(key) > after_button
    assert "Signed in as Tess Timeout" in page.content()

    page.goto(f"{live_server.url}/accounts/sessions/")
    assert page.get_by_role("heading", name="Where you are signed in").is_visible()
    assert page.get_by_role("button", name="Sign out of all other sessions").is_visible()
    checks.check()

    page.wait_for_url(f"{live_server.url}/accounts/signed-out/?reason=idle", timeout=WAIT_MS * 2)
    assert "You have been signed out" in page.content()
    assert "Tess Timeout" not in page.content()
    checks.check()
    page.goto(f"{live_server.url}/")
    assert "/accounts/sign-in/" in page.url
    checks.assert_clean()
