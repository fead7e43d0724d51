"""The family chronology: the significant events of a family's record, merged onto one timeline.

Each source is read with one query (plus one query for the people every entry concerns, and one for the family
members the user may see), however many events there are; entries are merged and sorted in Python. Sources that hang
off an episode (agreed plans, held meetings, approved closures and reopenings) share one query joined from the
family's episodes, and approved extensions come joined to their intervention. Only people the
user may see are ever named, and notes about someone hidden from them are left out (their free text may name them).
Links are given only for pages that exist and the user may open.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import models
from django.db.models import CharField, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
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
from earlyhelp.core.keyset import Fixed, cursor_encode, keyset_after
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
    key: tuple[int, int] = field(default=(0, 0), compare=False)  # its stream (STREAMS) and record id

    @property
    def type_label(self) -> str:
        return EntryType(self.type).label

    @property
    def sort_key(self) -> tuple:
        """Timeline order, the same as the pages' keyset order (`_ORDER`): by day, events of no known time first,
        then by the moment, then by stream and record."""
        return (self.on, self.at is not None, self.at or _NO_TIME, *self.key)


_NO_TIME = datetime.min.replace(tzinfo=UTC)
# Every kind of entry, in the order entries of the same day and time come: (name, type). An entry's key is its
# stream's place here and the id of the record it comes from.
STREAMS = (
    ("note", EntryType.NOTE),
    ("contact", EntryType.CONTACT),
    ("decision", EntryType.CONTACT),
    ("submitted", EntryType.ASSESSMENT),
    ("authorised", EntryType.ASSESSMENT),
    ("plan", EntryType.PLAN),
    ("meeting", EntryType.MEETING),
    ("started", EntryType.INTERVENTION),
    ("ended", EntryType.INTERVENTION),
    ("extended", EntryType.INTERVENTION),
    ("consent", EntryType.CONSENT),
    ("consent_ended", EntryType.CONSENT),
    ("closed", EntryType.EPISODE),
    ("reopened", EntryType.EPISODE),
    ("transfer", EntryType.TRANSFER),
)
RANK = {name: rank for rank, (name, _) in enumerate(STREAMS)}


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
    episode_work: dict | None = None
    only: set[tuple[int, int]] | None = None  # the keys of the entries of one page, or None for every entry

    def ids(self, *streams: str) -> list[int] | None:
        """The record ids of those streams that are on the page, or None when every entry is wanted."""
        if self.only is None:
            return None
        ranks = {RANK[name] for name in streams}
        return sorted(pk for rank, pk in self.only if rank in ranks)

    def on_page(self, records: QuerySet, *streams: str) -> QuerySet:
        """`records` narrowed to those whose entries of `streams` are on the page (when reading one page)."""
        return records.filter(_among("pk", self.ids(*streams)))

    def add(
        self, *, stream: str, key: int, on, type: str, title: str, summary: str, record=None, link: str = "", at=None
    ) -> None:
        if on is None or (self.only is not None and (RANK[stream], key) not in self.only):
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
                key=(RANK[stream], key),
            )
        )


def _notes(reader: _Reader) -> None:
    hidden = notes_hidden(family=reader.family, visible_ids=list(reader.visible))
    notes = CaseNote.objects.filter(family=reader.family, significant=True).exclude(pk__in=hidden)
    for note in reader.on_page(notes, "note").order_by("happened_on", "created_at", "id"):
        first_line = note.text.strip().splitlines()[0] if note.text.strip() else ""
        reader.add(
            stream="note",
            key=note.pk,
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
    contacts = Contact.objects.filter(family=reader.family).select_related("decision")
    for contact in reader.on_page(contacts, "contact", "decision").order_by("received_at"):
        link = _link("referrals:contact_detail", uuid=contact.uuid) if may_open else ""
        ended = {Contact.Status.WITHDRAWN: ", later withdrawn", Contact.Status.DUPLICATE: ", a duplicate"}
        reader.add(
            stream="contact",
            key=contact.pk,
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
                stream="decision",
                key=contact.pk,
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
    assessments = EarlyHelpAssessment.objects.filter(family=reader.family).exclude(status=Status.DRAFT)
    for assessment in reader.on_page(assessments, "submitted", "authorised"):
        link = _link("assessments:summary", uuid=assessment.uuid)
        reader.add(
            stream="submitted",
            key=assessment.pk,
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
                stream="authorised",
                key=assessment.pk,
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
    on_page = {"plan": reader.ids("plan"), "meeting": reader.ids("meeting"), "closure": reader.ids("closed")}
    relations = {
        alias: FilteredRelation(name, condition=condition & _among(f"{name}__pk", on_page[alias]))
        for alias, (_, name, condition) in _EPISODE_WORK.items()
    }
    columns = list(_EPISODE_COLUMNS)
    for alias, (model, _, _) in _EPISODE_WORK.items():
        columns += [f"{alias}__{f.name}" for f in model._meta.concrete_fields]
    joined = Q(reopened_at__isnull=False) & _among("pk", reader.ids("reopened"))
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


def _among(name: str, ids: list[int] | None) -> Q:
    """Only the records of one page (no record at all, but still in the query, when none of them is on it)."""
    if ids is None:
        return Q()
    return Q(**{f"{name}__in": ids}) if ids else Q(**{f"{name}__isnull": True})


def _plans(reader: _Reader) -> None:
    for plan in _episode_work(reader)["plan"]:
        with_family = ", with the family" if plan.family_agreed else ""
        reader.add(
            stream="plan",
            key=plan.pk,
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
            stream="meeting",
            key=meeting.pk,
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
    if reader.only is not None:
        extended = InterventionExtension.objects.filter(_among("pk", reader.ids("extended")))
        rows = rows.filter(_among("pk", reader.ids("started", "ended")) | Q(pk__in=extended.values("intervention_id")))
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
            stream="started",
            key=intervention.pk,
            on=intervention.started_on,
            type=EntryType.INTERVENTION,
            title="Intervention started",
            summary=f"{kind} with {intervention.worker.full_name}, to end {_long_date(intervention.planned_end_on)}",
            link=link,
        )
        if intervention.ended_on and intervention.status != Intervention.Status.ACTIVE:
            reader.add(
                stream="ended",
                key=intervention.pk,
                on=intervention.ended_on,
                type=EntryType.INTERVENTION,
                title=f"Intervention {intervention.get_status_display().lower()}",
                summary=kind,
                link=link,
            )
    for intervention, link, kind in extensions:
        at = intervention.extension_at or intervention.extension_updated_at
        reader.add(
            stream="extended",
            key=intervention.extension_id,
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
    for consent in reader.on_page(records, "consent", "consent_ended"):
        link = _link("consent:detail", uuid=reader.family.uuid, consent_uuid=consent.uuid)
        common = {"type": EntryType.CONSENT, "record": consent, "link": link, "stream": "consent", "key": consent.pk}
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
            reader.add(on=ended, title=title, summary=summary, **common | {"stream": "consent_ended"})


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
            stream="closed",
            key=closure.pk,
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
            stream="reopened",
            key=episode.pk,
            on=_day(episode.reopened_at),
            type=EntryType.EPISODE,
            title="Episode reopened",
            summary=f"{episode.get_pathway_display()} reopened by a manager",
            link=_link("cases:episode_detail", uuid=episode.uuid),
            at=episode.reopened_at,
        )


def _transfers(reader: _Reader) -> None:
    may_open_contacts = reader.user.has_perm(TRIAGE_CONTACT)
    transfers = Transfer.objects.filter(family=reader.family).select_related("episode", "contact")
    for transfer in reader.on_page(transfers, "transfer"):
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
            stream="transfer",
            key=transfer.pk,
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


# The pages' keyset: each stream's entries as (day, whether the time is known, moment, stream, record id, the ids of
# the people the record concerns), read for every stream at once in one query, ordered and cut to one page.
CHRONOLOGY_PER_PAGE = 50
CHRONOLOGY_CURSOR = ("day", "moment?", "number", "number")  # day, moment (if known), stream, record id
_ORDER = ("chron_on", "chron_timed", "chron_at", "chron_rank", "chron_pk")


def _local_day(moment) -> TruncDate:
    return TruncDate(moment, tzinfo=timezone.get_current_timezone())


def _stream_rows(name: str, family: Family, hidden: QuerySet) -> tuple[QuerySet, object, object]:
    """A stream's records (as its source reads them), the expression of their day, and of their moment (or None)."""
    Status = EarlyHelpAssessment.Status
    if name == "note":
        notes = CaseNote.objects.filter(family=family, significant=True).exclude(pk__in=hidden)
        return notes, F("happened_on"), F("created_at")
    if name == "contact":
        return Contact.objects.filter(family=family), _local_day("received_at"), F("received_at")
    if name == "decision":
        decided = Contact.objects.filter(family=family, decision__isnull=False)
        return decided, _local_day("decision__decided_at"), F("decision__decided_at")
    if name == "submitted":
        return EarlyHelpAssessment.objects.filter(family=family).exclude(status=Status.DRAFT), F("completed_on"), None
    if name == "authorised":
        decided = [Status.AUTHORISED, Status.SUPERSEDED]
        authorised = EarlyHelpAssessment.objects.filter(family=family, status__in=decided)
        return authorised, _local_day("decided_at"), F("decided_at")
    if name == "plan":
        return FamilyPlan.objects.filter(episode__family=family, agreed_on__isnull=False), F("agreed_on"), None
    if name == "meeting":
        held = TafMeeting.objects.filter(episode__family=family, status=TafMeeting.Status.HELD, held_on__isnull=False)
        return held, F("held_on"), None
    if name == "started":
        return Intervention.objects.filter(family=family), F("started_on"), None
    if name == "ended":
        ended = Intervention.objects.filter(family=family, ended_on__isnull=False)
        return ended.exclude(status=Intervention.Status.ACTIVE), F("ended_on"), None
    if name == "extended":
        approved = InterventionExtension.objects.filter(
            intervention__family=family, status=InterventionExtension.Status.APPROVED
        )
        at = Coalesce("decided_at", "updated_at")
        return approved, _local_day(at), at
    consents = ConsentRecord.objects.filter(family=family)
    if name == "consent":
        return consents.exclude(status=ConsentRecord.Status.REQUESTED), F("obtained_on"), None
    if name == "consent_ended":
        ended = consents.filter(status__in=[ConsentRecord.Status.WITHDRAWN, ConsentRecord.Status.EXPIRED])
        return ended, Coalesce("ended_on", _local_day("updated_at"), output_field=models.DateField()), None
    if name == "closed":
        at = Coalesce("decided_at", "episode__closed_at", "updated_at")
        return Closure.objects.filter(episode__family=family, status=Closure.Status.APPROVED), _local_day(at), at
    if name == "reopened":
        reopened = Episode.objects.filter(family=family, reopened_at__isnull=False)
        return reopened, _local_day("reopened_at"), F("reopened_at")
    return Transfer.objects.filter(family=family), _local_day("created_at"), F("created_at")


class _PersonIds(models.Aggregate):
    """The person ids of a group joined by commas: GROUP_CONCAT, or STRING_AGG on PostgreSQL."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "%(function)s((%(expressions)s)::text, ',')"
        return self.as_sql(compiler, connection, function="STRING_AGG", template=template, **extra_context)


def _stream_keys(name: str, *, family: Family, hidden: QuerySet, person, after: tuple | None, newest_first: bool):
    """One stream's part of the keyset query: its entries after the cursor `after`, as (day, timed, moment, stream,
    record id, people)."""
    rank, entry_type = RANK[name], STREAMS[RANK[name]][1]
    rows, on, at = _stream_rows(name, family, hidden)
    timed = at is not None
    people = Value(None, output_field=CharField())
    if entry_type in _PEOPLE_LINKS:
        model, column, extra = _PEOPLE_LINKS[entry_type]
        links = model.objects.filter(extra, **{column: OuterRef("pk")}).order_by()
        people = Subquery(links.values(column).annotate(ids=_PersonIds("person_id")).values("ids"))
        if person is not None:
            rows = rows.filter(Exists(links.filter(person=person)))
    rows = rows.annotate(
        chron_on=on,
        chron_timed=Value(int(timed)),
        chron_at=at if timed else Value(None, output_field=models.DateTimeField()),
        chron_rank=Value(rank),
        chron_pk=F("pk"),
        chron_people=people,
    ).filter(chron_on__isnull=False)
    if after is not None:
        day, moment, after_rank, pk = after
        order = [("chron_on", day, newest_first), (Fixed(int(timed)), int(moment is not None), newest_first)]
        if timed and moment is not None:
            order.append(("chron_at", moment, newest_first))
        order += [(Fixed(rank), after_rank, newest_first), ("pk", pk, newest_first)]
        rows = rows.filter(keyset_after(order))
    return rows.order_by().values_list(*_ORDER, "chron_people")


@dataclass(frozen=True)
class ChronologyPage:
    object_list: list[ChronologyEntry]
    next_after: str | None  # the cursor of the next page, or None on the last page


def chronology_page(
    *,
    user,
    family: Family,
    people: list[Person],
    types: set[str] | None = None,
    person: Person | None = None,
    newest_first: bool = False,
    after: tuple | None = None,
    per_page: int = CHRONOLOGY_PER_PAGE,
) -> ChronologyPage:
    """One page of the chronology (as `chronology_for` lists it), from just after the entry `after` names (a key in
    CHRONOLOGY_CURSOR's form). `people` are the members `user` may see.

    Keyset pagination: one query finds the page's entries (and one more, to know whether there are others) among
    every stream, with the people each concerns; then each source reads only its records on the page. The page
    costs the same queries however long the family's record is, and whichever events are on it."""
    types = set(types or EntryType.values)
    visible = {p.pk: p for p in people}
    hidden = notes_hidden(family=family, visible_ids=list(visible))
    parts = [
        _stream_keys(name, family=family, hidden=hidden, person=person, after=after, newest_first=newest_first)
        for name, entry_type in STREAMS
        if entry_type in types and (person is None or entry_type in _PEOPLE_LINKS)
    ]
    if not parts:
        return ChronologyPage(object_list=[], next_after=None)
    ordered = [f"-{column}" if newest_first else column for column in _ORDER]
    found = list(parts[0].union(*parts[1:], all=True).order_by(*ordered)[: per_page + 1])
    shown = found[:per_page]
    links = {(STREAMS[rank][1], pk): [int(who) for who in (ids or "").split(",") if who] for *_, rank, pk, ids in shown}
    reader = _Reader(user=user, family=family, visible=visible, links=links, only={(r, pk) for *_, r, pk, _ in shown})
    for entry_type, read in _SOURCES.items():
        if entry_type in types and (person is None or entry_type in _PEOPLE_LINKS):
            read(reader)  # also when none of its entries is on the page, so a page's queries are always the same
    entries = {entry.key: entry for entry in reader.entries}
    object_list = [entries[(rank, pk)] for *_, rank, pk, _ in shown if (rank, pk) in entries]
    next_after = None
    if len(found) > per_page:
        day, _, moment, rank, pk, _ = shown[-1]
        next_after = cursor_encode(day, moment, rank, pk)
    return ChronologyPage(object_list=object_list, next_after=next_after)


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
