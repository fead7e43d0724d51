"""Optimistic locking: a save from a stale copy is refused and names who changed the record, and when."""

import pytest

from earlyhelp.audit.context import acting_as
from earlyhelp.core.locking import StaleEdit, locked_save
from tests.factories import CaseNoteFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_locked_save_writes_and_bumps_the_version():
    note = CaseNoteFactory(text="First words")
    note.text = "Second words"
    locked_save(note, expected_version=0, update_fields=["text"])
    note.refresh_from_db()
    assert (note.text, note.lock_version) == ("Second words", 1)


def test_locked_save_refuses_a_stale_copy_and_names_who_saved_since():
    saver = UserFactory(full_name="Robin Quick")
    note = CaseNoteFactory(text="First words")
    mine, theirs = type(note).objects.get(pk=note.pk), type(note).objects.get(pk=note.pk)
    theirs.text = "Their words"
    with acting_as(saver):
        locked_save(theirs, expected_version=0, update_fields=["text"])
    mine.text = "My words"
    with pytest.raises(StaleEdit) as refused:
        locked_save(mine, expected_version=0, update_fields=["text"])
    assert refused.value.changed_by == "Robin Quick"
    assert "Robin Quick changed this at" in str(refused.value)
    note.refresh_from_db()
    assert note.text == "Their words", "the stale save wrote nothing"


def test_locked_save_without_history_author_says_someone():
    note = CaseNoteFactory()
    locked_save(note, expected_version=0, update_fields=["text"])
    with pytest.raises(StaleEdit) as refused:
        locked_save(note, expected_version=0, update_fields=["text"])
    assert refused.value.changed_by == "Someone"
