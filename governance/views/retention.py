"""Retention pages for information governance officers: the review queue of families whose youngest child has
turned 25, one review (what disposal would delete, counted by kind, never its content), disposing of the records,
legal holds, and the tombstones of families disposed of.

Officers see every family's review whatever its team or restriction, but only by reference and team."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from earlyhelp.core.forms import errors_from_validation
from earlyhelp.core.submit_once import submit_once
from governance.forms.retention import DisposeForm, LegalHoldForm, RetentionQueueFilterForm
from governance.selectors import retention as selectors
from governance.services import retention as services

PER_PAGE = 25


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


@login_required
@permission_required(perms.REVIEW_RETENTION, raise_exception=True)
@require_http_methods(["GET"])
def retention_queue(request: HttpRequest) -> HttpResponse:
    """Families due for a retention review, oldest first, filtered by status (due, or under a legal hold)."""
    form = RetentionQueueFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    page = Paginator(selectors.retention_reviews_queue(status=status), PER_PAGE).get_page(request.GET.get("page"))
    access_event_record(
        user=request.user, action="view", detail=f"retention review queue, page {page.number}", request=request
    )
    context = {
        "form": form,
        "page": page,
        "query": urlencode({"status": status} if status else {}),
        "status": status,
        "today": timezone.localdate(),
    }
    return render(request, "governance/retention/queue.html", context)


@login_required
@permission_required(perms.REVIEW_RETENTION, raise_exception=True)
@require_http_methods(["GET"])
def retention_disposed(request: HttpRequest) -> HttpResponse:
    """The tombstones of the families disposed of, newest first: reference, team, when, by whom and why."""
    page = Paginator(selectors.family_tombstones(), PER_PAGE).get_page(request.GET.get("page"))
    for tombstone in page.object_list:
        counts = tombstone.record_counts.items()
        tombstone.kinds = [(name, n) for _label, name, n in selectors.record_kinds(tombstone.record_counts)]
        tombstone.records_deleted = sum(n for kind, n in counts if kind != selectors.HISTORY_COUNT_KEY)
    return render(request, "governance/retention/disposed.html", {"page": page, "query": ""})


@login_required
@permission_required(perms.REVIEW_RETENTION, raise_exception=True)
@require_http_methods(["GET"])
def retention_review(request: HttpRequest, uuid) -> HttpResponse:
    """One review: the family's reference, team and dates, how many records of each kind disposal would delete,
    who stays (people in another family), and what the officer may do."""
    review = selectors.retention_review_get(uuid=uuid)
    plan = selectors.family_disposal_plan(family=review.family)
    access_event_record(user=request.user, action="view", obj=review.family, detail="retention review", request=request)
    context = {
        "review": review,
        "counts": plan.counts(),
        "people_kept": len(plan.people_kept),
        "refusal": services.retention_refusal(review=review),
        "today": timezone.localdate(),
    }
    return render(request, "governance/retention/review.html", context)


@login_required
@permission_required(perms.REVIEW_RETENTION, raise_exception=True)
@require_http_methods(["GET", "POST"])
def retention_dispose(request: HttpRequest, uuid) -> HttpResponse:
    """Confirm the disposal with a reason and a code from the authenticator app, then delete the records."""
    review = selectors.retention_review_get(uuid=uuid)
    form = DisposeForm(_posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            tombstone = services.family_dispose(review=review, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.RetentionError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request, f"The records of family {tombstone.reference} have been disposed of. A tombstone is kept."
            )
            return redirect("governance:retention_queue")
    context = {"review": review, "form": form, "refusal": services.retention_refusal(review=review)}
    return render(request, "governance/retention/dispose.html", context)


@login_required
@permission_required(perms.REVIEW_RETENTION, raise_exception=True)
@require_http_methods(["GET", "POST"])
@submit_once
def retention_hold(request: HttpRequest, uuid) -> HttpResponse:
    """Place a legal hold on the family's records, with a reason and a date to look at it again."""
    review = selectors.retention_review_get(uuid=uuid)
    form = LegalHoldForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_hold_place(
                review=review,
                user=request.user,
                reason=form.cleaned_data["reason"],
                review_on=form.cleaned_data["review_on"],
            )
        except ValidationError as error:
            errors_from_validation(form, error)
        except services.RetentionError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Legal hold placed on the records of family {review.family.reference}.")
            return redirect("governance:retention_review", uuid=review.uuid)
    return render(request, "governance/retention/hold.html", {"review": review, "form": form})


@login_required
@permission_required(perms.REVIEW_RETENTION, raise_exception=True)
@require_POST
def retention_release(request: HttpRequest, uuid) -> HttpResponse:
    """Release the legal hold: the records are due for review again."""
    review = selectors.retention_review_get(uuid=uuid)
    try:
        services.retention_hold_release(review=review, user=request.user)
    except services.RetentionError as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, f"Legal hold released on the records of family {review.family.reference}.")
    return redirect("governance:retention_review", uuid=review.uuid)


urlpatterns: list = [
    path("retention/", retention_queue, name="retention_queue"),
    path("retention/disposed/", retention_disposed, name="retention_disposed"),
    path("retention/<uuid:uuid>/", retention_review, name="retention_review"),
    path("retention/<uuid:uuid>/dispose/", retention_dispose, name="retention_dispose"),
    path("retention/<uuid:uuid>/hold/", retention_hold, name="retention_hold"),
    path("retention/<uuid:uuid>/release/", retention_release, name="retention_release"),
]
