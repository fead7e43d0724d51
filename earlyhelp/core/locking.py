"""Optimistic locking for records two people may edit at once (plans, goals, actions, case notes).

A form carries the `lock_version` the person started from. `locked_save` writes only if nobody has saved since,
bumping the version in the same UPDATE; otherwise it raises `StaleEdit`, naming who saved last and when, so the
page can show the current record beside the text the person typed, and nothing they wrote is lost.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction


@dataclass
class StaleEdit(Exception):
    """Someone else saved the record after this person opened it."""

    changed_by: str
    changed_at: datetime | None

    def __str__(self) -> str:
        when = f" at {self.changed_at:%H:%M on %d %B %Y}" if self.changed_at else ""
        return (
            f"{self.changed_by} changed this{when}, after you opened it. Your changes have not been saved: "
            "they are shown below so you can copy them into the current version"
        )


def last_change(record) -> tuple[str, datetime | None]:
    """Who last saved `record`, and when, from its change history."""
    latest = record.history.select_related("history_user").order_by("-history_date", "-history_id").first()
    if latest is None:
        return "Someone", None
    user = latest.history_user
    return (getattr(user, "full_name", "") or str(user) if user else "Someone"), latest.history_date


def locked_save(record, *, expected_version: int, update_fields: list[str]) -> None:
    """Save `record`'s `update_fields` if its stored `lock_version` is still `expected_version`, else `StaleEdit`.

    The stored row is locked while it is compared and written, so two saves racing each other cannot both win.
    """
    model = type(record)
    with transaction.atomic():
        stored = model.objects.select_for_update().get(pk=record.pk)
        if stored.lock_version != expected_version:
            raise StaleEdit(*last_change(stored))
        record.lock_version = expected_version + 1
        record.save(update_fields=[*update_fields, "lock_version", "updated_at"])
