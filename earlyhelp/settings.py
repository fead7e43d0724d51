"""Settings for Early Help, read from environment variables (see .env.example).

Local defaults are safe to run: SQLite, eager Celery, console e-mail, DEBUG off.
With DJANGO_ENV=production the process refuses to start on an unsafe setting.
"""

import os
from datetime import date, datetime, time, timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_time(name: str, default: str) -> time:
    value = os.environ.get(name) or default
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a time such as 09:00, not {value!r}.") from None


DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-never-use-in-production"  # nosec B105  # refused in production below

ENVIRONMENT = os.environ.get("DJANGO_ENV", "local")
PRODUCTION = ENVIRONMENT == "production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# Earlier keys, comma-separated, still accepted when checking what was signed with them (session data, messages):
# rotating DJANGO_SECRET_KEY with the old key here signs no one out. Drop it once sessions have ended (12 hours).
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", "")
DEBUG = env_bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG must be off in production.")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("Set DJANGO_SECRET_KEY to a long random value in production.")
    if any(key == DEVELOPMENT_SECRET_KEY or len(key) < 50 for key in SECRET_KEY_FALLBACKS):
        raise ImproperlyConfigured("Each of DJANGO_SECRET_KEY_FALLBACKS must be a long random value in production.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_forms_gds",
    "guardian",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "earlyhelp.core",
    "earlyhelp.accounts",
    "earlyhelp.audit",
    "locality",
    "cases",
    "assessments",
    "consent",
    "referrals",
    "reporting",
    "documents",
    "governance",
]

MIDDLEWARE = [
    # A request id for every request, sent back and on every log line it writes; one log line a request (first: it
    # sees every response, an error page too).
    "earlyhelp.core.request_log.RequestLogMiddleware",
    # Headers for every response, outside anything that can answer early (the redirect to HTTPS, a static file, a
    # redirect to sign in); each only adds headers on the way out.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "earlyhelp.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "earlyhelp.accounts.middleware.sessions.SessionTouchMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "earlyhelp.accounts.middleware.sessions.SessionLimitsMiddleware",
    "earlyhelp.accounts.middleware.two_factor.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "earlyhelp.urls"
WSGI_APPLICATION = "earlyhelp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "earlyhelp.core.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite by default, PostgreSQL through DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})
    # A server that does not answer is given up on after DB_CONNECT_TIMEOUT seconds (libpq's least is 2), so the
    # page says "Sorry, the service is unavailable" (503) within 5 seconds (earlyhelp.core.views.server_error).
    DATABASES["default"]["OPTIONS"].setdefault("connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT") or 3))
    # No JIT compilation: it pays off for long analytical queries, and adds ~100 ms to a page's short query whose
    # estimated cost passes jit_above_cost (a trigram search, say). See docs/performance.md.
    # A statement running past DB_STATEMENT_TIMEOUT_MS (30 s; 0 for no limit) is cancelled: its transaction rolls
    # back and the page is a 503. A worker's container may set its own (a team's PDF export runs long queries).
    DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS") or 30000)
    DATABASES["default"]["OPTIONS"].setdefault("options", f"-c jit=off -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Two-factor sign-in (django-otp): a sensitive action (an export, break-the-glass, a change to one's own credentials)
# asks for a code again when the last one was entered this many minutes ago or more.
REAUTH_MINUTES = int(os.environ.get("REAUTH_MINUTES") or 15)
OTP_TOTP_ISSUER = "Early Help York"

# Sessions: 30 minutes idle timeout (the expiry moves on when the session is saved).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", str(30 * 60)))
# The idle timeout's expiry is moved on by a save at most once a SESSION_TOUCH_SECONDS, not on every request
# (earlyhelp.accounts.middleware.sessions.SessionTouchMiddleware): one write fewer for nearly every page.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_SECONDS = int(os.environ.get("SESSION_TOUCH_SECONDS", "60"))
# Database sessions that keep each signed-in session's record (accounts.SignedInSession) when the key is rotated.
SESSION_ENGINE = "earlyhelp.accounts.session_store"
# However active, a session ends 12 hours after sign-in; the warning opens 2 minutes before the idle timeout.
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", str(12 * 3600)))
SESSION_WARNING_SECONDS = int(os.environ.get("SESSION_WARNING_SECONDS", str(2 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Cache: each process's own memory, on purpose, so no page depends on Redis. Nothing another web or worker container
# must see is kept in it: sessions, the sign-in lockout (django-axes' default database handler) and two-factor
# throttling are in the database. Only code lists are cached, and another process sees a change to one within
# CODE_LIST_SECONDS (earlyhelp/core/code_lists.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "earlyhelp"}}

# Lockout by username after 10 failures in 30 minutes, whether or not the user exists.
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "earlyhelp.accounts.views.locked_out"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "earlyhelp.accounts.views.lockout_username"
AXES_VERBOSE = False
# Lockout is by username as the service requires; per-address throttling belongs at the proxy.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Guardian: no anonymous user row; object permissions live in direct-FK tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [BASE_DIR / "static"]
if (NODE_MODULES / "govuk-frontend/dist/govuk").is_dir():
    STATICFILES_DIRS.append(("govuk", NODE_MODULES / "govuk-frontend/dist/govuk"))
STORAGES = {
    # Uploads and generated files (subject access packs, consent evidence) readable by the app's user only.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "earlyhelp@example.invalid")

# MASH decision clocks run in working time: these hours on weekdays that are not bank holidays.
WORKING_DAY_START = env_time("WORKING_DAY_START", "09:00")
WORKING_DAY_END = env_time("WORKING_DAY_END", "17:00")
if WORKING_DAY_END <= WORKING_DAY_START:
    raise ImproperlyConfigured("WORKING_DAY_END must be after WORKING_DAY_START.")
WORKING_DAY_HOURS = (
    datetime.combine(date.min, WORKING_DAY_END) - datetime.combine(date.min, WORKING_DAY_START)
).total_seconds() / 3600
MASH_DECISION_HOURS = {
    "red": float(os.environ.get("MASH_RED_HOURS") or 4),
    "amber": float(os.environ.get("MASH_AMBER_HOURS") or WORKING_DAY_HOURS),
    "green": float(os.environ.get("MASH_GREEN_HOURS") or 3 * WORKING_DAY_HOURS),
}

# Team Around the Family meetings: the initial meeting within this many working days of the assessment's
# authorisation (or of allocation), then a review this many weeks after each meeting held.
TAF_INITIAL_MEETING_WORKING_DAYS = int(os.environ.get("TAF_INITIAL_MEETING_WORKING_DAYS") or 15)
TAF_REVIEW_WEEKS = int(os.environ.get("TAF_REVIEW_WEEKS") or 6)

# Celery: eager (in-process) when no broker is configured.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# A web request that publishes a task gives up on an unreachable broker after one quick retry, not kombu's default
# of several seconds: a document request stays queued and its sweep sends it again.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 3,
    "socket_timeout": 5,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = TIME_ZONE
# A worker process is replaced after this many tasks, or once it has grown past this many kilobytes, so memory
# a PDF rendering leaves behind is given back.
CELERY_WORKER_MAX_TASKS_PER_CHILD = int(os.environ.get("CELERY_WORKER_MAX_TASKS_PER_CHILD") or 50)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(os.environ.get("CELERY_WORKER_MAX_MEMORY_PER_CHILD") or 600_000)

# PDF documents: time limits for one PDF and for a team's ZIP of open plans (seconds), how long a request may
# wait in the queue before the sweep sends it again, and how many days a file is kept before it is deleted.
DOCUMENT_RENDER_SOFT_LIMIT_SECONDS = int(os.environ.get("DOCUMENT_RENDER_SOFT_LIMIT_SECONDS") or 60)
DOCUMENT_RENDER_HARD_LIMIT_SECONDS = DOCUMENT_RENDER_SOFT_LIMIT_SECONDS + 30
DOCUMENT_EXPORT_SOFT_LIMIT_SECONDS = int(os.environ.get("DOCUMENT_EXPORT_SOFT_LIMIT_SECONDS") or 1800)
DOCUMENT_REQUEUE_AFTER_SECONDS = int(os.environ.get("DOCUMENT_REQUEUE_AFTER_SECONDS") or 120)
DOCUMENT_RETENTION_DAYS = int(os.environ.get("DOCUMENT_RETENTION_DAYS") or 30)
# Subject access packs: time limits for building one (seconds), and how long a request may wait in the queue
# before the sweep sends it again.
SUBJECT_ACCESS_BUILD_SOFT_LIMIT_SECONDS = int(os.environ.get("SUBJECT_ACCESS_BUILD_SOFT_LIMIT_SECONDS") or 1800)
SUBJECT_ACCESS_BUILD_HARD_LIMIT_SECONDS = SUBJECT_ACCESS_BUILD_SOFT_LIMIT_SECONDS + 60
SUBJECT_ACCESS_REQUEUE_AFTER_SECONDS = int(os.environ.get("SUBJECT_ACCESS_REQUEUE_AFTER_SECONDS") or 120)
CELERY_BEAT_SCHEDULE = {
    "expire-consents-daily": {"task": "consent.tasks.consents_expire_task", "schedule": crontab(hour=1, minute=15)},
    "flag-overdue-contacts": {"task": "referrals.tasks.contacts_overdue_task", "schedule": crontab(minute="*/15")},
    # After consent expiry, so a lapsed consent's reminder closes the same morning; before the working day.
    "case-tasks-daily": {"task": "cases.tasks.case_tasks_sweep_task", "schedule": crontab(hour=5, minute=30)},
    "requeue-documents": {"task": "documents.tasks.documents_requeue_task", "schedule": crontab(minute="*")},
    "requeue-subject-access-requests": {
        "task": "governance.tasks.subject_access_requeue_task",
        "schedule": crontab(minute="*"),
    },
    "delete-expired-documents": {
        "task": "documents.tasks.documents_delete_expired_task",
        "schedule": crontab(hour=2, minute=0),
    },
    "end-partner-access-after-closure": {
        "task": "cases.tasks.closure_grants_end_task",
        "schedule": crontab(hour=1, minute=30),
    },
    # Before the working day: closed Supporting Families registrations start sustaining; officers told when to check.
    "supporting-families-sustainment": {
        "task": "cases.tasks.supporting_families_sustain_task",
        "schedule": crontab(hour=5, minute=45),
    },
    # The month just finished, stored so its indicators do not shift when its records are corrected later.
    "snapshot-indicators-monthly": {
        "task": "reporting.tasks.indicators_snapshot_task",
        "schedule": crontab(day_of_month=1, hour=3, minute=0),
    },
    # The whole access log's hash chain; information governance officers are told if it is broken.
    "verify-audit-chain-daily": {
        "task": "earlyhelp.audit.tasks.audit_chain_verify_task",
        "schedule": crontab(hour=4, minute=0),
    },
    # Restrictions due for review (every 90 days): each information governance officer is told once.
    "restriction-reviews-daily": {
        "task": "governance.tasks.restrictions_review_task",
        "schedule": crontab(hour=6, minute=0),
    },
    # Families whose youngest child has turned 25 join the retention review queue (after the night's casework).
    "retention-reviews-daily": {
        "task": "governance.tasks.retention_reviews_build_task",
        "schedule": crontab(hour=3, minute=30),
    },
    # Form tokens (earlyhelp.core.submit_once) matter for seconds: kept a week, then forgotten.
    "purge-form-submissions-daily": {
        "task": "earlyhelp.core.tasks.form_submissions_purge_task",
        "schedule": crontab(hour=2, minute=30),
    },
}

# Security headers on every response (tests/security/test_headers.py walks every URL for them). Production adds
# HTTPS-only settings; `check --deploy --fail-level WARNING` is clean with them.
# Content-Security-Policy (django-csp, ADR 0005): everything from our own origin, no inline script or style (no
# 'unsafe-inline', no nonces: the pages have no inline code), no plugins, no framing, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}
# Permissions-Policy (earlyhelp.core.middleware): browser features no page uses are off for it and any frame.
PERMISSIONS_POLICY = dict.fromkeys(
    (
        "accelerometer",
        "autoplay",
        "browsing-topics",  # the Topics API, which replaced FLoC's interest-cohort
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    ),
    (),
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Container health checks ask over plain HTTP from inside: no redirect to HTTPS for them.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Cookies only over HTTPS; the __Host- prefix also ties them to this host (no Domain, path /).
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Logs: one JSON object a line in production (LOG_FORMAT=json), readable lines elsewhere (plain). Every record written
# during a request or a Celery task carries its request id (a task's id) and, once known, the signed-in user's id:
# never a name or other personal data (earlyhelp.core.request_log).
LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "earlyhelp.core.request_log.RequestContextFilter"}},
    "formatters": {
        "plain": {
            "()": "earlyhelp.core.request_log.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "earlyhelp.core.request_log.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_context"]}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs each step of every rendering at INFO; its warnings (a refused URL, say) still show.
    "loggers": {"axes": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# Reference data used by the product.
FAMILIES_PER_PAGE = 25
# Closing early help: partners keep sight of the family this many days after closure (support tapers, and
# late actions can be finished), and a manager may reopen a closed episode within this many months.
CASE_CLOSURE_GRACE_DAYS = int(os.environ.get("CASE_CLOSURE_GRACE_DAYS") or 28)
CASE_REOPEN_MONTHS = int(os.environ.get("CASE_REOPEN_MONTHS") or 3)
# Break-the-glass: how long a grant to see a family outside one's scope lasts.
BREAK_GLASS_MINUTES = int(os.environ.get("BREAK_GLASS_MINUTES") or 60)
