"""Pages for taking, withdrawing and overriding consent, sharing within it, and the disclosure log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cases.selectors import family_get, family_people_visible
from consent import selectors, services
from consent.forms import ConsentForm, OverrideForm, ShareForm, WithdrawForm
from earlyhelp.accounts.models import User
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once


@login_required
@permission_required(perms.TAKE_CONSENT, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def consent_new(request: HttpRequest, uuid) -> HttpResponse:
    family = family_get(user=request.user, uuid=uuid)
    notice = selectors.privacy_notice_current()
    posted = request.method == "POST"
    people = family_people_visible(user=request.user, family=family)
    form = ConsentForm(request.POST if posted else None, request.FILES if posted else None, people=people)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "notice_shown"}
        try:
            consent = services.consent_take(user=request.user, family=family, privacy_notice=notice, **data)
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            messages.success(request, f"Consent recorded: {consent.get_status_display().lower()}.")
            return redirect("cases:family_detail", uuid=family.uuid)
    return render(request, "consent/consent_form.html", {"form": form, "family": family, "notice": notice})


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def consent_detail(request: HttpRequest, uuid, consent_uuid) -> HttpResponse:
    family = family_get(user=request.user, uuid=uuid)
    consent = selectors.consent_get(family=family, uuid=consent_uuid)
    visible = set(family_people_visible(user=request.user, family=family).values_list("pk", flat=True))
    covers = [s.person.full_name for s in consent.subjects.all() if s.person_id in visible]
    given_by = consent.given_by if consent.given_by_id in visible else "Not shown: a restricted record"
    context = {"family": family, "consent": consent, "covers": covers, "given_by": given_by}
    return render(request, "consent/consent_detail.html", context)


@login_required
@permission_required(perms.WITHDRAW_CONSENT, raise_exception=True)
@require_POST
def consent_answer(request: HttpRequest, uuid, consent_uuid) -> HttpResponse:
    family = family_get(user=request.user, uuid=uuid)
    consent = selectors.consent_get(family=family, uuid=consent_uuid)
    answer = request.POST.get("answer")
    if answer not in ("given", "refused"):
        messages.error(request, "Choose whether the family agreed or refused.")
        return redirect("consent:detail", uuid=family.uuid, consent_uuid=consent.uuid)
    try:
        services.consent_answer(user=request.user, consent=consent, given=answer == "given")
    except services.ConsentError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Consent recorded as {consent.get_status_display().lower()}.")
    return redirect("consent:detail", uuid=family.uuid, consent_uuid=consent.uuid)


@login_required
@permission_required(perms.WITHDRAW_CONSENT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: HttpRequest, uuid, consent_uuid) -> HttpResponse:
    family = family_get(user=request.user, uuid=uuid)
    consent = selectors.consent_get(family=family, uuid=consent_uuid)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(user=request.user, consent=consent, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.ConsentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Consent withdrawn. Partners it covered can no longer see the family.")
            return redirect("cases:family_detail", uuid=family.uuid)
    return render(request, "consent/withdraw.html", {"form": form, "family": family, "consent": consent})


@login_required
@permission_required(perms.DISPENSE_CONSENT, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def consent_override(request: HttpRequest, uuid) -> HttpResponse:
    family = family_get(user=request.user, uuid=uuid)
    approvers = (
        User.objects.filter(is_active=True, groups__permissions__codename=perms.DISPENSE_CONSENT_CODENAME)
        .exclude(pk=request.user.pk)
        .distinct()
    )
    people = family_people_visible(user=request.user, family=family)
    form = OverrideForm(request.POST if request.method == "POST" else None, people=people, approvers=approvers)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_dispense(user=request.user, family=family, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.ConsentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Safeguarding override recorded.")
            return redirect("cases:family_detail", uuid=family.uuid)
    return render(request, "consent/override.html", {"form": form, "family": family})


@login_required
@permission_required(perms.VIEW_FAMILY, raise_exception=True)
def consent_evidence(request: HttpRequest, uuid, consent_uuid) -> FileResponse:
    family = family_get(user=request.user, uuid=uuid)
    consent = selectors.consent_get(family=family, uuid=consent_uuid)
    if not consent.evidence:
        raise Http404("No evidence stored")
    access_event_record(user=request.user, action="export", obj=family, detail="consent evidence", request=request)
    extension = consent.evidence.name.rsplit(".", 1)[-1]
    return FileResponse(consent.evidence.open("rb"), as_attachment=True, filename=f"consent-evidence.{extension}")


@login_required
@permission_required(perms.VIEW_DISCLOSURES, raise_exception=True)
def disclosure_list(request: HttpRequest, uuid) -> HttpResponse:
    family = family_get(user=request.user, uuid=uuid)
    page = Paginator(selectors.disclosures_for(family=family), 25).get_page(request.GET.get("page"))
    return render(request, "consent/disclosures.html", {"family": family, "page": page})


@login_required
@permission_required(perms.SHARE_FAMILY, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def family_share(request: HttpRequest, uuid) -> HttpResponse:
    """Give a practitioner from another agency sight of the family, if consent covers their agency."""
    family = family_get(user=request.user, uuid=uuid)
    practitioners = (
        User.objects.filter(is_active=True, groups__name=perms.ROLES[perms.PARTNER_PRACTITIONER].name)
        .select_related("agency")
        .order_by("full_name")
    )
    form = ShareForm(request.POST if request.method == "POST" else None, practitioners=practitioners)
    if request.method == "POST" and form.is_valid():
        practitioner = form.cleaned_data["practitioner"]
        try:
            services.family_share_with_practitioner(user=request.user, family=family, practitioner=practitioner)
        except services.ConsentError as error:
            form.add_error("practitioner", str(error))
        else:
            messages.success(request, f"{practitioner.full_name} can now see the family. The disclosure is logged.")
            return redirect("cases:family_detail", uuid=family.uuid)
    return render(request, "consent/share.html", {"form": form, "family": family})
