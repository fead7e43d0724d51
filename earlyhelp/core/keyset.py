"""Keyset pagination: a page starts just after the last row of the page before it, named by a cursor in the
address, so a page deep in a long list costs what the first one does (no OFFSET, no COUNT).

A cursor is the sort key of the last row shown, written compactly and joined by dots: a moment as its UTC time to the
microsecond (`20250105T103000123456`), a day as `20250105`, a whole number as itself, nothing as an empty part. The
access log's pages use the event's id alone (`earlyhelp.audit.forms.FamilyAccessFilterForm`); the other pages use
these cursors and the same wording.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Q

BIGGEST_ID = 2**63 - 1
_MOMENT = re.compile(r"\d{8}T\d{12}")
_DAY = re.compile(r"\d{8}")
_NUMBER = re.compile(r"\d{1,19}")


def cursor_encode(*parts: datetime | date | int | None) -> str:
    """The cursor naming a row by its sort key (moments, days, whole numbers and nothing, in order)."""
    written = []
    for part in parts:
        if part is None:
            written.append("")
        elif isinstance(part, datetime):
            moment = part.astimezone(UTC)
            written.append(f"{moment:%Y%m%dT%H%M%S}{moment.microsecond:06d}")
        elif isinstance(part, date):
            written.append(f"{part:%Y%m%d}")
        else:
            written.append(str(int(part)))
    return ".".join(written)


def cursor_decode(text: str, kinds: tuple[str, ...]) -> tuple:
    """The sort key a cursor names, its parts of the `kinds` given ("moment", "day", "number", and "moment?" for a
    moment or nothing). Raises ValueError for anything else, so a hand-made or mangled cursor is refused."""
    parts = text.split(".")
    if len(parts) != len(kinds):
        raise ValueError("wrong number of parts")
    return tuple(_decode_part(part, kind) for part, kind in zip(parts, kinds, strict=True))


def _decode_part(part: str, kind: str):
    if kind.endswith("?") and part == "":
        return None
    kind = kind.rstrip("?")
    if kind == "moment" and _MOMENT.fullmatch(part):
        return datetime.strptime(part, "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    if kind == "day" and _DAY.fullmatch(part):
        return datetime.strptime(part, "%Y%m%d").date()
    if kind == "number" and _NUMBER.fullmatch(part) and int(part) <= BIGGEST_ID:
        return int(part)
    raise ValueError(f"not a {kind}: {part!r}")


class CursorField(forms.CharField):
    """A hidden field holding a cursor; its cleaned value is the sort key, or None for the first page."""

    widget = forms.HiddenInput

    def __init__(self, *, kinds: tuple[str, ...], **kwargs) -> None:
        self.kinds = kinds
        super().__init__(required=False, max_length=200, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return cursor_decode(text, self.kinds)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class KeysetPageForm(forms.Form):
    """Where a page starts: its cursor (`before` on a newest-first page) names the last row of the page before. A bad
    cursor is the page's error (the field is not shown), and the page then starts from the beginning; the form's
    other fields (filters) still count."""

    cursor_name = "before"
    cursor_kinds: tuple[str, ...] = ()
    start_from = "the newest changes"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        message = f"The page asked for does not exist: start from {self.start_from}"
        self.fields[self.cursor_name] = CursorField(
            kinds=self.cursor_kinds, error_messages={"invalid": message, "max_length": message}
        )

    def clean(self):
        data = super().clean()
        if self.cursor_name in self.errors:
            self.add_error(None, self.errors.pop(self.cursor_name))
        return data

    def cursor(self):
        """The sort key the page starts after, or None for the first page (also when the cursor was refused)."""
        return self.valid_data().get(self.cursor_name)

    def valid_data(self) -> dict:
        """What the page is asked for: a bad cursor keeps the other fields (the filters); any other error keeps
        nothing, so the page is the first one, unfiltered."""
        if not self.is_bound or (not self.is_valid() and set(self.errors) != {NON_FIELD_ERRORS}):
            return {}
        return self.cleaned_data


@dataclass(frozen=True)
class Fixed:
    """A part of the sort key that is the same for every row of a query (which table it comes from, say)."""

    value: object


def keyset_after(columns: list[tuple[str | Fixed, object, bool]]) -> Q:
    """The rows that come after the cursor row in the order given by `columns`: (column, the cursor's value,
    descending). The first column must be a real one; `Fixed` parts are compared here rather than in the query."""
    after: Q | None = None
    equal: Q | None = None
    for column, value, descending in columns:
        if isinstance(column, Fixed):
            if column.value == value:
                continue
            if (column.value < value) == descending:  # every row equal so far comes after the cursor
                after = equal if after is None else after | equal
            break
        step = Q(**{f"{column}__{'lt' if descending else 'gt'}": value})
        later = step if equal is None else equal & step
        after = later if after is None else after | later
        same = Q(**{column: value})
        equal = same if equal is None else equal & same
    if after is None:
        raise ValueError("the first column of a keyset must be a real one")
    return after
