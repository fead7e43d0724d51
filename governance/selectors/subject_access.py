"""Reads for subject access requests. An information governance officer answers for anyone the council holds,
so the people search here is city-wide and includes restricted people; the permission is the gate."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import FamilyMember, Person
from earlyhelp.core.validators import nhs_number_normalise
from governance.models import SubjectAccessRequest


@dataclass(frozen=True)
class SubjectSearch:
    """What an officer searched for: an NHS number, or a name with a date of birth."""

    nhs_number: str = ""
    name: str = ""
    date_of_birth: date | None = None

    def to_session(self) -> dict:
        born = self.date_of_birth.isoformat() if self.date_of_birth else ""
        return {"nhs_number": self.nhs_number, "name": self.name, "date_of_birth": born}

    @classmethod
    def from_session(cls, data: dict) -> "SubjectSearch":
        born = data.get("date_of_birth") or ""
        return cls(
            nhs_number=data.get("nhs_number", ""),
            name=data.get("name", ""),
            date_of_birth=date.fromisoformat(born) if born else None,
        )

    def as_initial(self) -> dict:
        return {"nhs_number": self.nhs_number, "name": self.name, "date_of_birth": self.date_of_birth}

    def describe(self) -> str:
        if self.nhs_number:
            return f"subject access search: nhs={self.nhs_number}"
        born = self.date_of_birth.isoformat() if self.date_of_birth else ""
        return f"subject access search: name={self.name}, dob={born}"


def _with_families(people: QuerySet[Person]) -> QuerySet[Person]:
    memberships = FamilyMember.objects.select_related("family", "family__local_area_team").order_by("family__reference")
    return people.prefetch_related(Prefetch("memberships", queryset=memberships, to_attr="all_memberships"))


def subject_search(*, search: SubjectSearch) -> QuerySet[Person]:
    """Everyone held who matches: the NHS number, or every word of the name with the date of birth. City-wide,
    restricted people included. Empty when neither an NHS number nor both a name and a date of birth are given."""
    if search.nhs_number:
        people = Person.objects.filter(nhs_number=nhs_number_normalise(search.nhs_number))
    elif search.name.strip() and search.date_of_birth:
        people = Person.objects.filter(
            Q(date_of_birth=search.date_of_birth) | Q(expected_date_of_birth=search.date_of_birth)
        )
        for word in search.name.lower().split():
            people = people.filter(Q(search_name__contains=word) | Q(other_names__icontains=word))
    else:
        return Person.objects.none()
    return _with_families(people.order_by("last_name", "first_name", "id"))


def subject_get(*, uuid) -> Person:
    """Anyone held, restricted or not, with their families, or 404."""
    try:
        return _with_families(Person.objects.all()).get(uuid=uuid)
    except (Person.DoesNotExist, ValueError):
        raise Http404("No such person") from None


def subject_access_requests() -> QuerySet[SubjectAccessRequest]:
    """Every subject access request, newest received first."""
    return SubjectAccessRequest.objects.select_related("person", "requested_by").order_by("-received_on", "-id")


def subject_access_request_get(*, uuid) -> SubjectAccessRequest:
    try:
        return subject_access_requests().get(uuid=uuid)
    except (SubjectAccessRequest.DoesNotExist, ValueError):
        raise Http404("No such subject access request") from None


def subject_access_is_overdue(request: SubjectAccessRequest, *, today: date | None = None) -> bool:
    """Past its due date with no pack ready yet."""
    today = today or timezone.localdate()
    return request.status != SubjectAccessRequest.Status.READY and request.due_on < today


def subject_access_requests_to_requeue(*, now=None) -> QuerySet[SubjectAccessRequest]:
    """Requests the every-minute sweep looks at: queued for longer than SUBJECT_ACCESS_REQUEUE_AFTER_SECONDS (the
    broker was down, or lost the message), or building for that long. The sweep sends a building one again only once
    its worker is gone: on PostgreSQL as soon as the worker's hold on it is (`earlyhelp.core.claims`), otherwise
    once `building_past_hard_limit`."""
    now = now or timezone.now()
    before = now - timedelta(seconds=settings.SUBJECT_ACCESS_REQUEUE_AFTER_SECONDS)
    return SubjectAccessRequest.objects.filter(
        Q(status=SubjectAccessRequest.Status.QUEUED, queued_at__lt=before)
        | Q(status=SubjectAccessRequest.Status.BUILDING, started_at__lt=before)
    ).order_by("queued_at", "id")


def building_past_hard_limit(request: SubjectAccessRequest, *, now=None) -> bool:
    """Whether a building request started longer ago than the task's hard time limit and a minute, so no worker can
    still be on it."""
    now = now or timezone.now()
    return request.started_at < now - timedelta(seconds=settings.SUBJECT_ACCESS_BUILD_HARD_LIMIT_SECONDS + 60)
