"""Permission-aware reads of people and families. Every page about a family starts here."""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Upper
from django.http import Http404
from django.utils import timezone

from cases.models import (
    Family,
    FamilyMember,
    FamilyUserObjectPermission,
    Person,
    PersonAddress,
    ProfessionalInvolvement,
    Relationship,
)
from consent.selectors import consent_summary, families_shareable_with_user
from earlyhelp.audit.selectors import HistorySource
from earlyhelp.core.code_lists import code_list
from earlyhelp.core.keyset import keyset_after
from earlyhelp.core.perms import (
    ACCESS_FAMILY,
    ACCESS_RESTRICTED_FAMILY,
    ALLOCATE_EPISODE,
    BREAK_GLASS,
    OVERRIDE_FAMILY_TEAM,
    TRIAGE_CONTACT,
    VIEW_FAMILY,
)
from earlyhelp.core.validators import nhs_number_normalise, postcode_normalise
from locality.selectors import team_ids_with_case_access

DUPLICATE_NAME_SIMILARITY = 0.25
SEARCH_NAME_SIMILARITY = 0.3
# pg_trgm.similarity_threshold, which the `%` operator (Django's trigram_similar) uses: left at its default.
PG_TRGM_DEFAULT_THRESHOLD = 0.3


def _granted_family_ids(user, codename: str) -> QuerySet:
    return FamilyUserObjectPermission.objects.filter(user=user, permission__codename=codename).values(
        "content_object_id"
    )


def families_visible_to(user) -> QuerySet[Family]:
    """The families `user` may see: their teams' (rule 1), their grants (rule 2), for the MASH those linked to a
    contact it is working (rule 3), the allow-list (rule 4), and their unexpired break-the-glass grants (rule 5,
    never a restricted family; a subquery of the same query, so no extra query).

    A grant is usable only while consent covers the user's agency, or before any consent decision
    (`consent.selectors.families_shareable_with_user`). Restricted families are left out of rules 1
    and 2. Anyone without the role permission to look at families at all sees none.
    """
    if not (user.is_authenticated and user.is_active and user.has_perm(VIEW_FAMILY)):
        return Family.objects.none()
    grants = _granted_family_ids(user, ACCESS_FAMILY)
    granted = Q(pk__in=grants) & families_shareable_with_user(user, among=grants)
    ordinary = Q(local_area_team__in=team_ids_with_case_access(user)) | granted
    if user.has_perm(TRIAGE_CONTACT):
        from referrals.selectors import families_at_the_front_door

        ordinary |= Q(pk__in=families_at_the_front_door().values("pk"))
    if user.has_perm(BREAK_GLASS):
        from governance.models import BreakGlassGrant

        unexpired = BreakGlassGrant.objects.filter(user=user, expires_at__gt=timezone.now(), family__isnull=False)
        ordinary |= Q(pk__in=unexpired.values("family_id"))
    allow_listed = Q(pk__in=_granted_family_ids(user, ACCESS_RESTRICTED_FAMILY))
    return Family.objects.filter((Q(restricted=False) & ordinary) | allow_listed)


def people_visible_to(user) -> QuerySet[Person]:
    """People who belong to a family `user` may see; restricted people only through the allow-list.

    Both tests are EXISTS on the person's own memberships, so a query that narrows the people first (one family's
    members, a date of birth, a name) checks only those people's few families, never every visible family."""
    in_visible = FamilyMember.objects.filter(person=OuterRef("pk"), family__in=families_visible_to(user))
    in_allow_listed = FamilyMember.objects.filter(
        person=OuterRef("pk"), family_id__in=_granted_family_ids(user, ACCESS_RESTRICTED_FAMILY)
    )
    return Person.objects.filter(Exists(in_visible), Q(restricted=False) | Exists(in_allow_listed))


def family_list(*, user, team_id: int | None = None, status: str = "") -> QuerySet[Family]:
    """The family list page: visible families with their team, newest changes last by name."""
    families = families_visible_to(user).select_related("local_area_team")
    if team_id:
        families = families.filter(local_area_team_id=team_id)
    if status:
        families = families.filter(status=status)
    return families.order_by("name", "reference")


def family_people_visible(*, user, family: Family) -> QuerySet[Person]:
    """The members of `family` that `user` may see (restricted people only through the allow-list)."""
    return people_visible_to(user).filter(memberships__family=family).order_by("last_name", "first_name")


@dataclass(frozen=True)
class FamilyListPage:
    """One page of the family list: its families, and the reference the next page starts after ("" on the last)."""

    object_list: list
    next_after: str


def family_list_page(*, user, team_id: int | None, status: str, after: str, per_page: int) -> FamilyListPage | None:
    """The family list from just after the family `after` (a reference; "" for the first page), by name then
    reference: no OFFSET and no count, so a page costs the same however many families there are (the index
    family_name_reference gives the order). None when `after` is not a family of this list (a stale or made-up link).
    """
    families = family_list(user=user, team_id=team_id, status=status)
    if after:
        start = families.filter(reference=after).values("name", "reference").first()
        if start is None:
            return None
        families = families.filter(
            keyset_after([("name", start["name"], False), ("reference", start["reference"], False)])
        )
    rows = list(families[: per_page + 1])
    return FamilyListPage(rows[:per_page], rows[per_page - 1].reference if len(rows) > per_page else "")


def family_list_teams() -> list:
    """The Local Area Teams, for the family list's filter (a code list: no query)."""
    return code_list("local_area_teams")


def family_get(*, user, uuid) -> Family:
    """One family `user` may see, or 404 (never 403: outsiders learn nothing)."""
    try:
        return families_visible_to(user).select_related("local_area_team", "ward").get(uuid=uuid)
    except (Family.DoesNotExist, ValueError):
        raise Http404("No such family") from None


def family_members_visible(*, user, family: Family) -> QuerySet:
    """The ids of `family`'s members `user` may see, as `family_people_visible` finds them, for a family already read
    through `family_get`: in a family the user sees, that is every member but restricted people off the allow-list.
    Leaving out the test the family has passed keeps the query small to plan and shallow enough for SQLite's parser.
    """
    allow_listed = FamilyMember.objects.filter(family_id__in=_granted_family_ids(user, ACCESS_RESTRICTED_FAMILY))
    members = Person.objects.filter(memberships__family=family)
    return members.filter(Q(restricted=False) | Q(pk__in=allow_listed.values("person_id"))).order_by().values("pk")


def family_page(*, user, uuid) -> Family:
    """A family with everything its overview page shows, in a fixed number of queries."""
    family = family_get(user=user, uuid=uuid)
    visible_people = family_members_visible(user=user, family=family)
    members = (
        FamilyMember.objects.filter(family=family, person__in=visible_people)
        .select_related("person")
        .order_by("role", "person__date_of_birth", "person__last_name")
    )
    relationships = Relationship.objects.filter(
        family=family, person__in=visible_people, relative__in=visible_people
    ).select_related("person", "relative")
    family.visible_members = list(members)
    family.visible_relationships = list(relationships)
    family.consent = consent_summary(family=family)
    family.open_tasks = list(family.tasks.filter(status="open").select_related("assigned_to", "team"))
    family.assessment_list = list(family.assessments.select_related("assessor"))
    family.episode_list = episodes_for(family=family)
    family.open_episode = next((episode for episode in family.episode_list if episode.is_open), None)
    family.earlier_episodes = [episode for episode in family.episode_list if not episode.is_open]
    family.involvement_list = list(
        family.involvements.select_related("agency", "person").filter(
            Q(person__isnull=True) | Q(person__in=visible_people)
        )
    )
    return family


def person_get(*, user, uuid) -> Person:
    """One person `user` may see, or 404."""
    try:
        return people_visible_to(user).select_related("school", "gp_practice").get(uuid=uuid)
    except (Person.DoesNotExist, ValueError):
        raise Http404("No such person") from None


def person_page(*, user, uuid) -> Person:
    """A person with the visible families they belong to and their address history."""
    person = person_get(user=user, uuid=uuid)
    person.visible_memberships = list(
        FamilyMember.objects.filter(person=person, family__in=families_visible_to(user)).select_related(
            "family", "family__local_area_team"
        )
    )
    person.address_list = person_addresses_visible(user=user, person=person)
    return person


def person_addresses_visible(*, user, person: Person) -> list[PersonAddress]:
    """Only the addresses of families `user` may see: a move to a refuge must not show to the old family's
    workers."""
    postcodes = families_visible_to(user).filter(members__person=person).values("postcode")
    return list(person.addresses.filter(postcode__in=postcodes))


def task_get(*, family: Family, uuid):
    from cases.models import Task

    try:
        return Task.objects.get(family=family, uuid=uuid)
    except (Task.DoesNotExist, ValueError):
        raise Http404("No such task") from None


def tasks_for(*, user) -> list:
    """Open tasks for `user`: their own, and their team's if they manage one."""
    from cases.models import Task

    mine = Q(assigned_to=user)
    if user.has_perm(OVERRIDE_FAMILY_TEAM):
        mine |= Q(assigned_to__isnull=True, team__in=team_ids_with_case_access(user))
    return list(
        Task.objects.filter(mine, status=Task.Status.OPEN, family__in=families_visible_to(user))
        .select_related("family")
        .order_by("due_on")[:20]
    )


def family_member_get(*, user, family: Family, uuid) -> FamilyMember:
    """A member of a family `user` can see, whose person `user` can also see, or 404."""
    try:
        return FamilyMember.objects.select_related("person").get(
            family=family, uuid=uuid, person__in=people_visible_to(user)
        )
    except (FamilyMember.DoesNotExist, ValueError):
        raise Http404("No such member") from None


def family_histories(*, user, family: Family) -> list[HistorySource]:
    """The change history of a family and its members, relationships and involvements, for `history_page`.

    History of people `user` may not see (restricted) is left out: a member's, and a relationship's or an
    involvement's that names them.
    """
    visible = {p.pk: p for p in people_visible_to(user).filter(memberships__family=family)}
    involved = Q(person_id__isnull=True) | Q(person_id__in=list(visible))
    return [
        HistorySource(rows=Family.history.filter(id=family.pk), label=lambda row: "Family details"),
        HistorySource(
            rows=FamilyMember.history.filter(family_id=family.pk, person_id__in=list(visible)),
            label=lambda row: f"Member: {visible[row.person_id]}",
        ),
        HistorySource(
            rows=Relationship.history.filter(family_id=family.pk, person_id__in=list(visible)).filter(
                relative_id__in=list(visible)
            ),
            label=lambda row: "Relationship",
        ),
        HistorySource(
            rows=ProfessionalInvolvement.history.filter(involved, family_id=family.pk),
            label=lambda row: "Professional involvement",
        ),
    ]


def person_histories(*, user, person: Person) -> list[HistorySource]:
    """The change history of a person's details, and of the addresses `user` may see, for `history_page`."""
    postcodes = families_visible_to(user).filter(members__person=person).values("postcode")
    return [
        HistorySource(rows=Person.history.filter(id=person.pk), label=lambda row: "Personal details"),
        HistorySource(
            rows=PersonAddress.history.filter(person_id=person.pk, postcode__in=postcodes),
            label=lambda row: "Address",
        ),
    ]


def _trigram_available() -> bool:
    return connection.vendor == "postgresql"


def _name_filter(queryset: QuerySet[Person], name: str, threshold: float) -> QuerySet[Person]:
    """Typo-tolerant on PostgreSQL (trigram similarity), plain word matching elsewhere."""
    name = " ".join(name.lower().split())
    if _trigram_available():
        from django.contrib.postgres.search import TrigramSimilarity

        similar = Q(similarity__gte=threshold)
        if threshold >= PG_TRGM_DEFAULT_THRESHOLD:
            # `search_name % name` finds the candidates through the trigram index; the similarity then decides.
            similar &= Q(search_name__trigram_similar=name)
        return (
            queryset.annotate(similarity=TrigramSimilarity("search_name", name))
            .filter(similar | Q(search_name__contains=name))
            .order_by("-similarity", "last_name", "first_name")
        )
    for word in name.split():
        queryset = queryset.filter(Q(search_name__contains=word) | Q(other_names__icontains=word))
    return queryset.order_by("last_name", "first_name")


@dataclass(frozen=True)
class SearchCriteria:
    name: str = ""
    date_of_birth: date | None = None
    nhs_number: str = ""
    postcode: str = ""

    def to_session(self) -> dict:
        return {
            "name": self.name,
            "date_of_birth": self.date_of_birth.isoformat() if self.date_of_birth else "",
            "nhs_number": self.nhs_number,
            "postcode": self.postcode,
        }

    @classmethod
    def from_session(cls, data: dict) -> "SearchCriteria":
        born = data.get("date_of_birth") or ""
        return cls(
            name=data.get("name", ""),
            date_of_birth=date.fromisoformat(born) if born else None,
            nhs_number=data.get("nhs_number", ""),
            postcode=data.get("postcode", ""),
        )

    def as_initial(self) -> dict:
        return {
            "name": self.name,
            "date_of_birth": self.date_of_birth,
            "nhs_number": self.nhs_number,
            "postcode": self.postcode,
        }

    def describe(self) -> str:
        parts = [
            f"name={self.name}" if self.name else "",
            f"dob={self.date_of_birth.isoformat()}" if self.date_of_birth else "",
            f"nhs={self.nhs_number}" if self.nhs_number else "",
            f"postcode={self.postcode}" if self.postcode else "",
        ]
        return ", ".join(p for p in parts if p)


def person_search(*, user, criteria: SearchCriteria) -> QuerySet[Person]:
    """People `user` may see who match every given criterion, best name match first.

    Out-of-scope and restricted people never appear, so counts reveal nothing either.
    """
    people = people_visible_to(user)
    if criteria.nhs_number:
        people = people.filter(nhs_number=nhs_number_normalise(criteria.nhs_number))
    if criteria.date_of_birth:
        people = people.filter(
            Q(date_of_birth=criteria.date_of_birth) | Q(expected_date_of_birth=criteria.date_of_birth)
        )
    if criteria.postcode:
        postcode = postcode_normalise(criteria.postcode)
        people = people.filter(memberships__family__in=families_visible_to(user).filter(postcode=postcode))
    if criteria.name:
        people = _name_filter(people, criteria.name, SEARCH_NAME_SIMILARITY)
    else:
        people = people.order_by("last_name", "first_name")
    visible_memberships = FamilyMember.objects.filter(family__in=families_visible_to(user)).select_related(
        "family", "family__local_area_team"
    )
    return people.prefetch_related(Prefetch("memberships", queryset=visible_memberships, to_attr="visible_memberships"))


@dataclass(frozen=True)
class SearchPage:
    """The closest matches of a person search, and whether there are more than those shown."""

    object_list: list
    more: bool


def person_search_page(*, user, criteria: SearchCriteria, shown: int) -> SearchPage:
    """The `shown` best matches, in one query and without counting every match: a search that finds more asks for
    a closer search (a date of birth, an NHS number, a postcode) rather than for paging through a city's Smiths."""
    found = list(person_search(user=user, criteria=criteria)[: shown + 1])
    return SearchPage(found[:shown], len(found) > shown)


def family_search(*, user, criteria: SearchCriteria) -> QuerySet[Family]:
    """Visible families whose name, reference or postcode matches, so a family with no one added yet
    is still found. Empty unless a name or postcode was given."""
    if not (criteria.name or criteria.postcode):
        return Family.objects.none()
    families = families_visible_to(user).select_related("local_area_team")
    if criteria.postcode:
        families = families.filter(postcode=postcode_normalise(criteria.postcode))
    if criteria.name:
        name = " ".join(criteria.name.split())
        families = families.filter(Q(name__icontains=name) | Q(reference__iexact=name))
    # Alphabetical regardless of case. Not by the name column itself: PostgreSQL would then walk the family list's
    # (name, reference) index from A hoping to meet the few matches early, and a Williams is met near the end.
    return families.order_by(Upper("name"), "reference")


def person_duplicates(
    *, user, first_name: str, last_name: str, date_of_birth: date | None, nhs_number: str = ""
) -> list[Person]:
    """Possible existing records for a person about to be created, among those `user` may see.

    A match is the same NHS number, or the same date of birth with the same or a similar name.
    """
    people = people_visible_to(user)
    matches: dict[int, Person] = {}
    if nhs_number:
        for person in people.filter(nhs_number=nhs_number_normalise(nhs_number)):
            matches[person.pk] = person
    if date_of_birth:
        same_day = people.filter(Q(date_of_birth=date_of_birth) | Q(expected_date_of_birth=date_of_birth))
        if _trigram_available():
            similar = _name_filter(same_day, f"{first_name} {last_name}", DUPLICATE_NAME_SIMILARITY)
        else:
            similar = same_day.filter(Q(last_name__iexact=last_name.strip()) | Q(first_name__iexact=first_name.strip()))
        for person in similar[:20]:
            matches.setdefault(person.pk, person)
    return list(matches.values())


def users_with_role(*, role: str) -> QuerySet:
    """Active people holding a role (a key of the role registry) in any team."""
    from earlyhelp.accounts.models import User

    return User.objects.filter(memberships__role=role, is_active=True).distinct().order_by("full_name")


def team_managers(*, local_area_team) -> QuerySet:
    """The managers of one Local Area Team: told when work arrives for the team to allocate."""
    from earlyhelp.core.perms import LAT_MANAGER

    return users_with_role(role=LAT_MANAGER).filter(memberships__team__local_area_team=local_area_team)


ALLOCATABLE_ROLES = ("cfs_worker", "lead_practitioner", "lat_manager")


def team_workers(*, local_area_team) -> QuerySet:
    """The people an episode in this team can be allocated to."""
    from earlyhelp.accounts.models import User

    return (
        User.objects.filter(
            memberships__team__local_area_team=local_area_team,
            memberships__role__in=ALLOCATABLE_ROLES,
            is_active=True,
        )
        .distinct()
        .order_by("full_name")
    )


def allocation_queue(*, user) -> QuerySet:
    """Requested episodes waiting in the teams `user` manages, oldest first."""
    from cases.models import Episode

    if not user.has_perm(ALLOCATE_EPISODE):
        return Episode.objects.none()
    return (
        Episode.objects.filter(
            status=Episode.Status.REQUESTED,
            local_area_team__in=team_ids_with_case_access(user),
            family__in=families_visible_to(user),
        )
        .select_related("family", "local_area_team", "contact")
        .order_by("requested_at", "id")
    )


def episode_for_allocation(*, user, uuid):
    """A requested episode in the user's queue, or 404."""
    from cases.models import Episode

    try:
        return allocation_queue(user=user).get(uuid=uuid)
    except (Episode.DoesNotExist, ValueError):
        raise Http404("No such request") from None


def episodes_for(*, family: Family) -> list:
    return list(family.episodes.select_related("local_area_team", "lead_practitioner").order_by("-requested_at"))
