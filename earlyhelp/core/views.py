"""The home page, the health checks and the GOV.UK-styled error pages."""

import logging
import sys

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache

from cases.selectors import allocation_queue, families_visible_to, tasks_for
from earlyhelp.core import perms
from earlyhelp.core.request_log import current_request_id
from referrals.selectors import inbox_counts

logger = logging.getLogger(__name__)

# Errors that say the database could not be reached or gave up on a statement, not that the request was wrong.
DATABASE_FAULTS = (OperationalError, InterfaceError)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    recent, tasks = [], []
    if request.user.has_perm(perms.VIEW_FAMILY):
        recent = list(families_visible_to(request.user).select_related("local_area_team").order_by("-updated_at")[:10])
        tasks = tasks_for(user=request.user)
    notifications = list(request.user.notifications.filter(read_at__isnull=True)[:10])
    context = {"recent_families": recent, "tasks": tasks, "notifications": notifications}
    if request.user.has_perm(perms.TRIAGE_CONTACT):
        context["inbox_counts"] = inbox_counts(user=request.user)
    if request.user.has_perm(perms.ALLOCATE_EPISODE):
        context["to_allocate"] = allocation_queue(user=request.user).count()
    return render(request, "core/home.html", context)


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return "ok" if cursor.fetchone() == (1,) else "error"
    except DatabaseError:
        return "error"


def _redis_state() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        return "ok" if client.ping() else "error"
    except redis.RedisError:
        return "error"
    finally:
        client.close()


def _celery_state(redis_state: str) -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured"  # tasks run in the web process
    if settings.CELERY_BROKER_URL == settings.REDIS_URL and redis_state != "ok":
        return "error"  # the broker did not answer: no ping to wait for
    from earlyhelp.celery import app

    try:
        return "ok" if app.control.ping(timeout=1, limit=1) else "no workers"
    except Exception:  # any failure to reach the broker
        logger.warning("Celery ping failed", exc_info=True)
        return "error"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Asks nothing of the database or Redis, so an outage of either does not get
    every web process restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness, for load balancers and monitoring: each service's state. 503 only when the database does not
    answer (no page can be served without it); with Redis or the workers down pages still work, so the answer is
    "degraded" with 200: the process stays in rotation and monitoring alerts on "degraded"."""
    redis_state = _redis_state()
    checks = {"database": _database_state(), "redis": redis_state, "celery": _celery_state(redis_state)}
    if checks["database"] != "ok":
        status = "error"
    elif checks["redis"] in {"ok", "not configured"} and checks["celery"] in {"ok", "not configured"}:
        status = "ok"
    else:
        status = "degraded"
    return JsonResponse({"status": status, "checks": checks}, status=503 if status == "error" else 200)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest | None) -> HttpResponse:
    """handler500, called while the exception is being handled, wherever it was raised (a view or a middleware).

    A database fault (PostgreSQL unreachable, or a statement cancelled by statement_timeout) is "Sorry, the service
    is unavailable" (503, try again in 30 seconds); anything else "Sorry, there is a problem with the service" (500).
    Both give the request id for support to find the log lines. Rendered without context processors or a query: the
    database may be the thing that failed."""
    reference, exception = current_request_id(), sys.exc_info()[1]
    if isinstance(exception, DATABASE_FAULTS):
        logger.warning("Database unavailable: answered 503 (%s)", type(exception).__name__, extra={"status": 503})
        _session_left_unloaded(request)
        response = HttpResponse(loader.get_template("errors/503.html").render({"reference": reference}), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(loader.get_template("errors/500.html").render({"reference": reference}), status=500)


def _session_left_unloaded(request: HttpRequest | None) -> None:
    """A session the fault kept from loading reads as empty for the rest of the request (it is neither saved nor its
    cookie removed), so the middleware on the way out does not ask the database again: one wait for a server that
    does not answer (DB_CONNECT_TIMEOUT) per request, not one per middleware."""
    session = getattr(request, "session", None)
    if session is not None and not hasattr(session, "_session_cache"):
        session._session_cache = {}
