"""Reads of case notes, always through the families a user may see.

A note that concerns someone the user may not see (a restricted person not on their allow-list) is left out
altogether: its free text may name them.
"""

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404

from cases.models import CaseNote, CaseNoteAmendment, Family, Person
from cases.selectors import families_visible_to, family_people_visible


def notes_hidden(*, family: Family, visible_ids) -> QuerySet:
    """The ids of the family's notes about a restricted person outside `visible_ids` (the people a user may see)."""
    return (
        CaseNote.people.through.objects.filter(casenote__family=family, person__restricted=True)
        .exclude(person_id__in=visible_ids)
        .values("casenote_id")
    )


def _visible_ids(*, user, family: Family) -> list[int]:
    return list(family_people_visible(user=user, family=family).values_list("pk", flat=True))


MAX_PRE_READ_PAGE = 100_000  # a larger page number is not read ahead, so no offset can overflow the database's


class NoteList:
    """A family's notes for a Paginator, one query a page.

    Each slice reads its notes with their author, the people they concern whom the user may see, their number of
    amendments and how many notes there are in all, so the paginator needs no count query of its own (only a page
    beyond the last one asks for the count separately).
    """

    def __init__(self, notes: QuerySet[CaseNote], visible_ids: QuerySet):
        self.notes = notes
        self.visible_ids = visible_ids
        self.total: int | None = None
        self.pages: dict[int, list[CaseNote]] = {}

    def count(self) -> int:
        if self.total is None:
            self.total = self.notes.count()
        return self.total

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice) -> list[CaseNote]:
        if not isinstance(window, slice):
            raise TypeError("Read the notes a page at a time")
        start = window.start or 0
        if start not in self.pages:
            self.pages[start] = self._read(window)
            if self.pages[start]:
                self.total = self.pages[start][0].total
            elif start == 0:
                self.total = 0
        return self.pages[start][: None if window.stop is None else window.stop - start]

    def page(self, number, per_page: int) -> Page:
        """The page asked for (or the last one, as Paginator.get_page does), reading that page before counting."""
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        if 1 <= wanted <= MAX_PRE_READ_PAGE:  # beyond it, no slice at all: the paginator shows the last page
            self[(wanted - 1) * per_page : wanted * per_page]
        return Paginator(self, per_page).get_page(number)

    def _read(self, window: slice) -> list[CaseNote]:
        on_page = self.notes.values("pk")[window]
        amendments = (
            CaseNoteAmendment.objects.filter(note=OuterRef("pk")).order_by().values("note").annotate(n=Count("*"))
        )
        total = self.notes.order_by().values("family").annotate(n=Count("*")).values("n")
        rows = (
            CaseNote.objects.filter(pk__in=on_page)
            .select_related("author")
            .annotate(
                amendment_count=Coalesce(Subquery(amendments.values("n")), Value(0), output_field=IntegerField()),
                total=Subquery(total, output_field=IntegerField()),
                # One row for each person the note concerns; the person is named only if `user` may see them.
                person_pk=Case(When(people__in=self.visible_ids, then=F("people__id"))),
                person_first_name=F("people__first_name"),
                person_middle_names=F("people__middle_names"),
                person_last_name=F("people__last_name"),
            )
            .order_by("-happened_on", "-created_at", "-id", "people__last_name", "people__first_name")
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


def notes_for_family(*, user, family: Family, kind: str = "") -> NoteList:
    """The family's notes, newest first, for a Paginator: each with its author, the people it concerns whom `user`
    may see, and its number of amendments. `family` must already have been read through `family_get`."""
    visible_ids = family_people_visible(user=user, family=family).order_by().values("pk")
    notes = CaseNote.objects.filter(family=family).exclude(pk__in=notes_hidden(family=family, visible_ids=visible_ids))
    if kind:
        notes = notes.filter(kind=kind)
    return NoteList(notes.order_by("-happened_on", "-created_at", "-id"), visible_ids)


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
