"""Ofsted Annex A Lists 1, 2 and 3 (DOMAIN.md, "Ofsted Annex A"): one row per child, for a six-month window.

The lists are a statutory return, so they cover every family city-wide, restricted ones included; a child is
named only by the person's UUID, never by a name. Every list starts with the same five columns:

- Child unique ID: the person's UUID in this system (the same child has the same ID in every list).
- Gender: the Annex A code of `Person.sex`: a male, b female, c not stated, d neither.
- Ethnicity: the CIN census code of `Person.ethnicity` (WBRI ... NOBT); NOBT when not yet obtained.
- Date of birth: dd/mm/yyyy; for an unborn child the expected date of birth.
- Age of child (years): whole years on the date of the row's event (the contact, the start of the assessment,
  the referral); empty for an unborn child.

Dates are written dd/mm/yyyy (as Ofsted's template asks), the same text in CSV and XLSX.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.utils import timezone

from assessments.models import AssessmentSubject
from cases.codes import Sex
from cases.models import Episode, Person
from earlyhelp.core import perms
from referrals.models import Contact, ContactChild
from referrals.selectors import RE_REFERRAL_DAYS
from reporting.indicators import Period

WINDOW_MONTHS = 6
DATE_FORMAT = "%d/%m/%Y"

CHILD_ID = "Child unique ID"
GENDER = "Gender"
ETHNICITY = "Ethnicity"
DATE_OF_BIRTH = "Date of birth"
AGE = "Age of child (years)"
COMMON_HEADER = (CHILD_ID, GENDER, ETHNICITY, DATE_OF_BIRTH, AGE)

CONTACT_DATE = "Date of contact"
CONTACT_SOURCE = "Contact source"
LIST_1_HEADER = (*COMMON_HEADER, CONTACT_DATE, CONTACT_SOURCE)

ASSESSMENT_START = "Assessment start date"
ASSESSMENT_COMPLETION = "Assessment completion date"
ASSESSMENT_ORGANISATION = "Organisation completing assessment"
LIST_2_HEADER = (*COMMON_HEADER, ASSESSMENT_START, ASSESSMENT_COMPLETION, ASSESSMENT_ORGANISATION)

REFERRAL_DATE = "Date of referral"
REFERRAL_SOURCE = "Referral source"
REFERRAL_NFA = "Referral NFA"
REFERRALS_LAST_12_MONTHS = "Number of referrals in last 12 months"
ALLOCATED_TEAM = "Allocated team"
ALLOCATED_WORKER = "Allocated worker"
LIST_3_HEADER = (
    *COMMON_HEADER,
    REFERRAL_DATE,
    REFERRAL_SOURCE,
    REFERRAL_NFA,
    REFERRALS_LAST_12_MONTHS,
    ALLOCATED_TEAM,
    ALLOCATED_WORKER,
)

Row = tuple


@dataclass(frozen=True)
class Window:
    """Six calendar months ending with `last` (Annex A asks for the six months before the inspection)."""

    first: Period
    last: Period

    @classmethod
    def ending(cls, year: int, month: int) -> Window:
        last = Period.month(year, month)
        return cls(first=last.last(WINDOW_MONTHS)[0], last=last)

    @property
    def start(self) -> date:
        return self.first.start

    @property
    def end(self) -> date:
        return self.last.end

    def __str__(self) -> str:
        return f"{self.start:%Y-%m} to {self.end:%Y-%m}"

    @property
    def slug(self) -> str:
        return f"{self.start:%Y-%m}-to-{self.end:%Y-%m}"


def _day(value: date | None) -> str:
    return value.strftime(DATE_FORMAT) if value else ""


def _child_columns(person: Person, on: date) -> list:
    """The five common columns for `person`, aged on the day of the row's event."""
    return [
        str(person.uuid),
        Sex(person.sex).annex_a_code if person.sex in Sex.values else Sex.NOT_STATED.annex_a_code,
        person.ethnicity,
        _day(person.date_of_birth or person.expected_date_of_birth),
        person.age_on(on) if person.date_of_birth else "",
    ]


def list_1_contacts(*, window: Window) -> list[Row]:
    """List 1: one row per child per contact received in the window (a contact naming three children gives three
    rows). Date of contact: the day it was received, local time. Contact source: the DfE code (1A ... 10).
    Contacts recorded twice (status duplicate) are left out: the first record is the contact."""
    children = (
        ContactChild.objects.filter(
            contact__received_at__gte=window.first.start_at, contact__received_at__lt=window.last.end_at
        )
        .exclude(contact__status=Contact.Status.DUPLICATE)
        .select_related("contact", "person")
        .order_by("contact__received_at", "contact_id", "id")
    )
    rows = []
    for child in children:
        received_on = timezone.localdate(child.contact.received_at)
        rows.append((*_child_columns(child.person, received_on), _day(received_on), child.contact.source))
    return rows


def _organisation(assessment) -> str:
    organisation = assessment.organisation or assessment.assessor.agency
    return organisation.name if organisation else ""


def list_2_early_help(*, window: Window) -> list[Row]:
    """List 2: one row per child who is a subject of a whole-family Early Help Assessment started or completed in
    the window (whatever its status now). Assessment start and completion dates as recorded (completion empty
    while not completed); organisation completing: the assessment's organisation, else the assessor's agency.
    Age on the start date."""
    in_window = Q(assessment__started_on__range=(window.start, window.end)) | Q(
        assessment__completed_on__range=(window.start, window.end)
    )
    subjects = (
        AssessmentSubject.objects.filter(in_window, is_child=True)
        .select_related("person", "assessment__organisation", "assessment__assessor__agency")
        .order_by("assessment__started_on", "assessment_id", "id")
    )
    rows = []
    for subject in subjects:
        assessment = subject.assessment
        rows.append(
            (
                *_child_columns(subject.person, assessment.started_on),
                _day(assessment.started_on),
                _day(assessment.completed_on),
                _organisation(assessment),
            )
        )
    return rows


def _referral_times(*, person_ids: set[int], window: Window) -> dict[int, list]:
    """When each child's contacts were decided, from a year before the window to its end: one query."""
    since = window.first.start_at - timedelta(days=RE_REFERRAL_DAYS)
    decided = ContactChild.objects.filter(
        person_id__in=person_ids,
        contact__decision__decided_at__gte=since,
        contact__decision__decided_at__lt=window.last.end_at,
    ).values_list("person_id", "contact__decision__decided_at")
    times = defaultdict(list)
    for person_id, decided_at in decided:
        times[person_id].append(decided_at)
    return times


def list_3_referrals(*, window: Window) -> list[Row]:
    """List 3: one row per child per contact the MASH decided in the window (the decision makes it a referral).

    Date of referral: the day of the decision. Referral source: the contact's DfE code. Referral NFA: "Yes" when
    the decision was no further action, else "No". Number of referrals in last 12 months: the child's decided
    contacts in the 365 days up to and including this one, this one counted (so 1 means no earlier referral).
    Allocated team and worker: the Local Area Team and lead practitioner of the episode of early help created for
    the contact, if one was (empty otherwise, or while no worker is allocated). Age on the day of the decision.
    """
    episodes = Episode.objects.select_related("local_area_team", "lead_practitioner").order_by("requested_at", "id")
    children = list(
        ContactChild.objects.filter(
            contact__decision__decided_at__gte=window.first.start_at,
            contact__decision__decided_at__lt=window.last.end_at,
        )
        .select_related("person", "contact__decision")
        .prefetch_related(Prefetch("contact__episodes", queryset=episodes))
        .order_by("contact__decision__decided_at", "contact_id", "id")
    )
    times = _referral_times(person_ids={child.person_id for child in children}, window=window)
    rows = []
    for child in children:
        decision = child.contact.decision
        decided_on = timezone.localdate(decision.decided_at)
        since = decision.decided_at - timedelta(days=RE_REFERRAL_DAYS)
        count = sum(1 for at in times[child.person_id] if since < at <= decision.decided_at)
        episode = next(iter(child.contact.episodes.all()), None)
        worker = episode.lead_practitioner if episode else None
        rows.append(
            (
                *_child_columns(child.person, decided_on),
                _day(decided_on),
                child.contact.source,
                "Yes" if decision.outcome == decision.Outcome.NO_FURTHER_ACTION else "No",
                count,
                episode.local_area_team.name if episode else "",
                worker.full_name if worker else "",
            )
        )
    return rows


@dataclass(frozen=True)
class AnnexList:
    number: int
    title: str
    each: str  # what one row stands for, in words
    header: tuple[str, ...]
    rows: Callable[..., list[Row]]


LISTS: dict[int, AnnexList] = {
    annex_list.number: annex_list
    for annex_list in (
        AnnexList(
            1, "List 1: contacts", "child named in a contact received in the window", LIST_1_HEADER, list_1_contacts
        ),
        AnnexList(
            2,
            "List 2: early help assessments",
            "child in an early help assessment started or completed in the window",
            LIST_2_HEADER,
            list_2_early_help,
        ),
        AnnexList(
            3,
            "List 3: referrals",
            "child named in a contact the MASH decided in the window",
            LIST_3_HEADER,
            list_3_referrals,
        ),
    )
}


def annex_a_rows(*, user, annex_list: AnnexList, window: Window) -> list[Row]:
    """The rows of one list, city-wide, for someone who may download Annex A (the performance analyst)."""
    if not user.has_perm(perms.DOWNLOAD_ANNEX_A):
        raise PermissionDenied
    return annex_list.rows(window=window)
