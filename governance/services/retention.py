"""Retention: the daily review queue of families whose youngest child has turned 25, legal holds, and the disposal
of a family's records, which leaves only a tombstone.

The rule and its edges (unborn children, families with no children) are in `governance.selectors.retention`.
"""

import threading
from collections import defaultdict
from datetime import date

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, ProtectedError, Q
from django.db.models.signals import post_delete
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from earlyhelp.audit.services import access_event_record
from earlyhelp.core.states import status_move
from governance.models import BreakGlassGrant, FamilyTombstone, RetentionReview
from governance.selectors.retention import (
    HISTORY_COUNT_KEY,
    RETENTION_YEARS,
    birthday,
    families_past_retention,
    family_disposal_plan,
    family_has_open_work,
    family_past_retention,
    family_subject_access_pending,
)
from referrals.models import Contact


class RetentionError(Exception):
    """A retention action refused: the message says why, for the information governance officer."""


def retention_reviews_build(*, today: date) -> int:
    """Queue a review for every family whose youngest child turned 25 on or before `today`, with no open episode
    or contact, and not already queued. Idempotent, and a fixed number of queries whatever the number of families
    (one select, then one bulk insert of the reviews and one of their history). Returns how many were queued."""
    for _attempt in range(2):
        found = families_past_retention(today=today).filter(retention_review__isnull=True)
        reviews = [
            RetentionReview(family_id=pk, due_on=birthday(born, years=RETENTION_YEARS))
            for pk, born in found.values_list("pk", "youngest_child_born")
        ]
        if not reviews:
            return 0
        try:
            with transaction.atomic():
                bulk_create_with_history(reviews, RetentionReview)
        except IntegrityError:  # another run queued some of these meanwhile: look again for what is missing
            continue
        return len(reviews)
    raise RetentionError("The retention review queue could not be built: try again")


def _locked(review: RetentionReview) -> RetentionReview:
    try:
        return RetentionReview.objects.select_for_update().select_related("family__local_area_team").get(pk=review.pk)
    except RetentionReview.DoesNotExist:
        raise RetentionError("These records have already been disposed of") from None


@transaction.atomic
def retention_hold_place(*, review: RetentionReview, user, reason: str, review_on: date) -> RetentionReview:
    """Put the family's records under a legal hold (litigation, an inquiry, a complaint): they cannot be disposed
    of until the hold is released. `review_on` is when the hold is looked at again."""
    reason = reason.strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why the records must be kept"
    if review_on is None or review_on <= timezone.localdate():
        errors["review_on"] = "The date to look at the hold again must be in the future"
    if errors:
        raise ValidationError(errors)
    review = _locked(review)
    if review.status == RetentionReview.Status.HELD:
        raise RetentionError("These records are already under a legal hold")
    status_move(review, RetentionReview.Status.HELD, error=RetentionError, noun="A retention review")
    review.hold_reason = reason
    review.held_by = user
    review.held_at = timezone.now()
    review.hold_review_on = review_on
    review.save(update_fields=["status", "hold_reason", "held_by", "held_at", "hold_review_on", "updated_at"])
    return review


@transaction.atomic
def retention_hold_release(*, review: RetentionReview, user) -> RetentionReview:
    """Release a legal hold: the review is due again and the records may be disposed of. The hold's reason and
    who placed it stay in the review's history (the acting user is recorded there)."""
    review = _locked(review)
    if review.status != RetentionReview.Status.HELD:
        raise RetentionError("There is no legal hold on these records to release")
    status_move(review, RetentionReview.Status.DUE, error=RetentionError, noun="A retention review")
    review.hold_reason = ""
    review.held_by = None
    review.held_at = None
    review.hold_review_on = None
    review.save(update_fields=["status", "hold_reason", "held_by", "held_at", "hold_review_on", "updated_at"])
    return review


def _refusal(review: RetentionReview, *, today: date) -> str:
    """Why `review`'s family may not be disposed of today, or "" when it may."""
    if review.status == RetentionReview.Status.HELD:
        return "These records are under a legal hold. Release the hold before disposing of them"
    if review.due_on > today:
        return f"These records are not due for disposal until {review.due_on:%-d %B %Y}"
    open_work = family_has_open_work(family=review.family)
    if open_work["episode"]:
        return "The family has an open episode of early help. Its records cannot be disposed of while it is open"
    if open_work["contact"]:
        return "The MASH has an open contact about the family. Its records cannot be disposed of while it is open"
    if family_subject_access_pending(family=review.family, today=today):
        return (
            "A subject access request about a member of the family is still being answered. The records cannot be "
            "disposed of until its pack has been sent and its month to respond has passed"
        )
    if not family_past_retention(family=review.family, today=today):
        return "A child under 25, or a child with no date of birth, has joined the family since it was queued"
    return ""


def retention_refusal(*, review: RetentionReview) -> str:
    """Why the review's records may not be disposed of now ("" when they may), for the review page."""
    return _refusal(review, today=timezone.localdate())


class _DeletionLog:
    """Every row deleted in this thread while it is connected, by model: cascades included, so the history of
    each can be deleted too, and no row goes uncounted."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()
        self.pks: dict[type[models.Model], list] = defaultdict(list)

    def __call__(self, sender, instance, **kwargs) -> None:
        if threading.get_ident() == self.thread:
            self.pks[sender].append(instance.pk)


def _contact_duplicates_unlink(family) -> None:
    """A contact marked a duplicate of one of the family's contacts protects it: the family's own are unlinked in
    one update (they are deleted next), another family's one by one, so each keeps a history entry of the change."""
    Contact.objects.filter(family=family, duplicate_of__isnull=False).update(duplicate_of=None)
    for contact in Contact.objects.filter(duplicate_of__family=family):
        contact.duplicate_of = None
        contact.save(update_fields=["duplicate_of", "updated_at"])


def _stored_files(model, queryset) -> list[tuple]:
    """(storage, name) of every file the records hold: deleted from storage once the deletion commits."""
    files = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.FileField):
            names = queryset.exclude(**{field.name: ""}).values_list(field.name, flat=True)
            files += [(field.storage, name) for name in names]
    return files


def _files_delete(files: list[tuple]) -> None:
    for storage, name in files:
        storage.delete(name)


def _tracked_models() -> list[type[models.Model]]:
    """Every model with a history table."""
    return [model for model in apps.get_models() if hasattr(getattr(model, "history", None), "model")]


def _history_delete(deleted: dict) -> int:
    """Delete the history rows of every deleted record (simple_history wrote a last one as each was deleted), and
    of records deleted before the disposal under one of them (a need removed from an assessment, a scaling cleared,
    a restriction lifted from a person): their history still holds what they said.

    The second part goes by scope: a history row whose record no longer exists, and whose key to a parent (its
    family, person, assessment, episode...) names a record deleted now, goes; and then its own children's, until
    none is found (a few rounds, each a query per kind of record with such a key). History of records that still
    exist is left alone, even when it once named the family (a contact in another family once marked its
    duplicate)."""
    count = 0
    tracked = _tracked_models()
    for model, pks in deleted.items():
        if model in tracked:
            count += model.history.model.objects.filter(**{f"{model._meta.pk.attname}__in": pks}).delete()[0]
    scope = {model: set(pks) for model, pks in deleted.items()}
    new = {model: set(pks) for model, pks in deleted.items() if pks}
    while new:
        found: dict[type[models.Model], set] = defaultdict(set)
        for model in tracked:
            keys = [
                field
                for field in model._meta.concrete_fields
                if field.many_to_one and field.related_model in new and field.name != "history_user"
            ]
            if not keys:
                continue
            pk_name = model._meta.pk.attname
            in_scope = Q()
            for key in keys:
                in_scope |= Q(**{f"{key.attname}__in": new[key.related_model]})
            gone = model.history.model.objects.filter(in_scope).filter(
                ~Exists(model._base_manager.filter(pk=OuterRef(pk_name)))
            )
            pks = set(gone.values_list(pk_name, flat=True)) - scope.get(model, set())
            if pks:
                count += model.history.model.objects.filter(**{f"{pk_name}__in": pks}).delete()[0]
                found[model] = pks
                scope.setdefault(model, set()).update(pks)
        new = found
    return count


_REASON_REMOVED = "(removed at disposal)"


def _break_glass_reasons_remove(family) -> None:
    """A break-the-glass grant is kept (who looked at which family, and when), but its reason is free text about the
    family: it is replaced, in the grant and in every history row of it."""
    BreakGlassGrant.objects.filter(family=family).update(reason=_REASON_REMOVED)
    BreakGlassGrant.history.model.objects.filter(family_id=family.pk).update(reason=_REASON_REMOVED)


@transaction.atomic
def family_dispose(*, review: RetentionReview, user, reason: str) -> FamilyTombstone:
    """Delete a family and everything held about it, and the people who belong to no other family (each with its
    history), keeping a tombstone with counts and no personal data; stored files go once the deletion commits.

    Refused when the records are under a legal hold, when the review is not yet due, when a subject access request
    about a member is still being answered, or when an open episode or contact (or a child under 25) has appeared
    since the family was queued. Break-the-glass grants on the family are kept without their reasons. The access
    log is kept: it holds uuids, not personal data, and the disposal is written to it."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the records are being disposed of"})
    review = _locked(review)
    family = review.family
    refusal = _refusal(review, today=timezone.localdate())
    if refusal:
        raise RetentionError(refusal)
    plan = family_disposal_plan(family=family)
    files = [file for model, queryset in plan.steps for file in _stored_files(model, queryset)]
    _contact_duplicates_unlink(family)
    _break_glass_reasons_remove(family)
    log = _DeletionLog()
    post_delete.connect(log, weak=False)
    try:
        for model, queryset in plan.steps:
            model.objects.filter(pk__in=list(queryset.values_list("pk", flat=True))).delete()
    except ProtectedError as error:
        kinds = sorted({type(record)._meta.verbose_name_plural for record in error.protected_objects})
        raise RetentionError(
            f"Records of another family refer to this family's records ({', '.join(kinds)}). Those references "
            "must be removed before the records can be disposed of"
        ) from error
    finally:
        post_delete.disconnect(log)
    counts = {
        model._meta.label_lower: len(pks)
        for model, pks in log.pks.items()
        if not model._meta.auto_created and model is not RetentionReview
    }
    counts[HISTORY_COUNT_KEY] = _history_delete(log.pks)
    tombstone = FamilyTombstone.objects.create(
        reference=family.reference,
        local_area_team=family.local_area_team.name,
        opened_on=timezone.localdate(family.created_at),
        youngest_child_25_on=review.due_on,
        disposed_at=timezone.now(),
        disposed_by=user,
        reason=reason,
        record_counts=counts,
    )
    access_event_record(user=user, action="view", obj=family, detail="retention: records disposed of")
    transaction.on_commit(lambda: _files_delete(files))
    return tombstone
