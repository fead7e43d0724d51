"""Reads of the audit trail: change history of records, and the integrity of the access log."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime

from earlyhelp.audit.models import AccessChainHead, AccessEvent
from earlyhelp.audit.services import GENESIS_HASH, access_event_hash
from earlyhelp.core.keyset import Fixed, cursor_encode, keyset_after


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: datetime
    who: str
    record: str
    kind: str  # created, changed, deleted
    changes: tuple[FieldChange, ...]


_KINDS = {"+": "Created", "~": "Changed", "-": "Deleted"}
_SKIP_FIELDS = {"id", "uuid", "created_at", "updated_at", "search_name"}


def _display(record, field) -> str:
    value = getattr(record, field.attname)
    if value in (None, ""):
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        return str(getattr(record, field.name, "") or "")
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return date_format(localtime(value), "j M Y, H:i")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    return str(value)


def history_rows(queryset):
    """Historical rows with their author and every related record they name loaded in the same query,
    so showing a change of team or agency costs no query per row."""
    relations = [
        f.name
        for f in queryset.model._meta.concrete_fields
        if f.is_relation and f.many_to_one and f.name != "history_user"
    ]
    return queryset.select_related("history_user", *relations)


def _history_entry(row, previous, label: str) -> HistoryEntry | None:
    """What changed in `row` since `previous` (the record's version before it, or None), or None for a save that
    changed nothing a reader would see."""
    fields = [f for f in row.instance_type._meta.concrete_fields if f.name not in _SKIP_FIELDS]
    if previous is None:
        changes = tuple(FieldChange(f.verbose_name, "", _display(row, f)) for f in fields if _display(row, f))
    else:
        changes = tuple(
            FieldChange(f.verbose_name, _display(previous, f), _display(row, f))
            for f in fields
            if getattr(previous, f.attname) != getattr(row, f.attname)
        )
    if row.history_type == "~" and previous is not None and not changes:
        return None
    return HistoryEntry(
        when=row.history_date,
        who=str(row.history_user) if row.history_user_id else "Unknown",
        record=label,
        kind=_KINDS.get(row.history_type, row.history_type),
        changes=changes,
    )


def history_entries(*, histories: Iterable[tuple[str, Iterable]]) -> list[HistoryEntry]:
    """Turn historical rows of several records into entries saying who changed what, newest first.

    `histories` pairs a label ("Family", "Person: Ann Smith") with that record's historical rows.
    Diffs are computed in memory between consecutive rows, so the cost is one query per record.
    """
    entries: list[HistoryEntry] = []
    for label, rows in histories:
        previous = None
        for row in sorted(rows, key=lambda r: (r.history_date, r.history_id)):
            entry = _history_entry(row, previous, label)
            previous = row
            if entry is not None:
                entries.append(entry)
    return sorted(entries, key=lambda e: e.when, reverse=True)


HISTORY_PER_PAGE = 50
HISTORY_CURSOR = ("moment", "number", "number")  # when, which source (its place in the list), history id


@dataclass(frozen=True)
class HistorySource:
    """One history table's rows that a page may show (already narrowed to what the user may see), and the label
    of the record a row is a version of."""

    rows: QuerySet
    label: Callable[[Any], str]


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    older_than: str | None  # the cursor of the next (older) page, or None on the last page


def history_page(
    *, sources: list[HistorySource], before: tuple | None = None, per_page: int = HISTORY_PER_PAGE
) -> HistoryPage:
    """One page of changes to the records of `sources`, newest first, from just after the change `before` names
    (its time, its source's place in the list and its history id: a key in HISTORY_CURSOR's form).

    Keyset pagination: each source costs one query, reading at most a page of rows and one more (to know whether
    there are older ones), with each row's previous version for the diff, however long the history is. A save that
    changed nothing a reader would see is left out, so a page can hold fewer entries than `per_page`."""
    found = []
    for rank, source in enumerate(sources):
        found += [(row, rank, previous) for row, previous in _history_source_page(source, rank, before, per_page + 1)]
    found.sort(key=lambda item: _history_order(item[0], item[1]))
    shown = found[:per_page]
    entries = [_history_entry(row, previous, sources[rank].label(row)) for row, rank, previous in shown]
    older_than = None
    if len(found) > per_page:
        last, rank, _ = shown[-1]
        older_than = cursor_encode(last.history_date, rank, last.history_id)
    return HistoryPage(entries=[entry for entry in entries if entry is not None], older_than=older_than)


def _history_order(row, rank: int) -> tuple:
    """Page order, as a key sorting ascending: newest first, then by source, then newest history id first."""
    return _history_key(row.history_date, rank, row.history_id)


def _history_key(when: datetime, rank: int, history_id: int) -> tuple:
    return (-((when - _EPOCH) // _MICROSECOND), rank, -history_id)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _history_source_page(source: HistorySource, rank: int, before: tuple | None, limit: int) -> list[tuple]:
    """The source's first `limit` rows after `before` in page order, each with its previous version, in one query:
    the rows and their previous versions are picked by two subqueries of history ids."""
    rows = source.rows.order_by()
    if before is not None:
        when, before_rank, history_id = before
        order = [("history_date", when, True), (Fixed(rank), before_rank, False), ("history_id", history_id, True)]
        rows = rows.filter(keyset_after(order))
    earlier = source.rows.order_by().filter(
        keyset_after([("history_date", OuterRef("history_date"), True), ("history_id", OuterRef("history_id"), True)]),
        id=OuterRef("id"),
    )
    previous_id = Subquery(earlier.order_by("-history_date", "-history_id").values("history_id")[:1])
    page = rows.order_by("-history_date", "-history_id")[:limit]
    wanted = Q(history_id__in=page.values("history_id")) | Q(
        history_id__in=page.annotate(previous_id=previous_id).values("previous_id")
    )
    fetched = list(history_rows(source.rows.model._default_manager.filter(wanted).annotate(previous_id=previous_id)))
    by_id = {row.history_id: row for row in fetched}
    on_page = sorted(
        (row for row in fetched if before is None or _history_order(row, rank) > _history_key(*before)),
        key=lambda row: _history_order(row, rank),
    )[:limit]
    return [(row, by_id.get(row.previous_id)) for row in on_page]


CONTENT_ALTERED = "content altered: its hash no longer matches what it records"
ROW_MISSING = "row missing: the event before it has been removed or rewritten (no event has the hash it follows)"
PREVIOUS_HASH_MISMATCH = "previous hash mismatch: it follows another event than the one before it (inserted, reordered)"
LAST_ROWS_MISSING = "row missing: the events after it have been removed (the chain head names an event that is gone)"
HEAD_MISMATCH = "the chain head does not match the last event"
ALL_ROWS_MISSING = "row missing: every event has been removed (the chain head names an event that is gone)"


@dataclass(frozen=True)
class BrokenLink:
    """Where the access log's hash chain first breaks, and what is wrong there."""

    event_id: int | None
    occurred_at: datetime | None
    problem: str

    def __str__(self) -> str:
        if self.event_id is None:
            return f"The access log chain is broken: {self.problem}."
        when = localtime(self.occurred_at).strftime("%d %b %Y %H:%M:%S %Z")
        return f"The access log chain is broken at event {self.event_id} ({when}): {self.problem}."


def access_chain_first_broken_link(*, batch_size: int = 5000) -> BrokenLink | None:
    """Walk the whole access log in id order and return its first broken link, or None if it is intact.

    Memory stays bounded however long the log is: rows are read `batch_size` at a time by keyset (id greater
    than the last one read). Each row's hash must follow from its own content and the previous row's hash, and
    the chain head must hold the last row's hash. A row whose content is intact but whose previous hash names no
    surviving row means rows were removed before it; events appended while the walk runs are walked too.
    """
    previous: AccessEvent | None = None
    previous_hash = GENESIS_HASH
    while True:
        last_id = previous.id if previous is not None else 0
        batch = list(AccessEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            head = AccessChainHead.objects.filter(pk=1).values_list("last_hash", flat=True).first() or GENESIS_HASH
            if head == previous_hash:
                return None
            if AccessEvent.objects.filter(id__gt=last_id).exists():
                continue  # appended since this batch was read
            if previous is None:
                return BrokenLink(None, None, ALL_ROWS_MISSING)
            gone = not AccessEvent.objects.filter(hash=head).exists()
            return BrokenLink(previous.id, previous.occurred_at, LAST_ROWS_MISSING if gone else HEAD_MISMATCH)
        for event in batch:
            if access_event_hash(previous_hash=event.previous_hash, event=event) != event.hash:
                return BrokenLink(event.id, event.occurred_at, CONTENT_ALTERED)
            if event.previous_hash != previous_hash:
                removed = (
                    event.previous_hash != GENESIS_HASH
                    and not AccessEvent.objects.filter(hash=event.previous_hash).exists()
                )
                return BrokenLink(event.id, event.occurred_at, ROW_MISSING if removed else PREVIOUS_HASH_MISMATCH)
            previous, previous_hash = event, event.hash


# "Who has viewed this record": the access events about a family are those about the family itself, its members
# (people), and every record of its own that has a page writing access events. All of them are found by subqueries
# on the family, so the page costs the same few queries however long the family's history is.
FAMILY_RECORD_TYPES = (
    "assessments.earlyhelpassessment",
    "cases.episode",
    "cases.familyplan",
    "cases.intervention",
    "cases.casenote",
    "cases.tafmeeting",
    "cases.supportingfamiliesregistration",
    "referrals.contact",
    "reporting.caseaudit",
)
FAMILY_ACCESS_PER_PAGE = 50


@dataclass(frozen=True)
class AccessRow:
    event: AccessEvent
    record: str  # which record was seen: "Family (history)", "Person: Ann Smith", "Family plan"


@dataclass(frozen=True)
class FamilyAccessPage:
    rows: list[AccessRow]
    older_than: int | None  # the `before` of the next (older) page, or None on the last page


def sees_every_access_log(user) -> bool:
    """Information governance officers read the access log of any family, restricted ones included."""
    from earlyhelp.core.perms import VIEW_ACCESS_EVENTS

    return user.has_perm(VIEW_ACCESS_EVENTS)


def record_access_family_get(*, user, uuid):
    """The family whose access log `user` may read, or 404.

    Information governance officers: any family (the page shows them its reference and team, never its content).
    Anyone else with the permission (Local Area Team managers): a family they see, in a team they manage."""
    from django.http import Http404

    from cases.models import Family
    from cases.selectors import family_get
    from cases.selectors.episodes import manages_team

    if sees_every_access_log(user):
        try:
            return Family.objects.select_related("local_area_team").get(uuid=uuid)
        except (Family.DoesNotExist, ValueError):
            raise Http404("No such family") from None
    family = family_get(user=user, uuid=uuid)
    if not manages_team(user=user, local_area_team=family.local_area_team):
        raise Http404("No such family")
    return family


def family_access_about(*, user, family) -> Q:
    """Which access events are about `family`: the family itself, its people and its records (FAMILY_RECORD_TYPES).

    People are those who are or were members of the family; a manager's list leaves out restricted people they
    may not see, as the family page does. One query collects the uuids of them all, so the events are then found
    through the (object type, object uuid) index, however many events of other families there are."""
    from collections import defaultdict

    from django.apps import apps
    from django.db.models import CharField, F, Value

    from cases.models import Person
    from cases.selectors import people_visible_to

    def uuids(records, label: str):
        kind = Value(label, output_field=CharField())
        return records.order_by().annotate(_type=kind, _uuid=F("uuid")).values_list("_type", "_uuid")

    people = Person.objects.all() if sees_every_access_log(user) else people_visible_to(user)
    parts = [uuids(people.filter(memberships__family=family), "cases.person")]
    for label in FAMILY_RECORD_TYPES:
        parts.append(uuids(apps.get_model(label)._default_manager.filter(family=family), label))
    found = defaultdict(set)
    for label, record in parts[0].union(*parts[1:], all=True):
        found[label].add(record)
    about = Q(object_type="cases.family", object_uuid=family.uuid)
    for label, records in found.items():
        about |= Q(object_type=label, object_uuid__in=sorted(records))
    return about


def family_access_viewers(*, about: Q) -> QuerySet:
    """The people who have viewed anything of the family's (`about`, from family_access_about), for the filter."""
    from earlyhelp.accounts.models import User

    viewers = AccessEvent.objects.filter(about).values("user")
    return User.objects.filter(pk__in=viewers).select_related("agency").order_by("full_name", "pk")


def family_access_page(
    *, user, about: Q, viewer=None, before: int | None = None, per_page: int = FAMILY_ACCESS_PER_PAGE
) -> FamilyAccessPage:
    """One page of the family's access events (`about`, from family_access_about), newest first, from just before
    event `before` (keyset pagination, so a page deep in a long log costs what the first does). `viewer` keeps only
    that person's events."""
    events = AccessEvent.objects.filter(about).select_related("user__agency")
    if viewer is not None:
        events = events.filter(user=viewer)
    if before is not None:
        events = events.filter(id__lt=before)
    found = list(events.order_by("-id")[: per_page + 1])
    page, older = found[:per_page], found[per_page:]
    names = {}
    if not sees_every_access_log(user):  # officers see the family's reference and team, not who is in it
        from cases.selectors import people_visible_to

        seen = [event.object_uuid for event in page if event.object_type == "cases.person"]
        names = {person.uuid: person.full_name for person in people_visible_to(user).filter(uuid__in=seen)}
    rows = [AccessRow(event=event, record=_record_label(event, names)) for event in page]
    return FamilyAccessPage(rows=rows, older_than=page[-1].id if older else None)


def _record_label(event: AccessEvent, names: dict) -> str:
    from django.apps import apps

    try:
        label = capfirst(apps.get_model(event.object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        label = event.object_type or "No record"
    if event.object_uuid in names:
        label = f"{label}: {names[event.object_uuid]}"
    return f"{label} ({event.detail})" if event.detail else label


def family_by_reference(*, reference: str):
    """The family with this reference, restricted or not, or None: for information governance officers only."""
    from cases.models import Family

    return Family.objects.filter(reference=reference).first()
