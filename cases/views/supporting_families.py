"""Supporting Families pages: the officer's city-wide list and quarterly return, registering a family, its needs and
outcomes, and moving the claim on."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.forms.supporting_families import MoveForm, NeedForm, NeedOutcomeForm, RegistrationForm, ReturnForm
from cases.models.supporting_families import SupportingFamiliesRegistration
from cases.selectors import families_visible_to, family_get
from cases.selectors import supporting_families as selectors
from cases.services import supporting_families as services
from earlyhelp.accounts.otp import reauthentication_required
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once
from reporting.exports import table_response

PER_PAGE = 25
Status = SupportingFamiliesRegistration.Status
# The button for each move, by the status it moves to.
MOVE_LABELS = {
    Status.IDENTIFIED: "Mark as not eligible",
    Status.ELIGIBLE: "Mark as eligible",
    Status.WORKING: "Mark as working with the family",
    Status.CLOSED: "Record that early help closed",
    Status.SUSTAINING: "Mark as sustaining",
    Status.CLAIM_READY: "Mark as claim ready",
    Status.VALIDATED: "Validate the claim",
    Status.CLAIMED: "Record the claim",
    Status.NOT_ACHIEVED: "Record that the outcome was not achieved",
    Status.WITHDRAWN: "Withdraw the registration",
}
WARNING_MOVES = (Status.NOT_ACHIEVED, Status.WITHDRAWN)


@login_required
@permission_required(perms.MANAGE_SUPPORTING_FAMILIES, raise_exception=True)
@require_GET
def sf_list(request: HttpRequest) -> HttpResponse:
    """Every registration the officer may see, city-wide, newest first, with what each needs next."""
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    registrations = selectors.registration_list(user=request.user, status=status)
    page = Paginator(registrations, PER_PAGE).get_page(request.GET.get("page"))
    for registration in page.object_list:
        registration.next_step = selectors.next_step(registration)
    context = {
        "page": page,
        "statuses": Status.choices,
        "status": status,
        "query": urlencode({"status": status}) if status else "",
    }
    return render(request, "cases/supporting_families/list.html", context)


@login_required
@permission_required(perms.REGISTER_SUPPORTING_FAMILIES, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def sf_register(request: HttpRequest, uuid) -> HttpResponse:
    """The family's Supporting Families page: register it; a family already registered is taken to its registration,
    whose details (lead practitioner, assessment and plan) change here only when asked for with ?change=1."""
    family = family_get(user=request.user, uuid=uuid)
    registration = selectors.registration_open_for(family=family)
    visible = (
        registration is not None
        and selectors.registrations_visible_to(request.user).filter(pk=registration.pk).exists()
    )
    if request.method == "GET" and visible and request.GET.get("change") != "1":
        return redirect("cases:sf_detail", uuid=registration.uuid)
    initial = _details(registration) if registration else None
    form = RegistrationForm(request.POST if request.method == "POST" else None, family=family, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if registration is None:
                registration = services.registration_create(user=request.user, family=family, **form.cleaned_data)
                message = f"Family {family.reference} registered with Supporting Families."
            else:
                services.registration_details_change(user=request.user, registration=registration, **form.cleaned_data)
                message = "Lead practitioner, assessment and plan saved."
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.SupportingFamiliesError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, message)
            return redirect("cases:sf_detail", uuid=registration.uuid)
    context = {
        "family": family,
        "form": form,
        "registration": registration,
        "earlier": [r for r in selectors.registrations_of_family(family=family) if r != registration],
    }
    return render(request, "cases/supporting_families/register.html", context)


def _details(registration) -> dict:
    return {
        "lead_practitioner": registration.lead_practitioner_id,
        "assessment": registration.assessment_id,
        "plan": registration.plan_id,
    }


def _detail_context(request: HttpRequest, registration, *, move_form=None) -> dict:
    needs = registration.need_list
    family = registration.family
    moves = [
        (status, MOVE_LABELS[status], status in WARNING_MOVES)
        for status in Status.values
        if status in SupportingFamiliesRegistration.TRANSITIONS[registration.status]
    ]
    return {
        "registration": registration,
        "family": family,
        "family_visible": families_visible_to(request.user).filter(pk=family.pk).exists(),
        "needs": needs,
        "eligibility_problems": selectors.eligibility_problems(registration, needs),
        "claim_problems": selectors.claim_ready_problems(registration, needs)
        if registration.status in (Status.SUSTAINING, Status.CLAIM_READY)
        else [],
        "next_step": selectors.next_step(registration, needs),
        "data_matching_consent": selectors.data_matching_consent(family=family),
        "moves": moves if request.user.has_perm(perms.MANAGE_SUPPORTING_FAMILIES) else [],
        "move_form": move_form,
        "needs_open": registration.status not in selectors.LOCKED,
        "headlines_left": len(needs) < len(selectors.Headline.values),
    }


@login_required
@permission_required(perms.REGISTER_SUPPORTING_FAMILIES, raise_exception=True)
@require_GET
def sf_detail(request: HttpRequest, uuid) -> HttpResponse:
    registration = selectors.registration_page(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=registration, request=request)
    return render(request, "cases/supporting_families/detail.html", _detail_context(request, registration))


@login_required
@permission_required(perms.REGISTER_SUPPORTING_FAMILIES, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def sf_need_add(request: HttpRequest, uuid) -> HttpResponse:
    registration = selectors.registration_get(user=request.user, uuid=uuid)
    taken = set(registration.needs.values_list("headline", flat=True))
    form = NeedForm(request.POST if request.method == "POST" else None, taken=taken)
    if request.method == "POST" and form.is_valid():
        try:
            need = services.need_add(user=request.user, registration=registration, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.SupportingFamiliesError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Need recorded under {need.get_headline_display().lower()}.")
            return redirect("cases:sf_detail", uuid=registration.uuid)
    context = {"form": form, "registration": registration, "family": registration.family}
    return render(request, "cases/supporting_families/need_add.html", context)


@login_required
@permission_required(perms.REGISTER_SUPPORTING_FAMILIES, raise_exception=True)
@require_http_methods(["GET", "POST"])
def sf_need_outcome(request: HttpRequest, uuid) -> HttpResponse:
    need = selectors.need_get(user=request.user, uuid=uuid)
    registration = need.registration
    may_record_sustainment = request.user.has_perm(perms.MANAGE_SUPPORTING_FAMILIES)
    initial = {
        "achieved_on": need.achieved_on,
        "outcome_evidence": need.outcome_evidence,
        "sustained": {True: "yes", False: "no"}.get(need.sustained, ""),
        "sustained_checked_on": need.sustained_checked_on,
    }
    data = request.POST if request.method == "POST" else None
    form = NeedOutcomeForm(data, initial=initial, may_record_sustainment=may_record_sustainment)
    if request.method == "POST" and form.is_valid():
        fields = {"sustained": need.sustained, "sustained_checked_on": need.sustained_checked_on} | form.cleaned_data
        try:
            services.need_outcome_record(user=request.user, need=need, **fields)
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.SupportingFamiliesError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Outcome saved for {need.get_headline_display().lower()}.")
            return redirect("cases:sf_detail", uuid=registration.uuid)
    context = {
        "form": form,
        "need": need,
        "registration": registration,
        "family": registration.family,
        "may_record_sustainment": may_record_sustainment,
    }
    return render(request, "cases/supporting_families/need_outcome.html", context)


@login_required
@permission_required(perms.MANAGE_SUPPORTING_FAMILIES, raise_exception=True)
@require_POST
def sf_move(request: HttpRequest, uuid) -> HttpResponse:
    """Move the registration on; a refusal is shown on the registration's page with the reason."""
    registration = selectors.registration_get(user=request.user, uuid=uuid)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            services.registration_move(user=request.user, registration=registration, **form.cleaned_data)
        except services.SupportingFamiliesError as error:
            form.add_error(None, str(error))
        else:
            registration.refresh_from_db()
            messages.success(request, f"Registration is now {registration.get_status_display().lower()}.")
            return redirect("cases:sf_detail", uuid=registration.uuid)
    registration = selectors.registration_page(user=request.user, uuid=uuid)
    context = _detail_context(request, registration, move_form=form)
    return render(request, "cases/supporting_families/detail.html", context)


@login_required
@permission_required(perms.MANAGE_SUPPORTING_FAMILIES, raise_exception=True)
@reauthentication_required
@require_GET
def sf_return(request: HttpRequest) -> HttpResponse:
    """The quarterly return as CSV or XLSX: one row per registration by family reference, naming no one, from every
    registration (restricted families included), so every officer downloads the same return."""
    current = selectors.Quarter.containing(timezone.localdate())
    form = ReturnForm(request.GET if "quarter" in request.GET else None, initial={"quarter": str(current)})
    if not form.is_valid():
        return render(request, "cases/supporting_families/return.html", {"form": form, "current": current})
    quarter = selectors.Quarter.parse(form.cleaned_data["quarter"])
    rows = selectors.quarterly_return_rows(quarter=quarter)
    access_event_record(
        user=request.user,
        action="export",
        detail=f"Supporting Families quarterly return {quarter} ({len(rows)} rows)",
        request=request,
    )
    return table_response(
        filename_stem=f"supporting-families-{quarter}",
        header=selectors.RETURN_HEADER,
        rows=rows,
        file_format=form.cleaned_data["format"],
        sheet_title=f"Supporting Families {quarter}",
    )


urlpatterns = [
    path("supporting-families/", sf_list, name="sf_list"),
    path("supporting-families/return/", sf_return, name="sf_return"),
    path("families/<uuid:uuid>/supporting-families/new/", sf_register, name="sf_register"),
    path("supporting-families/<uuid:uuid>/", sf_detail, name="sf_detail"),
    path("supporting-families/<uuid:uuid>/needs/new/", sf_need_add, name="sf_need_add"),
    path("supporting-families/needs/<uuid:uuid>/", sf_need_outcome, name="sf_need_outcome"),
    path("supporting-families/<uuid:uuid>/status/", sf_move, name="sf_move"),
]
