"""Reads of case notes, always through the families a user may see.

A note that concerns someone the user may not see (a restricted person not on their allow-list) is left out
altogether: its free text may name them.
"""

from django.db.models import Count, Prefetch, QuerySet
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


def _people_prefetch(visible_ids) -> Prefetch:
    people = Person.objects.filter(pk__in=visible_ids).order_by("last_name", "first_name")
    return Prefetch("people", queryset=people, to_attr="visible_people")


def notes_for_family(*, user, family: Family, kind: str = "") -> QuerySet[CaseNote]:
    """The family's notes, newest first, each with its author, the people it concerns whom `user` may see, and its
    number of amendments. `family` must already have been read through `family_get`."""
    visible_ids = _visible_ids(user=user, family=family)
    notes = CaseNote.objects.filter(family=family).exclude(pk__in=notes_hidden(family=family, visible_ids=visible_ids))
    if kind:
        notes = notes.filter(kind=kind)
    return (
        notes.select_related("author")
        .annotate(amendment_count=Count("amendments"))
        .prefetch_related(_people_prefetch(visible_ids))
        .order_by("-happened_on", "-created_at", "-id")
    )


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
