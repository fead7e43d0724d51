"""Reads for break-the-glass: the family a user may ask access to, search hits outside their scope, the grants they
hold in their session (so the access log flags pages without a query), and the report of every use.

The session keeps the user's active grants under `BREAK_GLASS_SESSION_KEY` as
`{str(family id): {"grant": uuid, "user": user id, "until": ISO datetime, "people": [person uuids]}}`. It is written
when a grant is given, into the session that asked and every other live session of the user
(`governance.services.break_glass.break_glass_session_remember`, `break_glass_sessions_share`), and again at every
sign-in, so pages are flagged in every session of the user while the grant lasts."""

from datetime import date, datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from cases.models import Family, FamilyMember, Person
from cases.selectors import SEARCH_NAME_SIMILARITY, SearchCriteria, _name_filter, families_visible_to
from earlyhelp.audit.models import AccessEvent
from earlyhelp.core.perms import BREAK_GLASS
from earlyhelp.core.validators import nhs_number_normalise
from governance.models import BreakGlassGrant

BREAK_GLASS_SESSION_KEY = "break_glass_grants"
OUTSIDE_SCOPE_HITS = 5  # at most this many "a record exists" lines, one per family


def break_glass_family(*, user, uuid) -> Family:
    """The family `user` asks break-the-glass access to: any family that is not restricted, or 404 (a restricted
    family, an unknown uuid, or a user who may not break the glass)."""
    if not user.has_perm(BREAK_GLASS):
        raise Http404("No such family")
    try:
        return Family.objects.select_related("local_area_team").get(uuid=uuid, restricted=False)
    except (Family.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such family") from None


def family_is_visible(*, user, family: Family) -> bool:
    """Whether `user` already sees `family` (rules 1 to 5), so needs no break-the-glass."""
    return families_visible_to(user).filter(pk=family.pk).exists()


def search_is_specific(criteria: SearchCriteria) -> bool:
    """Whether a search identifies someone closely enough to say a record exists outside the user's scope: an NHS
    number, or a name with a date of birth. Anything broader would let the search enumerate records."""
    return bool(criteria.nhs_number or (criteria.name.strip() and criteria.date_of_birth))


def records_outside_scope(*, user, criteria: SearchCriteria) -> list[UUID]:
    """The uuids of families outside `user`'s scope holding someone who matches a specific search, for a
    "record exists, request access" line each, in one query. Only the identifying key decides: the NHS number when
    there is one (name, date of birth and postcode are ignored), else the name and date of birth (the postcode is
    ignored), so a hit never confirms a detail behind the key. Nothing is said of restricted families or restricted
    people, of families the user sees already, or when the search is not specific (`search_is_specific`), or to
    anyone who may not break the glass. The uuids come in a fixed order that says nothing about the families."""
    if not (user.has_perm(BREAK_GLASS) and search_is_specific(criteria)):
        return []
    # The hit is decided by the identifying key alone, so it answers no question about the other criteria: with an
    # NHS number, nothing else is looked at; otherwise the name and date of birth, not the postcode.
    people = Person.objects.filter(restricted=False)
    if criteria.nhs_number:
        people = people.filter(nhs_number=nhs_number_normalise(criteria.nhs_number))
    else:
        people = _name_filter(
            people.filter(Q(date_of_birth=criteria.date_of_birth) | Q(expected_date_of_birth=criteria.date_of_birth)),
            criteria.name,
            SEARCH_NAME_SIMILARITY,
        )
    # From the few matching people to their families, then each tested against the user's scope (not every family
    # the user sees gathered first).
    holding = FamilyMember.objects.filter(person__in=people.order_by().values("pk")).values("family_id")
    families = Family.objects.filter(restricted=False, pk__in=holding)
    families = families.exclude(Exists(families_visible_to(user).filter(pk=OuterRef("pk"))))
    return list(families.order_by("uuid").values_list("uuid", flat=True)[:OUTSIDE_SCOPE_HITS])


def _active_entries(session, user) -> list[dict]:
    grants = session.get(BREAK_GLASS_SESSION_KEY) if session is not None else None
    if not grants or user is None:
        return []
    now = timezone.now()
    return [
        entry | {"family_id": int(family_id)}
        for family_id, entry in grants.items()
        if entry.get("user") == user.pk and datetime.fromisoformat(entry["until"]) > now
    ]


def break_glass_grant_in_session(*, session, user, obj) -> UUID | None:
    """The uuid of `user`'s active grant covering `obj`, read from the session (no query), or None.

    `obj` is covered when it is the granted family, when it belongs to it (its `family_id`), or when it is a person
    in it: one who was a member when the grant was given (no query), or, only while the session holds a grant, one
    who is a member now (one query). Anything else (a search, a page about no family) is not flagged."""
    if obj is None:
        return None
    entries = _active_entries(session, user)
    if not entries:
        return None
    label = obj._meta.label_lower
    if label == "cases.family":
        family_id = obj.pk
    elif label == "cases.person":
        person = str(obj.uuid)
        grant = next((UUID(entry["grant"]) for entry in entries if person in entry.get("people", ())), None)
        if grant is not None:
            return grant
        # Someone who joined a granted family after the grant: one query, only for a session holding a grant.
        family_id = (
            FamilyMember.objects.filter(person_id=obj.pk, family_id__in=[entry["family_id"] for entry in entries])
            .order_by("family_id")
            .values_list("family_id", flat=True)
            .first()
        )
    else:
        family_id = getattr(obj, "family_id", None)
    return next((UUID(entry["grant"]) for entry in entries if entry["family_id"] == family_id), None)


def break_glass_until(*, session, user, family: Family) -> datetime | None:
    """When `user`'s break-the-glass access to `family` ends, if they are seeing it under a grant (from the
    session, no query)."""
    entry = next((e for e in _active_entries(session, user) if e["family_id"] == family.pk), None)
    return datetime.fromisoformat(entry["until"]) if entry else None


def break_glass_grants_active(*, user) -> QuerySet[BreakGlassGrant]:
    """`user`'s grants that have not expired (never one whose family has been disposed of)."""
    return BreakGlassGrant.objects.filter(user=user, family__isnull=False, expires_at__gt=timezone.now())


def break_glass_report(
    *, date_from: date | None = None, date_to: date | None = None, user=None
) -> QuerySet[BreakGlassGrant]:
    """Every break-the-glass use, newest first, with who, the family's team and how many pages were viewed under it
    (`pages_viewed`: access events flagged with the grant), in one query. The count looks only at the user's events
    while the grant lasted, so it uses the access log's index on user and time."""
    pages = (
        AccessEvent.objects.filter(
            user=OuterRef("user_id"),
            occurred_at__gte=OuterRef("granted_at"),
            occurred_at__lte=OuterRef("expires_at"),
            break_glass_grant=OuterRef("uuid"),
        )
        .order_by()
        .values("break_glass_grant")
        .annotate(count=Count("pk"))
        .values("count")
    )
    grants = BreakGlassGrant.objects.select_related("user__agency", "family__local_area_team").annotate(
        pages_viewed=Coalesce(Subquery(pages, output_field=IntegerField()), Value(0))
    )
    if date_from:
        grants = grants.filter(granted_at__date__gte=date_from)
    if date_to:
        grants = grants.filter(granted_at__date__lte=date_to)
    if user is not None:
        grants = grants.filter(user=user)
    return grants.order_by("-granted_at", "-id")


def break_glass_report_users() -> QuerySet:
    """The people who have used break-the-glass, for the report's filter."""
    from earlyhelp.accounts.models import User

    return User.objects.filter(pk__in=BreakGlassGrant.objects.values("user")).order_by("full_name", "email")
