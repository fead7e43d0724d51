"""The home page, the health check and the GOV.UK-styled error pages."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache

from cases.selectors import allocation_queue, families_visible_to, tasks_for
from earlyhelp.core import perms
from referrals.selectors import inbox_counts


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


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _redis_state() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        return "ok" if client.ping() else "error"
    except redis.RedisError:
        return "error"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 when the database answers, 503 when it does not."""
    database = "ok" if _database_ok() else "error"
    body = {"status": "ok" if database == "ok" else "error", "database": database, "redis": _redis_state()}
    return JsonResponse(body, status=200 if database == "ok" else 503)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without context processors: the database may be the thing that failed.
    return HttpResponse(loader.get_template("errors/500.html").render({}), status=500)
