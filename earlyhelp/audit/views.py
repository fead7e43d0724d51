"""Pages of the access log: who has viewed a family's records, and finding a family by its reference."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from earlyhelp.audit import selectors
from earlyhelp.audit.forms import FamilyAccessFilterForm, FamilyReferenceForm
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms


@login_required
@permission_required(perms.VIEW_RECORD_ACCESS, raise_exception=True)
@require_http_methods(["GET"])
def family_access(request: HttpRequest, uuid) -> HttpResponse:
    """Who has viewed, searched, exported or printed the family's records, newest first."""
    family = selectors.record_access_family_get(user=request.user, uuid=uuid)
    about = selectors.family_access_about(user=request.user, family=family)
    form = FamilyAccessFilterForm(request.GET or None, viewers=selectors.family_access_viewers(about=about))
    data = form.cleaned_data if form.is_valid() else {}
    viewer, before = data.get("user"), data.get("before")
    page = selectors.family_access_page(user=request.user, about=about, viewer=viewer, before=before)
    access_event_record(user=request.user, action="view", obj=family, detail="who has viewed", request=request)
    filters = {"user": viewer.pk} if viewer else {}
    context = {
        "family": family,
        "form": form,
        "page": page,
        "filtered": bool(filters),
        "older_query": urlencode(filters | {"before": page.older_than}) if page.older_than else "",
        "newest_query": urlencode(filters) if before else None,
        "back_to_family": not selectors.sees_every_access_log(request.user),
    }
    return render(request, "audit/family_access.html", context)


@login_required
@permission_required(perms.VIEW_ACCESS_EVENTS, raise_exception=True)
@require_http_methods(["GET"])
def access_log(request: HttpRequest) -> HttpResponse:
    """The information governance officer's way into a family's access log: its reference."""
    form = FamilyReferenceForm(request.GET or None)
    if form.is_valid():
        reference = form.cleaned_data["reference"]
        family = selectors.family_by_reference(reference=reference)
        access_event_record(
            user=request.user, action="search", detail=f"access log: family reference {reference}", request=request
        )
        if family is not None:
            return redirect("audit:family_access", uuid=family.uuid)
        form.add_error("reference", f"No family has the reference {reference}")
    return render(request, "audit/access_log.html", {"form": form})
