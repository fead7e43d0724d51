"""Reads for restricted records (docs/permissions.md, rule 4): the restrictions information governance officers
manage, the records they may restrict, and who is on each allow-list.

Information governance officers see every restriction, and may find any family or person in the city to restrict
it, but only the little that identifies the record (name, date of birth, family reference, team): never its case
content. The allow-list belongs to a family (`perms.ACCESS_RESTRICTED_FAMILY`); a person's restriction uses the
allow-lists of every family they belong to, because `people_visible_to` reads those, but owns (shows, adds to and
takes from) only those of their families not restricted in their own right (`restriction_owned_families`)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from cases.models import Episode, Family, FamilyMember, FamilyUserObjectPermission, Person
from earlyhelp.accounts.models import User
from earlyhelp.core import perms
from earlyhelp.core.validators import nhs_number_normalise
from governance.models import Restriction

MATCHES_MAX = 20
# Roles whose holders can look at families at all: only they gain anything from an allow-list.
_FAMILY_ROLES = tuple(slug for slug, role in perms.ROLES.items() if perms.VIEW_FAMILY in role.permissions)
_OFFICER_ROLES = tuple(slug for slug, role in perms.ROLES.items() if perms.MANAGE_RESTRICTIONS in role.permissions)


def _allow_grants() -> QuerySet[FamilyUserObjectPermission]:
    return FamilyUserObjectPermission.objects.filter(permission__codename=perms.ACCESS_RESTRICTED_FAMILY)


def _restricted_in_own_right():
    """Ids of the families under a family restriction in force: their allow-list grants belong to that restriction."""
    return Restriction.objects.filter(lifted_at__isnull=True, family__isnull=False).values("family_id")


def _allow_list_size():
    """How many people are on a restriction's allow-list, as an annotation (one subquery per kind of record)."""
    on_family = (
        _allow_grants()
        .filter(content_object=OuterRef("family"))
        .order_by()
        .values("content_object")
        .annotate(size=Count("user", distinct=True))
        .values("size")
    )
    on_person = (
        _allow_grants()
        .filter(content_object__members__person=OuterRef("person"))
        .exclude(content_object__in=_restricted_in_own_right())
        .order_by()
        .values("permission")
        .annotate(size=Count("user", distinct=True))
        .values("size")
    )
    return Coalesce(Subquery(on_family), Subquery(on_person), Value(0))


def _with_record(restrictions: QuerySet[Restriction]) -> QuerySet[Restriction]:
    """Restrictions with the family, or the person and the families they belong to, loaded."""
    memberships = FamilyMember.objects.select_related("family__local_area_team").order_by("family__reference")
    return restrictions.select_related("family__local_area_team", "person", "restricted_by").prefetch_related(
        Prefetch("person__memberships", queryset=memberships, to_attr="family_memberships")
    )


def restrictions_active(*, user, today: date, due_only: bool = False) -> QuerySet[Restriction]:
    """Restrictions in force, the one due for review soonest first, each with its allow-list size and whether its
    review is due (`is_due`). Nothing for anyone who may not manage restrictions."""
    if not user.has_perm(perms.MANAGE_RESTRICTIONS):
        return Restriction.objects.none()
    restrictions = Restriction.objects.filter(lifted_at__isnull=True)
    if due_only:
        restrictions = restrictions.filter(review_due__lte=today)
    return _with_record(restrictions).annotate(
        allow_list_size=_allow_list_size(),
        is_due=ExpressionWrapper(Q(review_due__lte=today), output_field=BooleanField()),
    )


def restriction_get(*, user, uuid) -> Restriction:
    """One restriction, in force or lifted, for someone who manages restrictions; 404 otherwise."""
    if not user.has_perm(perms.MANAGE_RESTRICTIONS):
        raise Http404("No such restriction")
    try:
        return _with_record(Restriction.objects.select_related("last_reviewed_by", "lifted_by")).get(uuid=uuid)
    except (Restriction.DoesNotExist, ValueError):
        raise Http404("No such restriction") from None


def restriction_active_for(*, family: Family | None = None, person: Person | None = None) -> Restriction | None:
    """The restriction in force on a family or a person, if any."""
    record = {"family": family} if family is not None else {"person": person}
    return Restriction.objects.filter(lifted_at__isnull=True, **record).first()


def restriction_families(*, family: Family | None = None, person: Person | None = None) -> QuerySet[Family]:
    """The families whose allow-list a restriction uses: the family itself, or every family the person is in."""
    if family is not None:
        return Family.objects.filter(pk=family.pk)
    return Family.objects.filter(members__person=person).distinct()


def restriction_covered_families(*, restriction: Restriction) -> QuerySet[Family]:
    return restriction_families(family=restriction.family, person=restriction.person)


def families_still_restricted(*, families: QuerySet[Family], excluding: Restriction) -> set[int]:
    """Ids of `families` whose allow-list another restriction in force still uses (the family's own, or one on a
    person in it)."""
    others = Restriction.objects.filter(lifted_at__isnull=True).exclude(pk=excluding.pk)
    in_use = families.filter(Q(restrictions__in=others) | Q(members__person__restrictions__in=others)).values_list(
        "pk", flat=True
    )
    return set(in_use)


def families_restricted_in_own_right(*, families: QuerySet[Family]) -> QuerySet[Family]:
    """Those of `families` under a family restriction in force (not merely holding a restricted person)."""
    return families.filter(pk__in=_restricted_in_own_right())


def restriction_owned_families(*, restriction: Restriction) -> QuerySet[Family]:
    """The families whose allow-list grants belong to a restriction. A family's restriction owns its family's grants.
    A person's restriction owns the grants on the person's families that are not restricted in their own right
    (shared with any other restricted person in the same family): on a family restricted in its own right, the
    grants are that family's restriction's, which a person's restriction neither adds to nor takes from."""
    families = restriction_covered_families(restriction=restriction)
    if restriction.family_id:
        return families
    return families.exclude(pk__in=_restricted_in_own_right())


def restriction_allow_list(*, restriction: Restriction) -> QuerySet[User]:
    """The people on a restriction's allow-list, by name: those holding a grant on a family it owns
    (`restriction_owned_families`), so a person's restriction does not show a restricted family's allow-list."""
    families = restriction_owned_families(restriction=restriction)
    granted = _allow_grants().filter(content_object__in=families).values("user_id")
    return User.objects.filter(pk__in=granted).select_related("agency").order_by("full_name", "id")


def allowable_users() -> QuerySet[User]:
    """Staff who may be put on an allow-list: active people holding a role that looks at families (anyone else would
    gain nothing from it), by name."""
    return (
        User.objects.filter(is_active=True, is_service_account=False, memberships__role__in=_FAMILY_ROLES)
        .distinct()
        .select_related("agency")
        .order_by("full_name", "id")
    )


def restriction_suggested_users(*, family: Family | None = None, person: Person | None = None) -> QuerySet[User]:
    """Whom to offer for the allow-list: the workers allocated to the record's open episodes."""
    families = restriction_families(family=family, person=person)
    leads = Episode.objects.filter(family__in=families, status__in=Episode.OPEN).values("lead_practitioner_id")
    return allowable_users().filter(pk__in=leads)


def family_to_restrict(*, user, uuid) -> Family:
    """Any family in the city, for an information governance officer restricting it; 404 for anyone else."""
    if not user.has_perm(perms.RESTRICT_RECORDS):
        raise Http404("No such family")
    try:
        return Family.objects.select_related("local_area_team").annotate(people=Count("members")).get(uuid=uuid)
    except (Family.DoesNotExist, ValueError):
        raise Http404("No such family") from None


def person_to_restrict(*, user, uuid) -> Person:
    """Any person in the city, for an information governance officer restricting them; 404 for anyone else."""
    if not user.has_perm(perms.RESTRICT_RECORDS):
        raise Http404("No such person")
    memberships = FamilyMember.objects.select_related("family__local_area_team").order_by("family__reference")
    try:
        return Person.objects.prefetch_related(
            Prefetch("memberships", queryset=memberships, to_attr="family_memberships")
        ).get(uuid=uuid)
    except (Person.DoesNotExist, ValueError):
        raise Http404("No such person") from None


@dataclass(frozen=True)
class RecordFind:
    """What an information governance officer looks a record up by: a family reference, an NHS number, or a name
    and date of birth."""

    reference: str = ""
    nhs_number: str = ""
    first_name: str = ""
    last_name: str = ""
    date_of_birth: date | None = None

    def describe(self) -> str:
        parts = [
            f"reference={self.reference}" if self.reference else "",
            f"nhs={self.nhs_number}" if self.nhs_number else "",
            f"name={self.first_name} {self.last_name}".rstrip() if self.first_name or self.last_name else "",
            f"dob={self.date_of_birth.isoformat()}" if self.date_of_birth else "",
        ]
        return "restrict a record: " + ", ".join(part for part in parts if part)


def records_to_restrict(*, user, find: RecordFind) -> tuple[list[Family], list[Person]]:
    """Families and people anywhere in the city matching `find`, restricted or not, with the minimum that tells
    them apart (name, date of birth, family reference and team). Empty for anyone who may not restrict records."""
    if not user.has_perm(perms.RESTRICT_RECORDS):
        return [], []
    families = []
    if find.reference:
        families = list(
            Family.objects.filter(reference__iexact=find.reference.strip())
            .select_related("local_area_team")
            .annotate(people=Count("members"))
        )
    people = Person.objects.none()
    if find.nhs_number:
        people = Person.objects.filter(nhs_number=nhs_number_normalise(find.nhs_number))
    elif find.date_of_birth and (find.first_name or find.last_name):
        same_day = Q(date_of_birth=find.date_of_birth) | Q(expected_date_of_birth=find.date_of_birth)
        named = Q()
        if find.last_name:
            named |= Q(last_name__iexact=find.last_name.strip())
        if find.first_name:
            named |= Q(first_name__iexact=find.first_name.strip())
        people = Person.objects.filter(same_day & named)
    memberships = FamilyMember.objects.select_related("family__local_area_team").order_by("family__reference")
    people = people.prefetch_related(
        Prefetch("memberships", queryset=memberships, to_attr="family_memberships")
    ).order_by("last_name", "first_name", "id")
    return families, list(people[:MATCHES_MAX])


def restriction_reviews(*, restriction: Restriction) -> list:
    """The reviews of a restriction, newest first: the history rows a review wrote, with its reason for keeping
    the restriction (kept as the row's change reason)."""
    rows = restriction.history.filter(history_change_reason__isnull=False).exclude(history_change_reason="")
    return list(rows.select_related("last_reviewed_by").order_by("-history_date", "-history_id"))


def restrictions_due(*, today: date) -> QuerySet[Restriction]:
    """Restrictions in force whose review is due on or before `today`."""
    return _with_record(Restriction.objects.filter(lifted_at__isnull=True, review_due__lte=today))


def governance_officers() -> QuerySet[User]:
    """Active people who manage restrictions: told when one is due for review."""
    return (
        User.objects.filter(is_active=True, is_service_account=False, memberships__role__in=_OFFICER_ROLES)
        .distinct()
        .order_by("full_name", "id")
    )


def initials(person: Person) -> str:
    """A person named by initials only, for lists where the name is not needed."""
    return " ".join(f"{part[0].upper()}." for part in (person.first_name, person.last_name) if part)


def restriction_label(restriction: Restriction) -> str:
    """How a restriction is named in lists and notifications: a family by reference and team, a person by initials
    and the references of their families. Never a name."""
    if restriction.family_id:
        return f"family {restriction.family.reference} ({restriction.family.local_area_team.name})"
    references = ", ".join(m.family.reference for m in _memberships(restriction.person))
    return f"person {initials(restriction.person)}" + (f" in {references}" if references else "")


def _memberships(person: Person) -> list[FamilyMember]:
    if hasattr(person, "family_memberships"):
        return person.family_memberships
    return list(person.memberships.select_related("family__local_area_team").order_by("family__reference"))
