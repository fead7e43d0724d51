"""Writes for restricted records (docs/permissions.md, rule 4).

An information governance officer restricts a family or a person with a reason and an allow-list; the `restricted`
flag hides the record from rules 1 to 3, and only the allow-list (a guardian grant of
`perms.ACCESS_RESTRICTED_FAMILY` on each family the restriction covers) still sees it. Nobody who loses sight of the
record is told anything. Each restriction is reviewed every `RESTRICTION_REVIEW_DAYS`; a daily job tells the
officers of those due. Lifting a restriction clears the flag and removes the allow-list grants of the families no
other restriction in force still uses, so a lifted restriction leaves no access behind.

Which grants belong to which restriction (`restriction_owned_families`): a family restricted in its own right owns
every grant on it. A person's restriction owns the grants on the person's other families, and never adds or takes a
grant on a family restricted in its own right: someone can be put on a person's allow-list only if they are already
on the allow-list of each of the person's families restricted in their own right, and taking them off the person's
list leaves those grants alone. A family not restricted in its own right holds one allow-list shared by every
restricted person in it: taking someone off one person's list takes them off the family's, so they lose sight of
the others too (the safe way round; the allow-list lives on the family)."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from cases.models import Family, FamilyUserObjectPermission, Person
from earlyhelp.accounts.models import Notification
from earlyhelp.accounts.services import notify
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from governance.models import Restriction
from governance.selectors.restrictions import (
    allowable_users,
    families_restricted_in_own_right,
    families_still_restricted,
    governance_officers,
    restriction_active_for,
    restriction_allow_list,
    restriction_covered_families,
    restriction_families,
    restriction_label,
    restriction_owned_families,
    restrictions_due,
)

REASON_MIN = 15
REVIEW_NOTE_MAX = 100  # kept as the history row's change reason, whose column holds 100 characters
REASON_TOO_SHORT = f"The reason must be at least {REASON_MIN} characters, so whoever reviews it knows why"
LIFTED = "This restriction has been lifted, so it can no longer be changed"
_GRANT = f"cases.{perms.ACCESS_RESTRICTED_FAMILY}"


def _reason(text: str, *, field: str = "reason") -> str:
    text = (text or "").strip()
    if len(text) < REASON_MIN:
        raise ValidationError({field: REASON_TOO_SHORT})
    return text


def _refuse_if_lifted(restriction: Restriction) -> None:
    if restriction.lifted_at is not None:
        raise ValidationError(LIFTED)


def _refuse_unless_allowable(users: Iterable) -> None:
    allowable = set(allowable_users().values_list("pk", flat=True))
    outsiders = [user for user in users if user.pk not in allowable]
    if outsiders:
        raise ValidationError(
            {"allow": f"{outsiders[0].full_name} cannot be on an allow-list: they do not look at families"}
        )


def _allow_grants_of(user):
    return FamilyUserObjectPermission.objects.filter(user=user, permission__codename=perms.ACCESS_RESTRICTED_FAMILY)


def _refuse_unless_on_restricted_families(*, families, users: Iterable) -> None:
    """Refuse to put anyone on a person's allow-list who is not already on the allow-list of each of the person's
    families restricted in their own right: a grant there would show them a family its own restriction did not."""
    for family in families_restricted_in_own_right(families=families).order_by("reference"):
        held = set(_allow_grants_of_family(family).values_list("user_id", flat=True))
        for user in users:
            if user.pk not in held:
                raise ValidationError(
                    {
                        "allow": f"{family.reference} is itself restricted and {user.full_name} is not on its "
                        "allow-list: ask for the family's restriction to add them first"
                    }
                )


def _allow_grants_of_family(family):
    return FamilyUserObjectPermission.objects.filter(
        content_object=family, permission__codename=perms.ACCESS_RESTRICTED_FAMILY
    )


def _grant(*, families, user) -> None:
    for family in families:
        assign_perm(_GRANT, user, family)


@transaction.atomic
def restriction_create(
    *,
    user,
    category: str,
    reason: str,
    family: Family | None = None,
    person: Person | None = None,
    allow: Iterable = (),
    request: HttpRequest | None = None,
) -> Restriction:
    """Restrict a family or a person: set its flag, record why, grant the allow-list, and log the access.

    Refused when the record is already restricted, and for a person when someone on the allow-list is not on the
    allow-list of one of the person's families restricted in its own right (see the module docstring).
    Nobody is told: a notification would name the record to the people who have just lost sight of it."""
    if (family is None) == (person is None):
        raise ValueError("Restrict exactly one of a family and a person")
    reason = _reason(reason)
    allow = list(allow)
    _refuse_unless_allowable(allow)
    record = family if family is not None else person
    type(record).objects.select_for_update().filter(pk=record.pk).first()
    if restriction_active_for(family=family, person=person) is not None:
        raise ValidationError("This record is already restricted: change its restriction instead")
    if person is not None:
        _refuse_unless_on_restricted_families(families=restriction_families(person=person), users=allow)
    restriction = Restriction(
        family=family,
        person=person,
        category=category,
        reason=reason,
        restricted_by=user,
        review_due=Restriction.next_review(timezone.localdate()),
    )
    restriction.full_clean()
    try:
        with transaction.atomic():
            restriction.save()
    except IntegrityError:
        raise ValidationError("This record is already restricted: change its restriction instead") from None
    if not record.restricted:
        record.restricted = True
        record.save(update_fields=["restricted", "updated_at"])
    families = list(restriction_owned_families(restriction=restriction))
    for allowed in allow:
        _grant(families=families, user=allowed)
    access_event_record(
        user=user,
        action="view",
        obj=record,
        detail=f"restricted ({restriction.get_category_display()}); allow-list of {len(allow)}",
        request=request,
    )
    return restriction


@transaction.atomic
def restriction_allow(*, user, restriction: Restriction, allowed) -> bool:
    """Put someone on a restriction's allow-list: a grant on each family it owns (a person's restriction owns every
    family they are in, including one they joined since, except a family restricted in its own right). Refused for a
    person's restriction when one of their families is restricted in its own right and the allow-list of that
    family's restriction does not have them. False if they already held every grant."""
    _refuse_if_lifted(restriction)
    _refuse_unless_allowable([allowed])
    if restriction.person_id:
        _refuse_unless_on_restricted_families(
            families=restriction_covered_families(restriction=restriction), users=[allowed]
        )
    families = restriction_owned_families(restriction=restriction)
    held = _allow_grants_of(allowed).filter(content_object__in=families).values("content_object_id")
    missing = list(families.exclude(pk__in=held))
    _grant(families=missing, user=allowed)
    return bool(missing)


@transaction.atomic
def restriction_disallow(*, user, restriction: Restriction, allowed) -> bool:
    """Take someone off a restriction's allow-list: their grant on each family it owns is removed, so they no
    longer see the record (unless an ordinary rule would show them an unrestricted family). A grant on a family
    restricted in its own right stays when taking someone off a person's list: it is that family's restriction's,
    and through it they still see the family and everyone in it. False if they were not on it."""
    _refuse_if_lifted(restriction)
    if not restriction_allow_list(restriction=restriction).filter(pk=allowed.pk).exists():
        return False
    for family in restriction_owned_families(restriction=restriction):
        remove_perm(_GRANT, allowed, family)
    return True


@transaction.atomic
def restriction_review(*, user, restriction: Restriction, note: str) -> Restriction:
    """Record that a restriction is still needed: who reviewed it, when, and why it stays; the next review is due
    `RESTRICTION_REVIEW_DAYS` from today. The reason for keeping it is the history row's change reason."""
    _refuse_if_lifted(restriction)
    note = _reason(note, field="note")
    if len(note) > REVIEW_NOTE_MAX:
        raise ValidationError({"note": f"Keep the reason to {REVIEW_NOTE_MAX} characters"})
    restriction.last_reviewed_at = timezone.now()
    restriction.last_reviewed_by = user
    restriction.review_due = Restriction.next_review(timezone.localdate())
    restriction._change_reason = note
    restriction.save(update_fields=["last_reviewed_at", "last_reviewed_by", "review_due", "updated_at"])
    return restriction


@transaction.atomic
def restriction_lift(*, user, restriction: Restriction, reason: str) -> Restriction:
    """Lift a restriction: record who lifted it and why, clear the record's flag (unless another restriction in
    force is on the same record), and remove the allow-list grants of the families no other restriction in force
    uses, so the allow-list leaves no access behind. Staff of the family's team see it again by rule 1."""
    _refuse_if_lifted(restriction)
    reason = _reason(reason)
    restriction.lifted_at = timezone.now()
    restriction.lifted_by = user
    restriction.lift_reason = reason
    restriction.save(update_fields=["lifted_at", "lifted_by", "lift_reason", "updated_at"])
    record = restriction.family or restriction.person
    if restriction_active_for(family=restriction.family, person=restriction.person) is None and record.restricted:
        record.restricted = False
        record.save(update_fields=["restricted", "updated_at"])
    families = restriction_covered_families(restriction=restriction)
    in_use = families_still_restricted(families=families, excluding=restriction)
    allow_list = list(restriction_allow_list(restriction=restriction))
    for family in families.exclude(pk__in=in_use):
        for allowed in allow_list:
            remove_perm(_GRANT, allowed, family)
    return restriction


def restriction_url(restriction: Restriction) -> str:
    return reverse("governance:restriction_detail", kwargs={"uuid": restriction.uuid})


@transaction.atomic
def restrictions_review_notify(*, today: date) -> int:
    """Tell each information governance officer about each restriction whose review is due, once per review: an
    officer who has had a notification pointing at the restriction since it fell due is not told again (until it
    is reviewed and falls due once more). Returns how many notifications were sent."""
    officers = list(governance_officers())
    sent = 0
    for restriction in restrictions_due(today=today):
        url = restriction_url(restriction)
        told = set(
            Notification.objects.filter(
                url=url, user__in=officers, created_at__date__gte=restriction.review_due
            ).values_list("user_id", flat=True)
        )
        message = f"A restricted record is due for review: {restriction_label(restriction)}"
        for officer in officers:
            if officer.pk not in told:
                notify(user=officer, message=message, url=url)
                sent += 1
    return sent
