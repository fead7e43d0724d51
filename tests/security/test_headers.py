"""Every response carries the security headers: every URL pattern, signed in and anonymous, found or not.

The walk is the access matrix's (tests/security/test_access_matrix.py): every named pattern of the resolver; a
pattern's uuids are random ones, so most record pages answer 404 (which must carry the headers too), and the
administration site is asked for by its index and sign-in page. Production's HTTPS settings (HSTS, Secure cookies)
are read from earlyhelp/settings.py run with DJANGO_ENV=production, and applied with override_settings.
"""

import os
import re
import runpy
import secrets
import uuid

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, SlugConverter, UUIDConverter

from earlyhelp.core.middleware import permissions_policy
from tests.auth import signed_in_client

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ("admin:index", "admin:login")
EXPECTED = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": permissions_policy(settings.PERMISSIONS_POLICY),
}
FEATURES_OFF = ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()", "browsing-topics=()")


def _patterns(patterns=None, namespace: str = ""):
    """(name, pattern) for every named URL pattern, as the access matrix walks them."""
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def _argument(converter) -> object:
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    if isinstance(converter, IntConverter):
        return 1
    if isinstance(converter, SlugConverter):
        return "reason"
    return "x"


def every_url() -> list[str]:
    urls = [reverse(name) for name in ADMIN_PAGES]
    for name, pattern in _patterns():
        if name.startswith("admin:"):
            continue  # the administration site: its index and sign-in page above
        converters = getattr(pattern.pattern, "converters", {})
        urls.append(reverse(name, kwargs={key: _argument(converter) for key, converter in converters.items()}))
    return sorted(set(urls))


def csp_directives(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    return {name: values for name, *values in (d.split() for d in header.split(";") if d.strip())}


def header_problems(url: str, response, *, static: bool = False) -> list[str]:
    problems = [
        f"{url}: {header} is {response.get(header)!r}, not {value!r}"
        for header, value in EXPECTED.items()
        if response.get(header) != value
    ]
    policy = csp_directives(response)
    for directive, allowed in (
        ("default-src", ["'self'"]),
        ("script-src", ["'self'"]),
        ("style-src", ["'self'"]),
        ("object-src", ["'none'"]),
        ("frame-ancestors", ["'none'"]),
    ):
        if policy.get(directive) != allowed:
            problems.append(f"{url}: CSP {directive} is {policy.get(directive)}, not {allowed}")
    if "unsafe-inline" in response.get("Content-Security-Policy", ""):
        problems.append(f"{url}: CSP allows unsafe-inline")
    cache = response.get("Cache-Control", "")
    if not static and cache != "no-store, private":
        problems.append(f"{url}: Cache-Control is {cache!r}")
    if static and "no-store" in cache:
        problems.append(f"{url}: a static file is not to be cached ({cache!r})")
    if response.status_code >= 500:
        problems.append(f"{url}: answered {response.status_code}")
    return problems


def walk(client: Client) -> list[str]:
    problems = []
    for url in every_url():
        problems += header_problems(url, client.get(url))
    return problems


def test_every_url_pattern_answers_with_every_security_header_signed_in(cfs_worker_user):
    client = signed_in_client(cfs_worker_user, Client(raise_request_exception=False))
    problems = walk(client)
    assert not problems, "\n".join(problems)


def test_every_url_pattern_answers_with_every_security_header_signed_out():
    problems = walk(Client(raise_request_exception=False))
    assert not problems, "\n".join(problems)


def test_pages_of_a_real_record_and_an_unknown_address_carry_the_headers(cfs_worker_client, own_family):
    for url in (reverse("cases:family_detail", kwargs={"uuid": own_family.uuid}), "/no-such-page/"):
        response = cfs_worker_client.get(url)
        assert response.status_code in (200, 404)
        assert not header_problems(url, response)


def test_the_permissions_policy_turns_off_the_features_no_page_uses(client):
    policy = client.get(reverse("accounts:login"))["Permissions-Policy"]
    assert all(feature in policy.split(", ") for feature in FEATURES_OFF)


def test_static_files_carry_the_headers_and_may_be_cached(client):
    url = f"{settings.STATIC_URL}js/govuk-init.js"
    response = client.get(url)
    assert response.status_code == 200
    assert not header_problems(url, response, static=True)


def production_security_settings() -> dict:
    """The HTTPS-only settings earlyhelp/settings.py gives with DJANGO_ENV=production."""
    environment = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": secrets.token_urlsafe(60), "DJANGO_DEBUG": "0"}
    saved = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)
    try:
        production = runpy.run_path(str(settings.BASE_DIR / "earlyhelp" / "settings.py"))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value
    names = re.compile(r"^(SECURE_|SESSION_COOKIE_|CSRF_COOKIE_)")
    return {name: value for name, value in production.items() if names.match(name)}


@pytest.fixture
def production():
    values = production_security_settings()
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SESSION_COOKIE_SECURE"]
    with override_settings(**values):
        yield values


def test_production_sends_hsts_and_secure_httponly_cookies(production, cfs_worker_user, settings):
    settings.SESSION_TOUCH_SECONDS = 0  # this request saves the session, so its cookie is sent to be looked at
    client = signed_in_client(cfs_worker_user, Client())
    response = client.get(reverse("core:home"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert not header_problems("/", response)
    session = response.cookies[production["SESSION_COOKIE_NAME"]]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert session.key.startswith("__Host-") and session["path"] == "/" and not session["domain"]

    sign_in = Client().get(reverse("accounts:login"), secure=True)
    csrf = sign_in.cookies[production["CSRF_COOKIE_NAME"]]
    assert csrf["secure"] and csrf["httponly"] and csrf.key.startswith("__Host-")


def test_production_redirects_plain_http_to_https_with_the_headers(production):
    response = Client().get(reverse("accounts:login"))
    assert response.status_code == 301 and response["Location"].startswith("https://")
    assert not header_problems("http://", response)


def test_forms_work_with_an_httponly_csrf_cookie(cfs_worker_user):
    """The token comes from the form, never from the cookie, so an HttpOnly cookie breaks no form."""
    client = signed_in_client(cfs_worker_user, Client(enforce_csrf_checks=True))
    page = client.get(reverse("core:home")).content.decode()  # the sign-out form in the header
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert client.cookies[settings.CSRF_COOKIE_NAME]["httponly"]
    assert client.post(reverse("accounts:logout")).status_code == 403  # no token
    assert client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token}).status_code == 302
