"""Reads of the audit trail: change history of records, and the integrity of the access log."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.formats import date_format
from django.utils.timezone import localtime

from earlyhelp.audit.models import AccessEvent
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


def access_log_first_broken_link(*, batch_size: int = 5000) -> int | None:
    """The id of the first access event whose hash does not follow from its predecessor, or None."""
    previous_hash = GENESIS_HASH
    last_id = 0
    while True:
        batch = list(AccessEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return None
        for event in batch:
            if (
                event.previous_hash != previous_hash
                or access_event_hash(previous_hash=previous_hash, event=event) != event.hash
            ):
                return event.id
            previous_hash = event.hash
            last_id = event.id
