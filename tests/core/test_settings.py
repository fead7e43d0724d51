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
