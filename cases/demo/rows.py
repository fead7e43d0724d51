"""Writing demo casework in bulk with its history, keeping the dates the demo gives each record."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import models
from django.utils import timezone

from earlyhelp.core.bulk import bulk_insert_with_history


def rows_insert(objs: Sequence[models.Model], *, user) -> None:
    """Insert new records of one model, with their creation history, after the records they point to.

    A record may have been built before its parent was saved: its foreign keys are taken from the parents now. A
    `created_at` set by the demo is kept (a case note written last month is locked, as it would be), so the
    timestamps are filled in here instead of by the fields.
    """
    if not objs:
        return
    model = type(objs[0])
    now = timezone.now()
    parents = [f for f in model._meta.concrete_fields if f.many_to_one]
    for obj in objs:
        for field in parents:
            parent = field.get_cached_value(obj, default=None)
            if parent is not None and getattr(obj, field.attname) is None:
                setattr(obj, field.attname, parent.pk)
        obj.created_at = obj.created_at or now
        obj.updated_at = obj.updated_at or obj.created_at
    with _timestamps_as_given(model):
        bulk_insert_with_history(objs, user=user)


@contextmanager
def _timestamps_as_given(model: type[models.Model]) -> Iterator[None]:
    fields = [model._meta.get_field("created_at"), model._meta.get_field("updated_at")]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for field in fields:
        field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def links_insert(through: type[models.Model], pairs: list[tuple[models.Model, models.Model]]) -> None:
    """Rows of a many-to-many table without history of its own (people seen at a session, people in a note)."""
    source, target = (f.attname for f in through._meta.concrete_fields if f.many_to_one)
    through.objects.bulk_create(
        [through(**{source: left.pk, target: right.pk}) for left, right in pairs], batch_size=5000
    )
