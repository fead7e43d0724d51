"""Break-the-glass pages: asking for access to a family outside one's scope, and the report of every use."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from earlyhelp.accounts.otp import reauthentication_required, session_verified_mark
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once
from governance.forms.break_glass import BreakGlassReportFilterForm, BreakGlassRequestForm
from governance.selectors import break_glass as selectors
from governance.services import break_glass as services
from reporting.exports import table_response

PER_PAGE = 25


@login_required
@permission_required(perms.BREAK_GLASS, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def break_glass_request(request: HttpRequest, uuid) -> HttpResponse:
    """Ask for access to a family outside one's scope. The page says nothing about the family: not its name, not
    its reference. A family the user sees already goes straight to its page."""
    family = selectors.break_glass_family(user=request.user, uuid=uuid)
    if selectors.family_is_visible(user=request.user, family=family):
        return redirect("cases:family_detail", uuid=family.uuid)
    form = BreakGlassRequestForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.break_glass_grant_create(
                user=request.user, family=family, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            services.break_glass_session_remember(session=request.session, grants=[grant])
            services.break_glass_sessions_share(
                user=request.user, grants=[grant], current_session_key=request.session.session_key
            )
            session_verified_mark(request.session)  # the code just entered counts as a recent second factor
            until = timezone.localtime(grant.expires_at)
            messages.success(
                request,
                f"You can see this record until {until:%H:%M}. Every page you view is logged and your reason has "
                "been sent to your manager and the information governance officer.",
            )
            return redirect("cases:family_detail", uuid=family.uuid)
    context = {"form": form, "family_uuid": family.uuid, "minutes": services.break_glass_minutes()}
    return render(request, "governance/break_glass/request.html", context)


@login_required
@permission_required(perms.VIEW_BREAK_GLASS_REPORT, raise_exception=True)
@require_http_methods(["GET"])
def break_glass_report(request: HttpRequest) -> HttpResponse:
    """Every break-the-glass use, newest first, by dates and person; `?format=csv` downloads the filtered list, after
    a recent second-factor code (names and reasons leave the system)."""
    form = BreakGlassReportFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    grants = selectors.break_glass_report(
        date_from=data.get("date_from"), date_to=data.get("date_to"), user=data.get("user")
    )
    if request.GET.get("format") == "csv" and form.is_valid():
        return _report_csv(request, grants)  # re-authenticates first
    query = urlencode({k: v for k, v in request.GET.items() if k not in ("page", "format") and v})
    access_event_record(user=request.user, action="view", detail="break-the-glass report", request=request)
    context = {
        "form": form,
        "page": Paginator(grants, PER_PAGE).get_page(request.GET.get("page")),
        "query": query,
        "filtered": bool(query),
    }
    return render(request, "governance/break_glass/report.html", context)


@reauthentication_required
def _report_csv(request: HttpRequest, grants) -> HttpResponse:
    access_event_record(user=request.user, action="export", detail="break-the-glass report", request=request)
    header = ["Given at", "Name", "Job", "Agency", "Family", "Local Area Team", "Reason", "Expires at", "Pages viewed"]
    rows = (
        [
            timezone.localtime(grant.granted_at).strftime("%Y-%m-%d %H:%M"),
            grant.user.full_name,
            grant.user.job_title,
            str(grant.user.agency or ""),
            grant.family_reference,
            str(grant.family.local_area_team) if grant.family_id else "",
            grant.reason,
            timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M"),
            grant.pages_viewed,
        ]
        for grant in grants
    )
    return table_response(filename_stem="break-the-glass", header=header, rows=rows, file_format="csv")


urlpatterns = [
    path("break-the-glass/", break_glass_report, name="break_glass_report"),
    path("break-the-glass/<uuid:uuid>/", break_glass_request, name="break_glass_request"),
]
