"""Pages for the front door: referring, the MASH inbox, screening, decisions, and concern flags."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assessments.models import EarlyHelpAssessment
from cases.selectors import family_get, family_people_visible, person_get, users_with_role
from consent.selectors import consent_summary
from consent.services import ConsentError
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once
from earlyhelp.core.working_time import hours_left_label, working_hours_between
from locality.models import LocalAreaTeam
from locality.selectors import services_active
from referrals import selectors, services
from referrals.forms import (
    SOURCE_FOR_AGENCY,
    ConcernFlagForm,
    ContactForm,
    DecisionForm,
    EndForm,
    FindChildForm,
    InboxFilterForm,
    RagForm,
    ScreeningForm,
    TransferReferenceForm,
)
from referrals.models import Contact, ContactSource

PER_PAGE = 25
FIND_SESSION_KEY = "front_door_find"


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _page(request: HttpRequest, items):
    return Paginator(items, PER_PAGE).get_page(request.GET.get("page"))


def _referral_initial(*, user, family, assessments) -> dict:
    """A referral starts from what the service already knows: the family's children, its latest assessment,
    and whether consent is held."""
    latest = next((a for a in assessments if a.status != EarlyHelpAssessment.Status.DRAFT), None)
    agency_type = user.agency.type if user.agency_id else ""
    initial = {
        "source": SOURCE_FOR_AGENCY.get(agency_type, ContactSource.OTHER),
        "consent_status": "given" if any(not c.is_override for c in consent_summary(family=family)["active"]) else "",
        "referrer_role": user.job_title,
    }
    if latest is not None:
        initial.update(assessment=latest, concern=latest.analysis, requested_level=latest.level_of_need)
    return initial


@login_required
@permission_required(perms.REFER, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def refer(request: HttpRequest, uuid) -> HttpResponse:
    """A practitioner refers a family they work with to the MASH."""
    family = family_get(user=request.user, uuid=uuid)
    children = selectors.children_of(family=family, people=family_people_visible(user=request.user, family=family))
    assessments = list(family.assessments.exclude(status=EarlyHelpAssessment.Status.SUPERSEDED).order_by("-version"))
    form = ContactForm(_posted(request), children=children, assessments=family.assessments.all())
    if not form.is_bound:
        form.initial.update(
            children=list(children), **_referral_initial(user=request.user, family=family, assessments=assessments)
        )
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_record(user=request.user, family=family, **form.contact_fields())
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            messages.success(
                request, f"Referral {contact.reference} sent to the MASH. Its outcome will be shown on My referrals."
            )
            return redirect("referrals:referral_detail", uuid=contact.uuid)
    context = {"form": form, "family": family, "has_children": children.exists(), "assessed": bool(assessments)}
    return render(request, "referrals/refer.html", context)


@login_required
@permission_required(perms.REFER, raise_exception=True)
def my_referrals(request: HttpRequest) -> HttpResponse:
    page = _page(request, selectors.referrals_made_by(user=request.user))
    return render(request, "referrals/my_referrals.html", {"page": page})


@login_required
@permission_required(perms.REFER, raise_exception=True)
def referral_detail(request: HttpRequest, uuid) -> HttpResponse:
    """What the referrer sees: what they sent, where it is, and the decision and next steps once made."""
    contact = selectors.referral_get(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=contact, request=request)
    decision = selectors.contact_decision(contact=contact)
    return render(request, "referrals/referral_detail.html", {"contact": contact, "decision": decision})


def _clock(contact: Contact, now) -> str:
    """Working time left, or how far past due. Past due out of hours shows as overdue, never "due now"."""
    if not contact.is_open:
        return ""
    label = hours_left_label(working_hours_between(start=now, end=contact.due_at))
    return "Overdue" if contact.is_overdue(now) and not label.startswith("Overdue") else label


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
def inbox(request: HttpRequest) -> HttpResponse:
    """The MASH inbox, city-wide: red first, then by when the decision is due, with the clock for each."""
    form = InboxFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.InboxFilters(
        status=data.get("status", ""),
        rag=data.get("rag", ""),
        source=data.get("source", ""),
        overdue=bool(data.get("overdue")),
        mine=bool(data.get("mine")),
    )
    now = timezone.now()
    page = _page(request, selectors.inbox(user=request.user, filters=filters, now=now))
    for contact in page.object_list:
        contact.clock = _clock(contact, now)
        contact.overdue = contact.is_overdue(now)
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    context = {
        "form": form,
        "page": page,
        "counts": selectors.inbox_counts(user=request.user, now=now),
        "query": query,
        "filtered": bool(query),
    }
    return render(request, "referrals/inbox.html", context)


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_find(request: HttpRequest) -> HttpResponse:
    """Before recording a contact the MASH checks for an existing record. Posted, so no name is in a URL."""
    form = FindChildForm(_posted(request))
    matches = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        access_event_record(
            user=request.user,
            action="search",
            detail=f"front door: name={data['first_name']} {data['last_name']}, dob={data['date_of_birth']}",
            request=request,
        )
        matches = list(selectors.front_door_matches(**data))
    return render(request, "referrals/contact_find.html", {"form": form, "matches": matches})


def _record(request: HttpRequest, form: ContactForm, record) -> HttpResponse | None:
    try:
        contact = record()
    except ValidationError as error:
        errors_from_validation(form, error)
        return None
    note = ""
    if contact.outside_authority:
        note = " " + services.OUTSIDE_AUTHORITY_NOTE.format(postcode=contact.postcode)
    messages.success(request, f"Contact {contact.reference} recorded.{note}")
    return redirect("referrals:contact_detail", uuid=contact.uuid)


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def contact_new(request: HttpRequest, uuid) -> HttpResponse:
    """The MASH records a contact about a family that already has a record."""
    family = selectors.family_for_contact(user=request.user, uuid=uuid)
    if request.method == "GET":
        access_event_record(user=request.user, action="view", obj=family, detail="front door", request=request)
    children = selectors.children_of(family=family)
    form = ContactForm(_posted(request), children=children, assessments=family.assessments.all(), mash=True)
    if request.method == "POST" and form.is_valid():
        response = _record(
            request,
            form,
            lambda: services.contact_record(user=request.user, family=family, **form.contact_fields()),
        )
        if response:
            return response
    return render(request, "referrals/contact_new.html", {"form": form, "family": family})


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def contact_new_family(request: HttpRequest) -> HttpResponse:
    """The MASH records a contact about children with no record yet (checked first with the find page)."""
    form = ContactForm(_posted(request), mash=True, new_family=True)
    matches: list = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        for child in data["new_children"]:
            # Children already known only from contacts outside York are reused, so only family records block.
            matches.extend(p for p in selectors.front_door_matches(**child) if p.open_memberships)
        access_event_record(
            user=request.user,
            action="search",
            detail=f"front door, new family: {len(matches)} possible",
            request=request,
        )
        if matches and not data.get("confirm_new"):
            form.add_error(
                "confirm_new",
                "A record may already exist for one of these children. Record the contact against that family, "
                "or confirm these are different children",
            )
        else:
            response = _record(
                request,
                form,
                lambda: services.contact_record_new_family(
                    user=request.user,
                    family_name=data["family_name"],
                    address_line_1=data.get("address_line_1", ""),
                    postcode=data["postcode"],
                    new_children=data["new_children"],
                    **form.contact_fields(),
                ),
            )
            if response:
                return response
    return render(request, "referrals/contact_new.html", {"form": form, "family": None, "matches": matches})


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
def contact_detail(request: HttpRequest, uuid) -> HttpResponse:
    """Everything the MASH holds on a contact, its previous contacts, and the actions its status allows."""
    contact = selectors.contact_get(user=request.user, uuid=uuid)
    access_event_record(user=request.user, action="view", obj=contact, request=request)
    now = timezone.now()
    context = {
        "contact": contact,
        "clock": _clock(contact, now),
        "overdue": contact.is_overdue(now),
        "previous": selectors.contacts_previous(user=request.user, contact=contact),
        "ratings": list(contact.ratings.select_related("rated_by")),
        "decision": selectors.contact_decision(contact=contact),
        "transfer": selectors.transfer_for(contact=contact),
        "may_decide": request.user.has_perm(perms.DECIDE_CONTACT),
        "outside_note": services.OUTSIDE_AUTHORITY_NOTE.format(postcode=contact.postcode),
    }
    return render(request, "referrals/contact_detail.html", context)


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
@require_POST
def contact_assign(request: HttpRequest, uuid) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, uuid=uuid)
    try:
        services.contact_assign(user=request.user, contact=contact)
    except services.ContactError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{contact} is assigned to you.")
    return redirect("referrals:contact_detail", uuid=contact.uuid)


def _contact_form_page(request, *, contact, form, template: str, save, success: str) -> HttpResponse:
    """The shape every screening page shares: validate, call the service, say what happened."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.ContactError as error:
            messages.error(request, str(error))
            return redirect("referrals:contact_detail", uuid=contact.uuid)
        except ConsentError as error:  # an override the consent rules refuse: say why, keep what was typed
            form.add_error(None, str(error))
        else:
            messages.success(request, success)
            return redirect("referrals:contact_detail", uuid=contact.uuid)
    return render(request, template, {"form": form, "contact": contact})


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
@require_POST
def referrer_told(request: HttpRequest, uuid) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, uuid=uuid)
    try:
        services.referrer_told_record(user=request.user, contact=contact)
    except services.ContactError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Recorded that the referrer has been told.")
    return redirect("referrals:contact_detail", uuid=contact.uuid)


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_rate(request: HttpRequest, uuid) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, uuid=uuid)
    form = RagForm(_posted(request), initial={"rag": contact.rag})
    return _contact_form_page(
        request,
        contact=contact,
        form=form,
        template="referrals/contact_rate.html",
        save=lambda data: services.contact_rate(user=request.user, contact=contact, **data),
        success="RAG rating saved. The decision clock now follows it.",
    )


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_screen(request: HttpRequest, uuid) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, uuid=uuid)
    initial = {
        "checks": [name for name in Contact.CHECKS if getattr(contact, f"checked_{name}")],
        "information_gathered": contact.information_gathered,
        "ready": contact.status == Contact.Status.AWAITING_DECISION,  # saving again keeps it with the manager
    }
    form = ScreeningForm(_posted(request), initial=initial)

    def save(data):
        checks = {name: name in data["checks"] for name in Contact.CHECKS}
        services.contact_screen(
            user=request.user,
            contact=contact,
            checks=checks,
            information_gathered=data["information_gathered"],
            ready=data["ready"],
        )

    ready = request.method == "POST" and request.POST.get("ready")
    return _contact_form_page(
        request,
        contact=contact,
        form=form,
        template="referrals/contact_screen.html",
        save=save,
        success="Screening saved and sent for a manager's decision." if ready else "Screening saved.",
    )


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_duplicate(request: HttpRequest, uuid) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, uuid=uuid)
    return _contact_form_page(
        request,
        contact=contact,
        form=EndForm(_posted(request), duplicate=True),
        template="referrals/contact_end.html",
        save=lambda data: services.contact_mark_duplicate(user=request.user, contact=contact, **data),
        success="The contact is closed as a duplicate.",
    )


@login_required
@permission_required(perms.TRIAGE_CONTACT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_withdraw(request: HttpRequest, uuid) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, uuid=uuid)
    return _contact_form_page(
        request,
        contact=contact,
        form=EndForm(_posted(request), duplicate=False),
        template="referrals/contact_end.html",
        save=lambda data: services.contact_withdraw(user=request.user, contact=contact, reason=data["reason"]),
        success="The contact is withdrawn.",
    )


@login_required
@permission_required(perms.DECIDE_CONTACT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_decide(request: HttpRequest, uuid) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, uuid=uuid)
    if contact.status != Contact.Status.AWAITING_DECISION:
        messages.info(request, f"{contact} is {contact.get_status_display().lower()}, so it cannot be decided now.")
        return redirect("referrals:contact_detail", uuid=contact.uuid)
    approvers = users_with_role(role=perms.MASH_MANAGER).exclude(pk=request.user.pk)
    form = DecisionForm(
        _posted(request),
        teams=LocalAreaTeam.objects.all(),
        services=services_active(local_area_team=contact.local_area_team),
        approvers=approvers,
        initial={"local_area_team": contact.local_area_team, "level": contact.requested_level},
    )
    return _contact_form_page(
        request,
        contact=contact,
        form=form,
        template="referrals/contact_decide.html",
        save=lambda data: services.contact_decide(user=request.user, contact=contact, **form.decision_fields()),
        success="Decision recorded. The referrer will be told the outcome and next steps.",
    )


@login_required
@permission_required(perms.DECIDE_CONTACT, raise_exception=True)
@require_http_methods(["GET", "POST"])
def transfer_reference(request: HttpRequest, uuid) -> HttpResponse:
    from cases.services import transfer_reference_record

    contact = selectors.contact_get(user=request.user, uuid=uuid)
    transfer = selectors.transfer_for(contact=contact)
    if transfer is None:
        messages.info(request, "This contact was not passed to children's social care.")
        return redirect("referrals:contact_detail", uuid=contact.uuid)
    return _contact_form_page(
        request,
        contact=contact,
        form=TransferReferenceForm(_posted(request), initial={"external_reference": transfer.external_reference}),
        template="referrals/transfer_reference.html",
        save=lambda data: transfer_reference_record(user=request.user, transfer=transfer, **data),
        success="Children's social care reference recorded. The contact is closed.",
    )


@login_required
@permission_required(perms.FLAG_CONCERN, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def concern_flag_add(request: HttpRequest, uuid) -> HttpResponse:
    """Any practitioner flags a concern about a child for their agency: no narrative, no consent needed."""
    person = person_get(user=request.user, uuid=uuid)
    form = ConcernFlagForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            flag = services.concern_flag_raise(user=request.user, person=person, **form.cleaned_data)
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.ContactError as error:
            form.add_error(None, str(error))
        else:
            raised = (
                " Three agencies have now flagged concerns: the Local Area Team will review."
                if flag.review_task_id
                else ""
            )
            messages.success(request, f"Concern flagged for {person.full_name}.{raised}")
            return redirect("cases:person_detail", uuid=person.uuid)
    flags = selectors.flags_for(person=person)
    return render(request, "referrals/concern_flag.html", {"form": form, "person": person, "flags": flags})
