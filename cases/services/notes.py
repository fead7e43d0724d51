"""Writes for case notes: recording a note, its author's changes in the first day, and amendments after it locks.

A note joins the family's open episode if it has one; a family with no open episode (before early help starts, or
after it closed) still gets its notes, written against the family alone. A note on an episode that has since
closed cannot be changed or amended: the episode is read-only until a manager reopens it.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cases.models import CaseNote, CaseNoteAmendment, Family
from cases.selectors.episodes import episode_open_for
from cases.services.episodes import episode_require_open
from earlyhelp.core.locking import locked_save

EARLIEST_NOTE_DATE = date(2000, 1, 1)
NOTE_FIELDS = ["kind", "happened_on", "child_seen", "child_seen_alone", "text", "significant"]


class NoteError(Exception):
    """A change to a case note that the rules refuse; the message is shown to the user."""


def note_problems(*, happened_on: date | None, child_seen: bool, child_seen_alone: bool) -> dict[str, str]:
    """The rules a note's date and "seen" answers must meet, by field; empty when they are met.

    Forms call this too, so every problem is shown at once with the other errors on the page.
    """
    problems = {}
    if happened_on and happened_on > timezone.localdate():
        problems["happened_on"] = "The date must be today or in the past"
    elif happened_on and happened_on < EARLIEST_NOTE_DATE:
        problems["happened_on"] = "The date must be on or after 1 January 2000"
    if child_seen_alone and not child_seen:
        problems["child_seen_alone"] = "A child can only be seen alone if the child was seen: tick both, or neither"
    return problems


def _people_check(*, family: Family, people) -> list:
    people = list(people)
    member_ids = set(family.members.values_list("person_id", flat=True))
    if any(person.pk not in member_ids for person in people):
        raise ValidationError({"people": "Everyone the note concerns must be a member of this family"})
    return people


def _note_check(note: CaseNote, *, people) -> list:
    problems = note_problems(
        happened_on=note.happened_on, child_seen=note.child_seen, child_seen_alone=note.child_seen_alone
    )
    if not note.text.strip():
        problems["text"] = "Enter the note"
    if problems:
        raise ValidationError(problems)
    note.full_clean()
    return _people_check(family=note.family, people=people)


@transaction.atomic
def note_record(
    *,
    user,
    family: Family,
    kind: str,
    happened_on: date,
    text: str,
    people=(),
    child_seen: bool = False,
    child_seen_alone: bool = False,
    significant: bool = False,
) -> CaseNote:
    """Write a case note for a family, on its open episode if it has one."""
    note = CaseNote(
        family=family,
        episode=episode_open_for(family=family),
        kind=kind,
        happened_on=happened_on,
        text=text,
        child_seen=child_seen,
        child_seen_alone=child_seen_alone,
        significant=significant,
        author=user,
    )
    people = _note_check(note, people=people)
    note.save()
    note.people.set(people)
    return note


def note_require_changeable(*, user, note: CaseNote) -> None:
    """Refuse a change to a note by anyone but its author, after it has locked, or once its episode has ended."""
    if note.episode_id is not None:
        episode_require_open(note.episode)
    if note.author_id != user.pk:
        raise NoteError(
            f"Only the note's author, {note.author.full_name}, can change it. You can add an amendment once it locks"
        )
    if note.is_locked:
        raise NoteError(
            f"This note locked at {timezone.localtime(note.locks_at):%H:%M on %d %B %Y}, a day after it was written. "
            "Add an amendment instead: the original stays as it was"
        )


@transaction.atomic
def note_update(
    *,
    user,
    note: CaseNote,
    expected_version: int,
    kind: str,
    happened_on: date,
    text: str,
    people=(),
    child_seen: bool = False,
    child_seen_alone: bool = False,
    significant: bool = False,
) -> CaseNote:
    """The author changes their note within a day of writing it, unless someone saved it since they opened it."""
    note_require_changeable(user=user, note=note)
    note.kind, note.happened_on, note.text = kind, happened_on, text
    note.child_seen, note.child_seen_alone, note.significant = child_seen, child_seen_alone, significant
    people = _note_check(note, people=people)
    locked_save(note, expected_version=expected_version, update_fields=NOTE_FIELDS)
    note.people.set(people)
    return note


def note_require_amendable(*, note: CaseNote) -> None:
    """Refuse an amendment to a note that is still open to its author, or whose episode has ended."""
    if note.episode_id is not None:
        episode_require_open(note.episode)
    if not note.is_locked:
        raise NoteError(
            f"This note can still be changed by its author until "
            f"{timezone.localtime(note.locks_at):%H:%M on %d %B %Y}. Amendments are added once it locks"
        )


@transaction.atomic
def note_amend(*, user, note: CaseNote, text: str, reason: str) -> CaseNoteAmendment:
    """Add an amendment beside a locked note; the note itself never changes."""
    note_require_amendable(note=note)
    problems = {}
    if not text.strip():
        problems["text"] = "Enter the amendment"
    if not reason.strip():
        problems["reason"] = "Say why you are amending the note"
    if problems:
        raise ValidationError(problems)
    amendment = CaseNoteAmendment(note=note, text=text, reason=reason.strip(), author=user)
    amendment.full_clean()
    amendment.save()
    return amendment
