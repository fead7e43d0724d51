"""Reads of case notes, always through the families a user may see.

A note that concerns someone the user may not see (a restricted person not on their allow-list) is left out
altogether: its free text may name them.
"""

from dataclasses import dataclass

from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404

from cases.models import CaseNote, CaseNoteAmendment, Family, Person
from cases.selectors import families_visible_to, family_members_visible, family_people_visible
from earlyhelp.core.keyset import cursor_encode, keyset_after


def notes_hidden(*, family: Family, visible_ids) -> QuerySet:
    """The ids of the family's notes about a restricted person outside `visible_ids` (the people a user may see)."""
    return (
        CaseNote.people.through.objects.filter(casenote__family=family, person__restricted=True)
        .exclude(person_id__in=visible_ids)
        .values("casenote_id")
    )


def _visible_ids(*, user, family: Family) -> list[int]:
    return list(family_people_visible(user=user, family=family).values_list("pk", flat=True))


NOTES_PER_PAGE = 25
NOTE_CURSOR = ("day", "moment", "number")  # the day it happened, when it was written, its id
_NOTE_ORDER = ("-happened_on", "-created_at", "-id")


@dataclass(frozen=True)
class NotePage:
    object_list: list[CaseNote]
    older_than: str | None  # the cursor of the next (older) page, or None on the last page


def notes_page(
    *, user, family: Family, kind: str = "", before: tuple | None = None, per_page: int = NOTES_PER_PAGE
) -> NotePage:
    """One page of the family's notes, newest first, from just after the note `before` names (a key in
    NOTE_CURSOR's form): each with its author, the people it concerns whom `user` may see, and its number of
    amendments. `family` must already have been read through `family_get`.

    Keyset pagination in one query, however many notes the family has: the page's notes (and one more, to know
    whether there are older ones) are picked by a subquery, and joined to their people."""
    visible_ids = family_members_visible(user=user, family=family)
    notes = CaseNote.objects.filter(family=family).exclude(pk__in=notes_hidden(family=family, visible_ids=visible_ids))
    if kind:
        notes = notes.filter(kind=kind)
    if before is not None:
        happened_on, created_at, pk = before
        notes = notes.filter(
            keyset_after([("happened_on", happened_on, True), ("created_at", created_at, True), ("id", pk, True)])
        )
    found = _notes_read(notes.order_by(*_NOTE_ORDER).values("pk")[: per_page + 1], visible_ids)
    shown = found[:per_page]
    older_than = None
    if len(found) > per_page:
        last = shown[-1]
        older_than = cursor_encode(last.happened_on, last.created_at, last.pk)
    return NotePage(object_list=shown, older_than=older_than)


def _notes_read(on_page: QuerySet, visible_ids: QuerySet) -> list[CaseNote]:
    """The notes `on_page` picks, newest first, with their author, amendment count and the people they concern whom
    the user may see (one row for each person, named only if visible), in one query."""
    amendments = CaseNoteAmendment.objects.filter(note=OuterRef("pk")).order_by().values("note").annotate(n=Count("*"))
    rows = (
        CaseNote.objects.filter(pk__in=on_page)
        .select_related("author")
        .annotate(
            amendment_count=Coalesce(Subquery(amendments.values("n")), Value(0), output_field=IntegerField()),
            person_pk=Case(When(people__in=visible_ids, then=F("people__id"))),
            person_first_name=F("people__first_name"),
            person_middle_names=F("people__middle_names"),
            person_last_name=F("people__last_name"),
        )
        .order_by(*_NOTE_ORDER, "people__last_name", "people__first_name")
    )
    notes: dict[int, CaseNote] = {}
    for row in rows:
        note = notes.setdefault(row.pk, row)
        if note is row:
            note.visible_people = []
        if row.person_pk is not None:
            note.visible_people.append(
                Person(
                    pk=row.person_pk,
                    first_name=row.person_first_name,
                    middle_names=row.person_middle_names,
                    last_name=row.person_last_name,
                )
            )
    return list(notes.values())


def note_get(*, user, uuid) -> CaseNote:
    """A note `user` may see, with its family, episode, author and the people it concerns, or 404."""
    try:
        note = (
            CaseNote.objects.filter(family__in=families_visible_to(user))
            .select_related("family", "episode", "author")
            .get(uuid=uuid)
        )
    except (CaseNote.DoesNotExist, ValueError):
        raise Http404("No such note") from None
    visible_ids = _visible_ids(user=user, family=note.family)
    if notes_hidden(family=note.family, visible_ids=visible_ids).filter(casenote_id=note.pk).exists():
        raise Http404("No such note")
    note.visible_people = list(note.people.filter(pk__in=visible_ids).order_by("last_name", "first_name"))
    return note


def note_amendments(*, note: CaseNote) -> list[CaseNoteAmendment]:
    """A note's amendments, oldest first, with who made them."""
    return list(note.amendments.select_related("author").order_by("created_at", "id"))
