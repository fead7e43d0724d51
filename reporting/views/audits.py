"""Pages for case audits: a manager audits a family's work, the audits of the teams they manage, the audits of
a worker's own work, and one audit."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from cases.selectors import family_get
from cases.selectors.episodes import manages_team
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once
from reporting import audits
from reporting.forms.audits import CaseAuditFilterForm, CaseAuditForm, CaseAuditKindForm
from reporting.models import CaseAudit

PER_PAGE = 25


def _query(request: HttpRequest) -> str:
    return urlencode({k: v for k, v in request.GET.items() if k != "page" and v})


@login_required
@permission_required(perms.VIEW_CASE_AUDITS, raise_exception=True)
@require_http_methods(["GET"])
def case_audits(request: HttpRequest) -> HttpResponse:
    """Audits of the work of the teams I manage, newest first, by kind and grade."""
    form = CaseAuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    found = audits.case_audits_for_manager(user=request.user, kind=data.get("kind", ""), grade=data.get("grade", ""))
    query = _query(request)
    context = {
        "form": form,
        "page": Paginator(found, PER_PAGE).get_page(request.GET.get("page")),
        "query": query,
        "filtered": bool(query),
    }
    return render(request, "reporting/audits/list.html", context)


@login_required
@require_http_methods(["GET"])
def my_audits(request: HttpRequest) -> HttpResponse:
    """Audits of my own work, newest first."""
    page = Paginator(audits.case_audits_of_worker(user=request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "reporting/audits/mine.html", {"page": page, "query": ""})


@login_required
@permission_required(perms.RECORD_CASE_AUDIT, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def case_audit_new(request: HttpRequest, uuid) -> HttpResponse:
    """Audit a family's work: first what kind of work, then whose, which records, the checklist and the grade."""
    family = family_get(user=request.user, uuid=uuid)
    if family.local_area_team is None or not manages_team(user=request.user, local_area_team=family.local_area_team):
        raise Http404("No such family")
    kind = request.GET.get("kind", "")
    if kind not in CaseAudit.Kind.values:
        # The page's hidden "step" says the question was asked, so no answer is an error, not a fresh page.
        kind_form = CaseAuditKindForm(request.GET if "step" in request.GET else None)
        kind_form.is_valid()
        return render(request, "reporting/audits/choose_kind.html", {"family": family, "form": kind_form})
    form = CaseAuditForm(
        request.POST if request.method == "POST" else None,
        kind=kind,
        workers=audits.auditable_workers(family=family),
        records=audits.auditable_records(family=family),
    )
    if request.method == "POST" and form.is_valid():
        try:
            audit = audits.case_audit_record(user=request.user, family=family, **form.service_arguments())
        except ValidationError as error:
            errors_from_validation(form, error)
        except audits.CaseAuditError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Audit recorded. {audit.worker.full_name} has been told.")
            return redirect("reporting:case_audit", uuid=audit.uuid)
    context = {"family": family, "form": form, "kind": kind, "kind_label": CaseAudit.Kind(kind).label}
    return render(request, "reporting/audits/new.html", context)


@login_required
@require_http_methods(["GET"])
def case_audit(request: HttpRequest, uuid) -> HttpResponse:
    """One audit: for its auditor, the managers of the family's team, and the worker audited."""
    audit = audits.case_audit_get(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=audit, detail="case audit", request=request)
    context = {
        "audit": audit,
        "checklist": audits.checklist_rows(audit),
        "family_shown": not audit.family.restricted,
    }
    return render(request, "reporting/audits/detail.html", context)


urlpatterns: list = [
    path("audits/", case_audits, name="case_audits"),
    path("audits/mine/", my_audits, name="my_audits"),
    path("families/<uuid:uuid>/audits/new/", case_audit_new, name="case_audit_new"),
    path("audits/<uuid:uuid>/", case_audit, name="case_audit"),
]
