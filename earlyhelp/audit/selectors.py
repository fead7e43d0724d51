"""Reads of the audit trail: change history of records, and the integrity of the access log."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime

from earlyhelp.audit.models import AccessChainHead, AccessEvent
from earlyhelp.audit.services import GENESIS_HASH, access_event_hash


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


def history_entries(*, histories: Iterable[tuple[str, Iterable]]) -> list[HistoryEntry]:
    """Turn historical rows of several records into entries saying who changed what, newest first.

    `histories` pairs a label ("Family", "Person: Ann Smith") with that record's historical rows.
    Diffs are computed in memory between consecutive rows, so the cost is one query per record.
    """
    entries: list[HistoryEntry] = []
    for label, rows in histories:
        previous = None
        for row in sorted(rows, key=lambda r: (r.history_date, r.history_id)):
            fields = [f for f in row.instance_type._meta.concrete_fields if f.name not in _SKIP_FIELDS]
            if previous is None:
                changes = tuple(FieldChange(f.verbose_name, "", _display(row, f)) for f in fields if _display(row, f))
            else:
                changes = tuple(
                    FieldChange(f.verbose_name, _display(previous, f), _display(row, f))
                    for f in fields
                    if getattr(previous, f.attname) != getattr(row, f.attname)
                )
            previous_row, previous = previous, row
            if row.history_type == "~" and previous_row is not None and not changes:
                continue  # a save that changed nothing a reader would see
            entries.append(
                HistoryEntry(
                    when=row.history_date,
                    who=str(row.history_user) if row.history_user_id else "Unknown",
                    record=label,
                    kind=_KINDS.get(row.history_type, row.history_type),
                    changes=changes,
                )
            )
    return sorted(entries, key=lambda e: e.when, reverse=True)


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
