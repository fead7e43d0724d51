"""Model validation without the queries that cannot fail."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models


def full_clean_new(record: models.Model) -> None:
    """`full_clean` for a row about to be inserted, in fewer queries.

    Django's `full_clean` reads every foreign key's row again to check that it exists, and looks the fresh random
    `uuid` up to check that it is unique. A foreign key set to a record already read in this request (so held on
    `record`) is not read again, and the uuid is left to its unique index; every other check runs as in
    `full_clean`: each field's value, `clean()`, the other unique fields and every constraint."""
    loaded = {
        field.name
        for field in record._meta.concrete_fields
        if field.many_to_one and field.is_cached(record) and getattr(record, field.name) is not None
    }
    errors: dict = {}
    for check in (lambda: record.clean_fields(exclude=loaded), record.clean):
        try:
            check()
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    # As in full_clean: uniqueness and constraints only for the fields that passed.
    exclude = {name for name in errors if name != NON_FIELD_ERRORS} | {"uuid"}
    for check in (record.validate_unique, record.validate_constraints):
        try:
            check(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def full_clean_only(record: models.Model, *changed: str) -> None:
    """`full_clean` for a stored row of which only the fields `changed` are about to be written (`update_fields`):
    the others were checked when they were saved, so only these are, with `clean()` and the unique fields and
    constraints made of them alone. Spares the queries that re-read each foreign key's row, look up the row's own
    unique fields and check constraints on columns the save does not touch."""
    record.full_clean(exclude=[field.name for field in record._meta.concrete_fields if field.name not in changed])
