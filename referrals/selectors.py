"""Permission-aware reads for the front door: the MASH inbox, a contact, the referrer's own referrals."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import Family, FamilyMember, FamilyUserObjectPermission, Person
from earlyhelp.core import perms
from referrals.models import ConcernFlag, Contact, ContactChild, MashDecision

RE_REFERRAL_DAYS = 365
FLAG_WINDOW_DAYS = 365
FLAG_AGENCIES_FOR_REVIEW = 3


def contacts_in_inbox(user) -> QuerySet[Contact]:
    """Every contact the MASH may work, city-wide; contacts about restricted families only for their allow-list."""
    if not (user.is_authenticated and user.is_active and user.has_perm(perms.TRIAGE_CONTACT)):
        return Contact.objects.none()
    allow_listed = FamilyUserObjectPermission.objects.filter(
        user=user, permission__codename=perms.ACCESS_RESTRICTED_FAMILY
    ).values("content_object_id")
    return Contact.objects.filter(Q(family__isnull=True) | Q(family__restricted=False) | Q(family_id__in=allow_listed))


def families_at_the_front_door() -> QuerySet[Family]:
    """Families linked to a contact the MASH is still working (rule 3: triage until the decision is acted on)."""
    working = (*Contact.OPEN, Contact.Status.DECIDED)
    return Family.objects.filter(pk__in=Contact.objects.filter(status__in=working).values("family_id"))


@dataclass(frozen=True)
class InboxFilters:
    status: str = ""
    rag: str = ""
    source: str = ""
    overdue: bool = False
    mine: bool = False


def _with_children(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    children = ContactChild.objects.select_related("person").order_by("id")
    return contacts.select_related("family", "local_area_team", "assigned_to").prefetch_related(
        Prefetch("children", queryset=children)
    )


def inbox(*, user, filters: InboxFilters, now: datetime | None = None) -> QuerySet[Contact]:
    """The MASH inbox: open contacts (or those of one status), red first, then by decision due time."""
    now = now or timezone.now()
    contacts = contacts_in_inbox(user)
    contacts = contacts.filter(status=filters.status) if filters.status else contacts.filter(status__in=Contact.OPEN)
    if filters.rag:
        contacts = contacts.filter(rag="" if filters.rag == "unrated" else filters.rag)
    if filters.source:
        contacts = contacts.filter(source=filters.source)
    if filters.overdue:
        contacts = contacts.filter(status__in=Contact.OPEN, due_at__lt=now)
    if filters.mine:
        contacts = contacts.filter(assigned_to=user)
    return _with_children(contacts).order_by("priority", "due_at", "id")


def inbox_counts(*, user, now: datetime | None = None) -> dict[str, int]:
    """How many open contacts there are by status, RAG and overdue: one query, over the open contacts alone (the
    inbox index), never the years of contacts already decided or closed."""
    now = now or timezone.now()
    open_contacts = Q(status__in=Contact.OPEN)
    return (
        contacts_in_inbox(user)
        .filter(open_contacts)
        .aggregate(
            open=Count("pk", filter=open_contacts),
            received=Count("pk", filter=Q(status=Contact.Status.RECEIVED)),
            screening=Count("pk", filter=Q(status=Contact.Status.SCREENING)),
            awaiting_decision=Count("pk", filter=Q(status=Contact.Status.AWAITING_DECISION)),
            red=Count("pk", filter=open_contacts & Q(rag="red")),
            amber=Count("pk", filter=open_contacts & Q(rag="amber")),
            green=Count("pk", filter=open_contacts & Q(rag="green")),
            unrated=Count("pk", filter=open_contacts & Q(rag="")),
            overdue=Count("pk", filter=open_contacts & Q(due_at__lt=now)),
            mine=Count("pk", filter=open_contacts & Q(assigned_to=user)),
        )
    )


def contact_get(*, user, uuid) -> Contact:
    """One contact in the MASH's view, or 404."""
    try:
        return (
            _with_children(contacts_in_inbox(user))
            .select_related("referrer_user", "recorded_by", "assessment", "duplicate_of")
            .get(uuid=uuid)
        )
    except (Contact.DoesNotExist, ValueError):
        raise Http404("No such contact") from None


def contact_decision(*, contact: Contact) -> MashDecision | None:
    try:
        return (
            MashDecision.objects.select_related("decided_by", "local_area_team", "consent__approved_by")
            .prefetch_related("signposted__service")
            .get(contact=contact)
        )
    except MashDecision.DoesNotExist:
        return None


def contacts_previous(*, user, contact: Contact) -> list[Contact]:
    """Other contacts the user may see about any of this contact's children in the 12 months before it.

    The re-referral flag counts every contact; the list shows only those the user may open.
    """
    people = contact.children.values("person_id")
    since = contact.received_at - timedelta(days=RE_REFERRAL_DAYS)
    return list(
        contacts_in_inbox(user)
        .filter(children__person_id__in=people, received_at__gte=since, received_at__lte=contact.received_at)
        .exclude(pk=contact.pk)
        .exclude(status__in=(Contact.Status.WITHDRAWN, Contact.Status.DUPLICATE))
        .select_related("decision")
        .distinct()
        .order_by("-received_at")
    )


def people_referred_before(*, people: list[Person], received_at: datetime, exclude: Contact | None = None) -> set[int]:
    """Ids of the people who have another contact in the 12 months before `received_at`."""
    since = received_at - timedelta(days=RE_REFERRAL_DAYS)
    earlier = ContactChild.objects.filter(
        person__in=people, contact__received_at__gte=since, contact__received_at__lte=received_at
    ).exclude(contact__status__in=(Contact.Status.WITHDRAWN, Contact.Status.DUPLICATE))
    if exclude is not None:
        earlier = earlier.exclude(contact=exclude)
    return set(earlier.values_list("person_id", flat=True))


def referrals_made_by(*, user) -> QuerySet[Contact]:
    """The referrer's "My referrals": contacts they made, with the outcome once decided."""
    return (
        Contact.objects.filter(referrer_user=user)
        .select_related("family", "decision")
        .prefetch_related(Prefetch("children", queryset=ContactChild.objects.select_related("person")))
        .order_by("-received_at")
    )


def referral_get(*, user, uuid) -> Contact:
    """One of the referrer's own referrals, or 404."""
    try:
        return referrals_made_by(user=user).get(uuid=uuid)
    except (Contact.DoesNotExist, ValueError):
        raise Http404("No such referral") from None


FEEDBACK_GIVE_UP_AFTER = timedelta(days=7)


def decisions_awaiting_feedback(*, older_than: datetime) -> QuerySet[MashDecision]:
    """Decisions made before `older_than` (and in the last week: after that the MASH telephones) whose
    referrer, someone we can reach, has not been told yet."""
    reachable = Q(contact__referrer_user__isnull=False) | ~Q(contact__referrer_email="")
    return MashDecision.objects.filter(
        reachable,
        referrer_told_at__isnull=True,
        decided_at__lt=older_than,
        decided_at__gte=older_than - FEEDBACK_GIVE_UP_AFTER,
    )


def contacts_newly_overdue(*, now: datetime) -> QuerySet[Contact]:
    return Contact.objects.filter(status__in=Contact.OPEN, due_at__lt=now, overdue_flagged_at__isnull=True)


def front_door_matches(*, first_name: str, last_name: str, date_of_birth) -> QuerySet[Person]:
    """People anywhere in the city who may be this child (same birth date and a shared name): the MASH's
    check for an existing record. Only people in an unrestricted family, or in no family at all (children
    living outside York known from earlier contacts), are offered: restricted records never show, not even
    as a count."""
    if not date_of_birth:
        return Person.objects.none()
    same_day = Q(date_of_birth=date_of_birth) | Q(expected_date_of_birth=date_of_birth)
    named = Q(last_name__iexact=last_name.strip()) | Q(first_name__iexact=first_name.strip())
    open_family = FamilyMember.objects.filter(person=OuterRef("pk"), family__restricted=False)
    any_family = FamilyMember.objects.filter(person=OuterRef("pk"))
    return (
        Person.objects.filter(same_day & named, restricted=False)
        .filter(Exists(open_family) | ~Exists(any_family))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=FamilyMember.objects.filter(family__restricted=False).select_related(
                    "family__local_area_team"
                ),
                to_attr="open_memberships",
            )
        )
        .order_by("last_name", "first_name")[:10]
    )


def person_outside_york(*, first_name: str, last_name: str, date_of_birth) -> Person | None:
    """A child with no family record here (known from an earlier contact) who is exactly this child."""
    if not date_of_birth:
        return None
    return (
        Person.objects.filter(
            first_name__iexact=first_name.strip(),
            last_name__iexact=last_name.strip(),
            date_of_birth=date_of_birth,
            restricted=False,
            memberships__isnull=True,
        )
        .order_by("created_at")
        .first()
    )


def flags_for(*, person: Person) -> list[ConcernFlag]:
    return list(ConcernFlag.objects.filter(person=person).select_related("agency", "raised_by"))


def flag_agencies_in_window(*, person: Person, today) -> int:
    """How many different agencies flagged the person in the last 12 months."""
    since = today - timedelta(days=FLAG_WINDOW_DAYS)
    return (
        ConcernFlag.objects.filter(person=person, raised_on__gt=since, raised_on__lte=today)
        .values("agency")
        .distinct()
        .count()
    )


def family_for_contact(*, user, uuid) -> Family:
    """A family the MASH may record a contact about: any in the city but restricted ones, or 404."""
    if not user.has_perm(perms.TRIAGE_CONTACT):
        raise Http404("No such family")
    try:
        return Family.objects.select_related("local_area_team").get(uuid=uuid, restricted=False)
    except (Family.DoesNotExist, ValueError):
        raise Http404("No such family") from None


def children_of(*, family: Family, people: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """The children of a family (among `people` when given), restricted people left out."""
    children = Person.objects.filter(memberships__family=family, memberships__role="child", restricted=False).order_by(
        "date_of_birth", "first_name"
    )
    return children.filter(pk__in=people.values("pk")) if people is not None else children


def transfer_for(*, contact: Contact):
    return contact.transfers.order_by("-created_at").first()
