"""Pages for PDF documents: ask for one, watch it being made, download it, and a team's ZIP of open plans."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cases.selectors import family_get
from documents import selectors, services
from documents.kinds import KIND_TITLES, KINDS
from documents.models import DocumentRequest
from documents.services import DocumentError
from earlyhelp.accounts.otp import reauthentication_required
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.submit_once import submit_once

DOCUMENTS_PER_PAGE = 20
# How often the request page reloads itself while the document is being made (seconds).
REFRESH_SECONDS = 3


@login_required
@permission_required(perms.REQUEST_DOCUMENT, raise_exception=True)
@require_POST
@submit_once
def document_new(request: HttpRequest, uuid, kind: str) -> HttpResponse:
    """Ask for a PDF of one record (the button on the record's page)."""
    try:
        document_request = services.document_request(user=request.user, kind=kind, uuid=uuid)
    except DocumentError as refusal:
        messages.error(request, str(refusal))
        spec = KINDS[kind]
        family = spec.family(spec.record(user=request.user, uuid=uuid))
        return redirect("documents:family_documents", uuid=family.uuid)
    messages.success(request, f"Your {KINDS[kind].title.lower()} PDF has been requested. It is being created.")
    return redirect("documents:request", uuid=document_request.uuid)


@login_required
@permission_required(perms.REQUEST_DOCUMENT, raise_exception=True)
@require_http_methods(["GET"])
def family_documents(request: HttpRequest, uuid) -> HttpResponse:
    """The documents one has asked for about a family, newest first, with the ones that can be asked for."""
    family = family_get(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=family, detail="documents", request=request)
    page = Paginator(selectors.document_requests_for_family(user=request.user, family=family), DOCUMENTS_PER_PAGE)
    context = {
        "family": family,
        "page": page.get_page(request.GET.get("page")),
        "titles": KIND_TITLES,
        "sharing": selectors.document_sharing(user=request.user, family=family),
    }
    return render(request, "documents/family_documents.html", context)


@login_required
@permission_required(perms.REQUEST_DOCUMENT, raise_exception=True)
@require_http_methods(["GET"])
@never_cache
def request_detail(request: HttpRequest, uuid) -> HttpResponse:
    """Progress of one request; reloads itself (a meta refresh, no script) until it is ready or has failed."""
    document_request = selectors.document_request_get(user=request.user, uuid=uuid)
    context = {
        "document_request": document_request,
        "title": KIND_TITLES.get(document_request.kind, "Document"),
        "refresh_seconds": REFRESH_SECONDS if document_request.in_progress else None,
    }
    return render(request, "documents/request_detail.html", context)


@login_required
@permission_required(perms.REQUEST_DOCUMENT, raise_exception=True)
@reauthentication_required
@require_http_methods(["GET"])
def download(request: HttpRequest, uuid) -> HttpResponse:
    """The file itself, served by this view only, after the consent check; every download is accounted for."""
    document_request = selectors.document_request_get(user=request.user, uuid=uuid)
    if document_request.status != DocumentRequest.Status.READY:
        raise Http404("This document is not ready")
    try:
        document = services.document_download(user=request.user, request=document_request, http_request=request)
    except DocumentError as refusal:
        messages.error(request, str(refusal))
        return redirect("documents:request", uuid=document_request.uuid)
    response = FileResponse(
        document.file.open("rb"), as_attachment=True, filename=document.filename, content_type=document.content_type
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required(perms.REQUEST_DOCUMENT, raise_exception=True)
@require_POST
def retry(request: HttpRequest, uuid) -> HttpResponse:
    document_request = selectors.document_request_get(user=request.user, uuid=uuid)
    try:
        services.document_retry(user=request.user, request=document_request)
    except DocumentError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, "The document has been requested again.")
    return redirect("documents:request", uuid=document_request.uuid)


@login_required
@permission_required(perms.EXPORT_TEAM_PLANS, raise_exception=True)
@reauthentication_required
@require_http_methods(["GET", "POST"])
@submit_once
def team_plans(request: HttpRequest, uuid) -> HttpResponse:
    """A manager's export of every open plan of their Local Area Team as one ZIP, and their earlier exports."""
    team = selectors.team_get_managed(user=request.user, uuid=uuid)
    if request.method == "POST":
        export = services.team_plans_request(user=request.user, team=team)
        messages.success(request, f"The open plans of {team.name} have been requested. They are being created.")
        return redirect("documents:request", uuid=export.uuid)
    page = Paginator(selectors.team_plan_exports(user=request.user, team=team), DOCUMENTS_PER_PAGE)
    context = {
        "team": team,
        "plan_count": len(selectors.team_open_plans(user=request.user, team=team)),
        "page": page.get_page(request.GET.get("page")),
        "back": reverse("cases:team_caseload") if request.user.has_perm(perms.VIEW_TEAM_CASELOAD) else "",
    }
    return render(request, "documents/team_plans.html", context)
