"""The family chronology: the significant events of a family's record, merged onto one timeline.

Each source is read with one query (plus one query for the people every entry concerns, and one for the family
members the user may see), however many events there are; entries are merged and sorted in Python. Sources that hang
off an episode (agreed plans, held meetings, approved closures and reopenings) share one query joined from the
family's episodes, and approved extensions come joined to their intervention. Only people the
user may see are ever named, and notes about someone hidden from them are left out (their free text may name them).
Links are given only for pages that exist and the user may open.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import count

from django.db import models
from django.db.models import CharField, F, FilteredRelation, Q, QuerySet, Value
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import Truncator

from assessments.models import AssessmentSubject, EarlyHelpAssessment
from cases.models import (
    CaseNote,
    Closure,
    Episode,
    Family,
    FamilyPlan,
    Intervention,
    InterventionExtension,
    Person,
    TafAttendance,
    TafMeeting,
    Transfer,
)
from cases.selectors import family_people_visible
from cases.selectors.notes import notes_hidden
from consent.models import ConsentRecord, ConsentSubject
from earlyhelp.core.perms import TRIAGE_CONTACT
from referrals.models import Contact, ContactChild

NOTE_SUMMARY_LENGTH = 160


class EntryType(models.TextChoices):
    """The kinds of event the chronology can be filtered by."""

    NOTE = "note", "Significant case notes"
    CONTACT = "contact", "Contacts and MASH decisions"
    ASSESSMENT = "assessment", "Assessments"
    PLAN = "plan", "Plans agreed"
    MEETING = "meeting", "TAF meetings"
    INTERVENTION = "intervention", "Interventions"
    CONSENT = "consent", "Consent"
    EPISODE = "episode", "Closures and reopenings"
    TRANSFER = "transfer", "Step-ups and step-downs"


@dataclass(frozen=True)
class ChronologyEntry:
    """One event: when, what kind, a one-line summary, who it concerns (only names the user may see), a link."""

    on: date
    type: str
    title: str
    summary: str
    people: tuple[str, ...] = ()
    person_ids: frozenset[int] = frozenset()
    link: str = ""
    at: datetime | None = field(default=None, compare=False)
    sequence: int = field(default=0, compare=False)

    @property
    def type_label(self) -> str:
        return EntryType(self.type).label

    @property
    def sort_key(self) -> tuple:
        return (self.on, timezone.localtime(self.at).time() if self.at else time.min, self.sequence)


def _link(name: str, **kwargs) -> str:
    """The page's address, or nothing while that page does not exist yet."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment else None


# The tables linking an event to the people it concerns: (type, model, record column, extra filter).
_PEOPLE_LINKS = {
    EntryType.NOTE: (CaseNote.people.through, "casenote", Q(casenote__significant=True)),
    EntryType.CONTACT: (ContactChild, "contact", Q()),
    EntryType.ASSESSMENT: (AssessmentSubject, "assessment", Q()),
    EntryType.MEETING: (TafAttendance, "meeting", Q(attended=TafAttendance.Attended.ATTENDED, person__isnull=False)),
    EntryType.CONSENT: (ConsentSubject, "consent", Q()),
}


def _people_links(*, family: Family, types: set[str]) -> dict[tuple[str, int], list[int]]:
    """Who each event concerns, for every source at once, in one query."""
    parts = []
    for entry_type, (model, column, extra) in _PEOPLE_LINKS.items():
        if entry_type not in types:
            continue
        rows = model.objects.filter(extra, **{f"{column}__family": family}).order_by()
        parts.append(
            rows.annotate(
                source=Value(entry_type.value, output_field=CharField()),
                record=F(f"{column}_id"),
                who=F("person_id"),
            ).values_list("source", "record", "who")
        )
    if not parts:
        return {}
    links: dict[tuple[str, int], list[int]] = {}
    for source, record, who in parts[0].union(*parts[1:], all=True):
        links.setdefault((source, record), []).append(who)
    return links


@dataclass
class _Reader:
    """What every source needs: the family, the user, the people they may see and who each event concerns."""

    user: object
    family: Family
    visible: dict[int, Person]
    links: dict[tuple[str, int], list[int]]
    entries: list[ChronologyEntry] = field(default_factory=list)
    numbers: count = field(default_factory=count)
    episode_work: dict | None = None

    def add(self, *, on, type: str, title: str, summary: str, record=None, link: str = "", at=None) -> None:
        if on is None:
            return
        ids = [pk for pk in self.links.get((type, record.pk), ()) if pk in self.visible] if record else []
        people = sorted({self.visible[pk] for pk in ids}, key=lambda p: (p.last_name, p.first_name))
        self.entries.append(
            ChronologyEntry(
                on=on,
                type=type,
                title=title,
                summary=summary,
                people=tuple(p.full_name for p in people),
                person_ids=frozenset(ids),
                link=link,
                at=at,
                sequence=next(self.numbers),
            )
        )


def _notes(reader: _Reader) -> None:
    hidden = notes_hidden(family=reader.family, visible_ids=list(reader.visible))
    notes = CaseNote.objects.filter(family=reader.family, significant=True).exclude(pk__in=hidden)
    for note in notes.order_by("happened_on", "created_at", "id"):
        first_line = note.text.strip().splitlines()[0] if note.text.strip() else ""
        reader.add(
            on=note.happened_on,
            type=EntryType.NOTE,
            title="Significant event",
            summary=f"{note.get_kind_display()}: {Truncator(first_line).chars(NOTE_SUMMARY_LENGTH)}",
            record=note,
            link=_link("cases:note_detail", uuid=note.uuid),
            at=note.created_at,
        )


def _contacts(reader: _Reader) -> None:
    may_open = reader.user.has_perm(TRIAGE_CONTACT)
    for contact in Contact.objects.filter(family=reader.family).select_related("decision").order_by("received_at"):
        link = _link("referrals:contact_detail", uuid=contact.uuid) if may_open else ""
        ended = {Contact.Status.WITHDRAWN: ", later withdrawn", Contact.Status.DUPLICATE: ", a duplicate"}
        reader.add(
            on=_day(contact.received_at),
            type=EntryType.CONTACT,
            title="Contact received",
            summary=f"Contact {contact.reference} from {contact.get_source_display()}{ended.get(contact.status, '')}",
            record=contact,
            link=link,
            at=contact.received_at,
        )
        decision = getattr(contact, "decision", None)
        if decision is not None:
            reader.add(
                on=_day(decision.decided_at),
                type=EntryType.CONTACT,
                title="MASH decision",
                summary=f"{decision.get_outcome_display()}, level {decision.get_level_display()}",
                record=contact,
                link=link,
                at=decision.decided_at,
            )


def _assessments(reader: _Reader) -> None:
    Status = EarlyHelpAssessment.Status
    for assessment in EarlyHelpAssessment.objects.filter(family=reader.family).exclude(status=Status.DRAFT):
        link = _link("assessments:summary", uuid=assessment.uuid)
        reader.add(
            on=assessment.completed_on,
            type=EntryType.ASSESSMENT,
            title="Assessment submitted",
            summary=f"{assessment} submitted for authorisation",
            record=assessment,
            link=link,
        )
        if assessment.status in (Status.AUTHORISED, Status.SUPERSEDED):
            outcome = ", ".join(
                part
                for part in (assessment.get_level_of_need_display() or "", assessment.get_pathway_display() or "")
                if part
            )
            reader.add(
                on=_day(assessment.decided_at),
                type=EntryType.ASSESSMENT,
                title="Assessment authorised",
                summary=f"{assessment} authorised{': level ' + outcome if outcome else ''}",
                record=assessment,
                link=link,
                at=assessment.decided_at,
            )


# What hangs off the family's episodes, read in one query: each joined relation is (model, relation, condition).
_EPISODE_WORK = {
    "plan": (FamilyPlan, "plans", Q(plans__agreed_on__isnull=False)),
    "meeting": (TafMeeting, "meetings", Q(meetings__status=TafMeeting.Status.HELD, meetings__held_on__isnull=False)),
    "closure": (Closure, "closures", Q(closures__status=Closure.Status.APPROVED)),
}
_EPISODE_COLUMNS = ("id", "uuid", "pathway", "reopened_at", "closed_at")


def _episode_work(reader: _Reader) -> dict:
    """The family's agreed plans, held meetings, approved closures and episodes, from one query.

    Each episode row is joined to its plans, meetings and closures; a joined record comes back on several rows (one
    for each combination with the others), so records are kept once each, by id, in the order they were created.
    """
    if reader.episode_work is not None:
        return reader.episode_work
    relations = {
        alias: FilteredRelation(name, condition=condition) for alias, (_, name, condition) in _EPISODE_WORK.items()
    }
    columns = list(_EPISODE_COLUMNS)
    for alias, (model, _, _) in _EPISODE_WORK.items():
        columns += [f"{alias}__{f.name}" for f in model._meta.concrete_fields]
    joined = Q(reopened_at__isnull=False)
    for alias in _EPISODE_WORK:
        joined |= Q(**{f"{alias}__isnull": False})
    rows = Episode.objects.filter(family=reader.family).annotate(**relations).filter(joined).order_by().values(*columns)
    work: dict = {alias: {} for alias in _EPISODE_WORK} | {"episode": {}}
    for row in rows:
        episode = Episode(**{name: row[name] for name in _EPISODE_COLUMNS}, family=reader.family)
        work["episode"].setdefault(episode.pk, episode)
        for alias, (model, _, _) in _EPISODE_WORK.items():
            if row[f"{alias}__id"] is not None and row[f"{alias}__id"] not in work[alias]:
                record = model(**{f.attname: row[f"{alias}__{f.name}"] for f in model._meta.concrete_fields})
                work[alias][record.pk] = record
    reader.episode_work = {kind: [records[pk] for pk in sorted(records)] for kind, records in work.items()}
    return reader.episode_work


def _plans(reader: _Reader) -> None:
    for plan in _episode_work(reader)["plan"]:
        with_family = ", with the family" if plan.family_agreed else ""
        reader.add(
            on=plan.agreed_on,
            type=EntryType.PLAN,
            title="Plan agreed",
            summary=f"Plan version {plan.version} agreed{with_family}",
            link=_link("cases:plan_detail", uuid=plan.uuid),
        )


def _meetings(reader: _Reader) -> None:
    for meeting in _episode_work(reader)["meeting"]:
        parts = [
            f"Result: {meeting.get_result_display().lower()}" if meeting.result else "",
            f"Decision: {meeting.get_decision_display().lower()}" if meeting.decision else "",
            "The family was there" if meeting.family_present else "",
        ]
        reader.add(
            on=meeting.held_on,
            type=EntryType.MEETING,
            title=f"{meeting.get_kind_display()} held",
            summary=". ".join(p for p in parts if p) or "Held",
            record=meeting,
            link=_link("cases:meeting_detail", uuid=meeting.uuid),
        )


def _interventions(reader: _Reader) -> None:
    approved = FilteredRelation("extensions", condition=Q(extensions__status=InterventionExtension.Status.APPROVED))
    rows = (
        Intervention.objects.filter(family=reader.family)
        .select_related("worker")
        .annotate(approved=approved)
        .annotate(
            extension_id=F("approved__id"),
            extension_end_on=F("approved__new_end_on"),
            extension_at=F("approved__decided_at"),
            extension_updated_at=F("approved__updated_at"),
        )
        .order_by("pk", "extension_id")
    )
    extensions = []
    seen = set()
    for intervention in rows:
        link = _link("cases:intervention_detail", uuid=intervention.uuid)
        kind = intervention.get_kind_display()
        if intervention.extension_id is not None:
            extensions.append((intervention, link, kind))
        if intervention.pk in seen:
            continue
        seen.add(intervention.pk)
        reader.add(
            on=intervention.started_on,
            type=EntryType.INTERVENTION,
            title="Intervention started",
            summary=f"{kind} with {intervention.worker.full_name}, to end {_long_date(intervention.planned_end_on)}",
            link=link,
        )
        if intervention.ended_on and intervention.status != Intervention.Status.ACTIVE:
            reader.add(
                on=intervention.ended_on,
                type=EntryType.INTERVENTION,
                title=f"Intervention {intervention.get_status_display().lower()}",
                summary=kind,
                link=link,
            )
    for intervention, link, kind in extensions:
        at = intervention.extension_at or intervention.extension_updated_at
        reader.add(
            on=_day(at),
            type=EntryType.INTERVENTION,
            title="Intervention extended",
            summary=f"{kind} extended to {_long_date(intervention.extension_end_on)}",
            link=link,
            at=at,
        )


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _consents(reader: _Reader) -> None:
    Status = ConsentRecord.Status
    records = ConsentRecord.objects.filter(family=reader.family).exclude(status=Status.REQUESTED)
    for consent in records:
        link = _link("consent:detail", uuid=reader.family.uuid, consent_uuid=consent.uuid)
        common = {"type": EntryType.CONSENT, "record": consent, "link": link}
        if consent.is_override:
            reader.add(
                on=consent.obtained_on,
                title="Consent dispensed with",
                summary=f"Safeguarding override: {consent.get_override_reason_display().lower()}",
                **common,
            )
        elif consent.status == Status.REFUSED:
            reader.add(on=consent.obtained_on, title="Consent refused", summary=_consent_scope(consent), **common)
        else:
            reader.add(on=consent.obtained_on, title="Consent given", summary=_consent_scope(consent), **common)
        if consent.status in (Status.WITHDRAWN, Status.EXPIRED):
            ended = consent.ended_on or _day(consent.updated_at)
            title = "Consent withdrawn" if consent.status == Status.WITHDRAWN else "Consent expired"
            what = "Safeguarding override" if consent.is_override else "Consent"
            summary = f"{what} from {_long_date(consent.obtained_on)} ended"
            reader.add(on=ended, title=title, summary=summary, **common)


def _consent_scope(consent: ConsentRecord) -> str:
    agreed = [
        label
        for label, chosen in (
            ("engage in early help", consent.engage),
            ("store information", consent.store),
            ("data matching", consent.data_matching),
        )
        if chosen
    ]
    return f"To {', '.join(agreed)}" if agreed else "Consent to early help"


def _episodes(reader: _Reader) -> None:
    work = _episode_work(reader)
    episodes = {episode.pk: episode for episode in work["episode"]}
    for closure in work["closure"]:
        episode = episodes[closure.episode_id]
        at = closure.decided_at or episode.closed_at or closure.updated_at
        reader.add(
            on=_day(at),
            type=EntryType.EPISODE,
            title="Episode closed",
            summary=f"{episode.get_pathway_display()} closed: {closure.get_reason_display().lower()}",
            link=_link("cases:episode_detail", uuid=episode.uuid),
            at=at,
        )
    for episode in work["episode"]:
        if episode.reopened_at is None:
            continue
        reader.add(
            on=_day(episode.reopened_at),
            type=EntryType.EPISODE,
            title="Episode reopened",
            summary=f"{episode.get_pathway_display()} reopened by a manager",
            link=_link("cases:episode_detail", uuid=episode.uuid),
            at=episode.reopened_at,
        )


def _transfers(reader: _Reader) -> None:
    may_open_contacts = reader.user.has_perm(TRIAGE_CONTACT)
    for transfer in Transfer.objects.filter(family=reader.family).select_related("episode", "contact"):
        if transfer.episode_id:
            link = _link("cases:episode_detail", uuid=transfer.episode.uuid)
        elif transfer.contact_id and may_open_contacts:
            link = _link("referrals:contact_detail", uuid=transfer.contact.uuid)
        else:
            link = ""
        if transfer.direction == Transfer.Direction.STEP_UP:
            title, summary = "Stepped up", f"To children's social care: {transfer.get_kind_display().lower()}"
        else:
            title, summary = "Stepped down", "From children's social care into early help"
        if transfer.external_reference:
            summary += f" (their reference {transfer.external_reference})"
        reader.add(
            on=_day(transfer.created_at),
            type=EntryType.TRANSFER,
            title=title,
            summary=summary,
            link=link,
            at=transfer.created_at,
        )


_SOURCES = {
    EntryType.NOTE: _notes,
    EntryType.CONTACT: _contacts,
    EntryType.ASSESSMENT: _assessments,
    EntryType.PLAN: _plans,
    EntryType.MEETING: _meetings,
    EntryType.INTERVENTION: _interventions,
    EntryType.CONSENT: _consents,
    EntryType.EPISODE: _episodes,
    EntryType.TRANSFER: _transfers,
}


def chronology_people(*, user, family: Family) -> QuerySet[Person]:
    """The family members the chronology can be filtered by: only those `user` may see."""
    return family_people_visible(user=user, family=family)


def chronology_for(
    *,
    user,
    family: Family,
    types: set[str] | None = None,
    person: Person | None = None,
    newest_first: bool = False,
    people: list[Person] | None = None,
) -> list[ChronologyEntry]:
    """The family's significant events of the chosen types, oldest first unless `newest_first`.

    With `person`, only events known to concern that person. `people` (the members `user` may see) can be passed
    in when the caller already has them.
    """
    types = set(types or EntryType.values)
    visible = {p.pk: p for p in (people if people is not None else chronology_people(user=user, family=family))}
    reader = _Reader(user=user, family=family, visible=visible, links=_people_links(family=family, types=types))
    for entry_type, read in _SOURCES.items():
        if entry_type in types:
            read(reader)
    entries = reader.entries
    if person is not None:
        entries = [entry for entry in entries if person.pk in entry.person_ids]
    return sorted(entries, key=lambda entry: entry.sort_key, reverse=newest_first)
