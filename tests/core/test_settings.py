"""Production settings refuse unsafe configuration, and pass Django's deployment checks."""

import os
import secrets
import subprocess
import sys

from django.conf import settings


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | env
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True
    )


def test_production_refuses_to_start_with_the_default_secret_key():
    result = _manage("check", DJANGO_ENV="production")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_debug_on():
    result = _manage("check", DJANGO_ENV="production", DJANGO_DEBUG="1", DJANGO_SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    """Django's deployment checks (HSTS, secure and HttpOnly cookies, SSL redirect, X-Frame-Options DENY, a long
    secret key, DEBUG off) with the environment a production deployment gives, failing on any warning."""
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
        DJANGO_ALLOWED_HOSTS="earlyhelp.example.gov.uk",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://earlyhelp.example.gov.uk",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_no_security_check_is_silenced():
    assert not [check for check in settings.SILENCED_SYSTEM_CHECKS if check.startswith(("security.", "csp."))]


def test_every_model_change_has_a_migration():
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr


def _python(code: str, **env: str) -> str:
    """`code` run with the settings the environment `env` gives (nothing else from DJANGO_*); its output."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | env
    program = "import django; django.setup()\n" + code
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=settings.BASE_DIR,
        env=environment | {"DJANGO_SETTINGS_MODULE": "earlyhelp.settings"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


SIGN = "from django.core import signing; print(signing.dumps({'user': 7}, salt='rotation'))"
AUTH_HASH = "from django.contrib.auth import get_user_model\nuser = get_user_model()(password='pbkdf2_sha256$1$a$b')\n"
SESSION = (
    "from django.contrib.sessions.backends.db import SessionStore; print(SessionStore().encode({'_auth_user_id': '7'}))"
)


def test_what_the_old_secret_key_signed_still_verifies_after_rotation_with_it_as_a_fallback():
    """Session data, and the hash in a session that keeps its user signed in (Django's get_user checks it against
    the fallbacks' hashes), signed with the old key, are accepted with the new key and the old one as a fallback."""
    old, new = secrets.token_urlsafe(60), secrets.token_urlsafe(60)
    signed = _python(SIGN, DJANGO_SECRET_KEY=old)
    session = _python(SESSION, DJANGO_SECRET_KEY=old)
    auth_hash = _python(AUTH_HASH + "print(user.get_session_auth_hash())", DJANGO_SECRET_KEY=old)
    check = (
        "from django.core import signing; from django.contrib.sessions.backends.db import SessionStore\n"
        f"{AUTH_HASH}"
        f"print(signing.loads({signed!r}, salt='rotation')['user'], SessionStore().decode({session!r}),"
        f" {auth_hash!r} in list(user.get_session_auth_fallback_hash()))"
    )

    rotated = _python(check, DJANGO_SECRET_KEY=new, DJANGO_SECRET_KEY_FALLBACKS=f"{secrets.token_urlsafe(60)},{old}")

    assert rotated == "7 {'_auth_user_id': '7'} True"


def test_without_the_fallback_what_the_old_key_signed_is_refused_and_the_session_is_empty():
    old, new = secrets.token_urlsafe(60), secrets.token_urlsafe(60)
    signed = _python(SIGN, DJANGO_SECRET_KEY=old)
    session = _python(SESSION, DJANGO_SECRET_KEY=old)
    check = (
        "from django.core import signing; from django.contrib.sessions.backends.db import SessionStore\n"
        "try:\n"
        f"    signing.loads({signed!r}, salt='rotation')\n"
        "except signing.BadSignature:\n"
        f"    print('refused', SessionStore().decode({session!r}))"
    )

    assert _python(check, DJANGO_SECRET_KEY=new) == "refused {}"


def test_production_refuses_a_short_or_development_fallback_key():
    for fallback in ("too-short", "insecure-local-development-key-never-use-in-production"):
        result = _manage(
            "check",
            DJANGO_ENV="production",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(60),
            DJANGO_SECRET_KEY_FALLBACKS=f"{secrets.token_urlsafe(60)},{fallback}",
        )
        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY_FALLBACKS" in result.stderr


def test_nothing_another_container_must_see_is_kept_in_one_process():
    """Several web and worker containers share one database: sessions, the sign-in lockout and two-factor
    throttling live there, and the cache is each process's own (no page depends on Redis)."""
    from axes.conf import settings as axes_settings
    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
    from django.utils.module_loading import import_string

    assert issubclass(import_string(f"{settings.SESSION_ENGINE}.SessionStore"), DatabaseSessionStore)
    assert axes_settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert settings.MESSAGE_STORAGE == "django.contrib.messages.storage.fallback.FallbackStorage"
