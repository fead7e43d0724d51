"""Ofsted Annex A: the performance analyst downloads List 1, 2 or 3 for a six-month window, as CSV or XLSX."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from earlyhelp.accounts.otp import reauthentication_required
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from reporting.annex_a import LISTS, annex_a_rows
from reporting.exports import table_response
from reporting.forms.annex_a import AnnexAForm


@login_required
@permission_required(perms.DOWNLOAD_ANNEX_A, raise_exception=True)
@reauthentication_required
@require_http_methods(["GET"])
def annex_a(request: HttpRequest) -> HttpResponse:
    """The choice of list, window and format; once it is valid, the same GET returns the file (and is logged)."""
    form = AnnexAForm(request.GET or None, today=timezone.localdate())
    if not form.is_valid():
        return render(request, "reporting/annex_a.html", {"form": form, "lists": LISTS.values()})
    annex_list = LISTS[form.cleaned_data["annex_list"]]
    window = form.cleaned_data["ending"]
    rows = annex_a_rows(user=request.user, annex_list=annex_list, window=window)
    access_event_record(
        user=request.user, action="export", detail=f"Annex A list {annex_list.number} {window}", request=request
    )
    return table_response(
        filename_stem=f"annex-a-list-{annex_list.number}-{window.slug}",
        header=annex_list.header,
        rows=rows,
        file_format=form.cleaned_data["file_format"],
        sheet_title=f"Annex A list {annex_list.number}",
    )


urlpatterns: list = [path("reports/annex-a/", annex_a, name="annex_a")]
