"""Restricted records (docs/permissions.md, rule 4): information governance officers restrict a family or a person
with a reason and an allow-list, keep the allow-list, review each restriction every 90 days and lift it.

Officers see the restrictions city-wide, and find any record to restrict, but only by what identifies it (name,
date of birth, family reference, team): never its case content."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once
from governance.forms.restrictions import (
    AllowForm,
    DisallowForm,
    LiftForm,
    RecordFindForm,
    RestrictionForm,
    ReviewForm,
)
from governance.selectors import restrictions as selectors
from governance.services import restrictions as services

PER_PAGE = 25


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


@login_required
@permission_required(perms.MANAGE_RESTRICTIONS, raise_exception=True)
def restriction_list(request: HttpRequest) -> HttpResponse:
    """The restrictions in force, soonest review first; `?due=1` keeps those due for review."""
    today = timezone.localdate()
    due_only = request.GET.get("due") == "1"
    restrictions = selectors.restrictions_active(user=request.user, today=today, due_only=due_only)
    page = Paginator(restrictions, PER_PAGE).get_page(request.GET.get("page"))
    access_event_record(
        user=request.user, action="view", detail=f"restricted records, page {page.number}", request=request
    )
    context = {
        "page": page,
        "due_only": due_only,
        "due_count": selectors.restrictions_active(user=request.user, today=today, due_only=True).count(),
    }
    return render(request, "governance/restrictions/list.html", context)


@login_required
@permission_required(perms.RESTRICT_RECORDS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def restriction_find(request: HttpRequest) -> HttpResponse:
    """Find the record to restrict, anywhere in the city. Posted, so no name or NHS number is in a URL."""
    form = RecordFindForm(_posted(request))
    families = people = None
    if request.method == "POST" and form.is_valid():
        find = selectors.RecordFind(**form.cleaned_data)
        access_event_record(user=request.user, action="search", detail=find.describe(), request=request)
        families, people = selectors.records_to_restrict(user=request.user, find=find)
    context = {"form": form, "families": families, "people": people}
    return render(request, "governance/restrictions/find.html", context)


def _restrict(request: HttpRequest, *, family=None, person=None) -> HttpResponse:
    record = family if family is not None else person
    existing = selectors.restriction_active_for(family=family, person=person)
    suggested = selectors.restriction_suggested_users(family=family, person=person)
    form = RestrictionForm(_posted(request), suggested=suggested, allowable=selectors.allowable_users())
    if request.method == "GET":
        access_event_record(user=request.user, action="view", obj=record, detail="restrict a record", request=request)
    if existing is None and request.method == "POST" and form.is_valid():
        allow = form.allow_list()
        try:
            restriction = services.restriction_create(
                user=request.user,
                family=family,
                person=person,
                category=form.cleaned_data["category"],
                reason=form.cleaned_data["reason"],
                allow=allow,
                request=request,
            )
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            messages.success(
                request,
                f"Record restricted. Only the {len(allow)} {'person' if len(allow) == 1 else 'people'} on its "
                "allow-list see it now; no one else has been told.",
            )
            return redirect("governance:restriction_detail", uuid=restriction.uuid)
    context = {"form": form, "family": family, "person": person, "existing": existing}
    return render(request, "governance/restrictions/new.html", context)


@login_required
@permission_required(perms.RESTRICT_RECORDS, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def restriction_new_family(request: HttpRequest, uuid) -> HttpResponse:
    return _restrict(request, family=selectors.family_to_restrict(user=request.user, uuid=uuid))


@login_required
@permission_required(perms.RESTRICT_RECORDS, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def restriction_new_person(request: HttpRequest, uuid) -> HttpResponse:
    return _restrict(request, person=selectors.person_to_restrict(user=request.user, uuid=uuid))


@login_required
@permission_required(perms.MANAGE_RESTRICTIONS, raise_exception=True)
def restriction_detail(request: HttpRequest, uuid) -> HttpResponse:
    restriction = selectors.restriction_get(user=request.user, uuid=uuid)
    access_event_record(
        user=request.user,
        action="view",
        obj=restriction.family or restriction.person,
        detail="restriction",
        request=request,
    )
    context = {
        "restriction": restriction,
        "allow_list": list(selectors.restriction_allow_list(restriction=restriction)),
        "reviews": selectors.restriction_reviews(restriction=restriction),
        "is_due": restriction.review_due <= timezone.localdate(),
    }
    return render(request, "governance/restrictions/detail.html", context)


def _lifted(request: HttpRequest, restriction) -> HttpResponse | None:
    """Back to the restriction's page, saying why, when it has been lifted and can no longer change."""
    if restriction.lifted_at is None:
        return None
    messages.error(request, services.LIFTED)
    return redirect("governance:restriction_detail", uuid=restriction.uuid)


@login_required
@permission_required(perms.MANAGE_RESTRICTIONS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def restriction_allow(request: HttpRequest, uuid) -> HttpResponse:
    restriction = selectors.restriction_get(user=request.user, uuid=uuid)
    if response := _lifted(request, restriction):
        return response
    on_list = selectors.restriction_allow_list(restriction=restriction).values("pk")
    form = AllowForm(_posted(request), allowable=selectors.allowable_users().exclude(pk__in=on_list))
    if request.method == "POST" and form.is_valid():
        allowed = form.cleaned_data["user"]
        try:
            services.restriction_allow(user=request.user, restriction=restriction, allowed=allowed)
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            messages.success(request, f"{allowed.full_name} is on the allow-list and can see the record.")
            return redirect("governance:restriction_detail", uuid=restriction.uuid)
    return render(request, "governance/restrictions/allow.html", {"form": form, "restriction": restriction})


@login_required
@permission_required(perms.MANAGE_RESTRICTIONS, raise_exception=True)
@require_POST
def restriction_disallow(request: HttpRequest, uuid) -> HttpResponse:
    restriction = selectors.restriction_get(user=request.user, uuid=uuid)
    if response := _lifted(request, restriction):
        return response
    form = DisallowForm(request.POST, allow_list=selectors.restriction_allow_list(restriction=restriction))
    if not form.is_valid():
        messages.error(request, "That person is not on the allow-list.")
    else:
        removed = form.cleaned_data["user"]
        services.restriction_disallow(user=request.user, restriction=restriction, allowed=removed)
        messages.success(request, f"{removed.full_name} is no longer on the allow-list. They have not been told.")
    return redirect("governance:restriction_detail", uuid=restriction.uuid)


@login_required
@permission_required(perms.MANAGE_RESTRICTIONS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def restriction_review(request: HttpRequest, uuid) -> HttpResponse:
    restriction = selectors.restriction_get(user=request.user, uuid=uuid)
    if response := _lifted(request, restriction):
        return response
    form = ReviewForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.restriction_review(user=request.user, restriction=restriction, note=form.cleaned_data["note"])
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            due = date_format(restriction.review_due, "j F Y")
            messages.success(request, f"Review recorded. The restriction stays; its next review is due on {due}.")
            return redirect("governance:restriction_detail", uuid=restriction.uuid)
    return render(request, "governance/restrictions/review.html", {"form": form, "restriction": restriction})


@login_required
@permission_required(perms.MANAGE_RESTRICTIONS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def restriction_lift(request: HttpRequest, uuid) -> HttpResponse:
    restriction = selectors.restriction_get(user=request.user, uuid=uuid)
    if response := _lifted(request, restriction):
        return response
    form = LiftForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.restriction_lift(user=request.user, restriction=restriction, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            errors_from_validation(form, error)
        else:
            messages.success(
                request, "Restriction lifted. The record is seen by the usual rules again and the allow-list is ended."
            )
            return redirect("governance:restriction_detail", uuid=restriction.uuid)
    return render(request, "governance/restrictions/lift.html", {"form": form, "restriction": restriction})


urlpatterns = [
    path("restrictions/", restriction_list, name="restrictions"),
    path("restrictions/new/", restriction_find, name="restriction_find"),
    path("restrictions/new/family/<uuid:uuid>/", restriction_new_family, name="restriction_new_family"),
    path("restrictions/new/person/<uuid:uuid>/", restriction_new_person, name="restriction_new_person"),
    path("restrictions/<uuid:uuid>/", restriction_detail, name="restriction_detail"),
    path("restrictions/<uuid:uuid>/allow/", restriction_allow, name="restriction_allow"),
    path("restrictions/<uuid:uuid>/disallow/", restriction_disallow, name="restriction_disallow"),
    path("restrictions/<uuid:uuid>/review/", restriction_review, name="restriction_review"),
    path("restrictions/<uuid:uuid>/lift/", restriction_lift, name="restriction_lift"),
]
