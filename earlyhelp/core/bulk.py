"""Fast bulk inserts that still write history, for seeding large volumes of synthetic data.

`simple_history.utils.bulk_create_with_history` spends most of its time preparing each field in
Python. On PostgreSQL this writes the same rows (the records, then one "+" history row each, with
the acting user) as multi-row INSERT statements of raw values instead; elsewhere it falls back to
the library.
"""

import uuid
from collections.abc import Sequence

from django.db import connection, models
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from psycopg2.extras import execute_values
from simple_history.utils import bulk_create_with_history


def _raw(value):
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, str):
        return str(value)  # TextChoices members become plain strings
    return value


def bulk_insert_with_history(objs: Sequence[models.Model], *, user, batch_size: int = 5000) -> None:
    """Insert new records and their creation history rows, setting each object's primary key."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        bulk_create_with_history(objs, model, default_user=user, batch_size=batch_size)
        return
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    history_fields = [f for f in model.history.model._meta.concrete_fields if not f.primary_key]
    history_extra = {
        "history_date": now,
        "history_change_reason": None,
        "history_type": "+",
        "history_user_id": user.pk,
    }
    for start in range(0, len(objs), batch_size):
        batch = objs[start : start + batch_size]
        for obj in batch:
            for field in fields:
                if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
                    setattr(obj, field.attname, now)
        rows = [tuple(_raw(getattr(obj, f.attname)) for f in fields) for obj in batch]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        # Identifiers come from model metadata, quoted; every value is a parameter.
        sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES %s RETURNING id"  # noqa: S608  # nosec B608  # quoted identifiers from model metadata; values are parameters
        with connection.cursor() as cursor:
            ids = execute_values(cursor.cursor, sql, rows, page_size=len(rows), fetch=True)
        for obj, (pk,) in zip(batch, ids, strict=True):
            obj.pk = pk
            obj._state.adding = False
        history_rows = [
            tuple(
                history_extra[f.attname] if f.attname in history_extra else _raw(getattr(obj, f.attname))
                for f in history_fields
            )
            for obj in batch
        ]
        history_columns = ", ".join(connection.ops.quote_name(f.column) for f in history_fields)
        history_table = connection.ops.quote_name(model.history.model._meta.db_table)
        with connection.cursor() as cursor:
            history_sql = f"INSERT INTO {history_table} ({history_columns}) VALUES %s"  # noqa: S608  # nosec B608  # quoted identifiers from model metadata; values are parameters
            execute_values(cursor.cursor, history_sql, history_rows, page_size=len(rows))
