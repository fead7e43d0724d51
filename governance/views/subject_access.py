"""Subject access requests: information governance officers record a person's request for everything held about
them, a pack is built in the background, and they download it (a re-entered code first) to redact and send.

The person is found city-wide, restricted people included: the officer must answer for everyone the council holds.
Every page naming the person writes an access event, and every download is an export in the access log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from earlyhelp.accounts.otp import reauthentication_required
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once
from governance.forms.subject_access import SubjectAccessRequestForm, SubjectSearchForm
from governance.models import SubjectAccessRequest
from governance.selectors import subject_access as selectors
from governance.services import subject_access as services

PER_PAGE = 25
SEARCH_HITS = 50
# How often a request's page reloads itself while its pack is being built (seconds).
REFRESH_SECONDS = 5


@login_required
@permission_required(perms.SUBJECT_ACCESS, raise_exception=True)
@require_http_methods(["GET"])
def subject_access_list(request: HttpRequest) -> HttpResponse:
    """Every subject access request, newest received first, with when each is due."""
    page = Paginator(selectors.subject_access_requests(), PER_PAGE).get_page(request.GET.get("page"))
    access_event_record(
        user=request.user, action="view", detail=f"subject access requests, page {page.number}", request=request
    )
    today = timezone.localdate()
    rows = [(sar, selectors.subject_access_is_overdue(sar, today=today)) for sar in page.object_list]
    return render(request, "governance/subject_access/list.html", {"page": page, "rows": rows})


@login_required
@permission_required(perms.SUBJECT_ACCESS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def subject_access_new(request: HttpRequest) -> HttpResponse:
    """Find the person, anywhere in the city. Posted, so no name or NHS number is in a URL."""
    form = SubjectSearchForm(request.POST if request.method == "POST" else None)
    people = None
    if request.method == "POST" and form.is_valid():
        search = selectors.SubjectSearch(**form.cleaned_data)
        access_event_record(user=request.user, action="search", detail=search.describe(), request=request)
        people = list(selectors.subject_search(search=search)[: SEARCH_HITS + 1])
    context = {"form": form, "people": people[:SEARCH_HITS] if people else people, "hits": SEARCH_HITS}
    context["more"] = people is not None and len(people) > SEARCH_HITS
    return render(request, "governance/subject_access/new.html", context)


@login_required
@permission_required(perms.SUBJECT_ACCESS, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def subject_access_person(request: HttpRequest, uuid) -> HttpResponse:
    """The person chosen: when the request was received and how identity was checked, then the pack is queued."""
    person = selectors.subject_get(uuid=uuid)
    form = SubjectAccessRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sar = services.subject_access_request_create(user=request.user, person=person, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            messages.success(
                request,
                f"Subject access request {sar.person_reference} recorded. Its pack is being built: you will be told "
                "when it is ready.",
            )
            return redirect("governance:subject_access_detail", uuid=sar.uuid)
    access_event_record(user=request.user, action="view", obj=person, detail="subject access request", request=request)
    return render(request, "governance/subject_access/person.html", {"person": person, "form": form})


@login_required
@permission_required(perms.SUBJECT_ACCESS, raise_exception=True)
@require_http_methods(["GET"])
@never_cache
def subject_access_detail(request: HttpRequest, uuid) -> HttpResponse:
    """One request: its status, reloading itself while the pack is built; the download once it is ready; the error
    and "Try again" if it failed."""
    sar = selectors.subject_access_request_get(uuid=uuid)
    access_event_record(
        user=request.user,
        action="view",
        obj=sar.person,
        detail=f"subject access request {sar.person_reference}",
        request=request,
    )
    in_progress = sar.status in (SubjectAccessRequest.Status.QUEUED, SubjectAccessRequest.Status.BUILDING)
    context = {
        "sar": sar,
        "overdue": selectors.subject_access_is_overdue(sar),
        "refresh_seconds": REFRESH_SECONDS if in_progress else None,
        "download_name": services.subject_access_download_name(sar) if sar.completed_at else "",
    }
    return render(request, "governance/subject_access/detail.html", context)


@login_required
@permission_required(perms.SUBJECT_ACCESS, raise_exception=True)
@require_http_methods(["GET"])
@reauthentication_required
def subject_access_download(request: HttpRequest, uuid) -> HttpResponse:
    """The pack itself, served by this view only, after a recent code; every download is an export in the log."""
    sar = selectors.subject_access_request_get(uuid=uuid)
    if sar.status != SubjectAccessRequest.Status.READY or not sar.file:
        raise Http404("This pack is not ready")
    services.subject_access_download(user=request.user, request=sar, http_request=request)
    response = FileResponse(
        sar.file.open("rb"),
        as_attachment=True,
        filename=services.subject_access_download_name(sar),
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required(perms.SUBJECT_ACCESS, raise_exception=True)
@require_POST
def subject_access_retry(request: HttpRequest, uuid) -> HttpResponse:
    sar = selectors.subject_access_request_get(uuid=uuid)
    try:
        services.subject_access_retry(user=request.user, request=sar)
    except services.SubjectAccessError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"The pack for {sar.person_reference} is being built again.")
    return redirect("governance:subject_access_detail", uuid=sar.uuid)


urlpatterns = [
    path("subject-access/", subject_access_list, name="subject_access_list"),
    path("subject-access/new/", subject_access_new, name="subject_access_new"),
    path("subject-access/new/<uuid:uuid>/", subject_access_person, name="subject_access_person"),
    path("subject-access/<uuid:uuid>/", subject_access_detail, name="subject_access_detail"),
    path("subject-access/<uuid:uuid>/download/", subject_access_download, name="subject_access_download"),
    path("subject-access/<uuid:uuid>/retry/", subject_access_retry, name="subject_access_retry"),
]
