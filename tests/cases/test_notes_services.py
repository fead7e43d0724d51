"""Case note rules: where a note belongs, what it must say, who may change it and for how long, and amendments."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import CaseNote, CaseNoteAmendment, Episode
from cases.services.episodes import EpisodeError
from cases.services.notes import NoteError, note_amend, note_record, note_update
from earlyhelp.core.locking import StaleEdit
from tests.factories import AllocatedEpisodeFactory, CaseNoteFactory, EpisodeFactory, FamilyMemberFactory

pytestmark = pytest.mark.django_db

YORK = ZoneInfo("Europe/London")
WRITTEN = datetime(2025, 3, 10, 9, 30, tzinfo=YORK)


def _record(user, family, **overrides):
    fields = {"kind": CaseNote.Kind.HOME_VISIT, "happened_on": timezone.localdate(), "text": "Saw the family at home"}
    return note_record(user=user, family=family, **(fields | overrides))


def _update(user, note, **overrides):
    fields = {
        "expected_version": note.lock_version,
        "kind": note.kind,
        "happened_on": note.happened_on,
        "text": "Changed by the author",
    }
    return note_update(user=user, note=note, **(fields | overrides))


def test_note_record_joins_the_family_open_episode(cfs_worker_user, own_family):
    episode = AllocatedEpisodeFactory(family=own_family)
    note = _record(cfs_worker_user, own_family)
    assert note.episode == episode
    assert note.author == cfs_worker_user
    assert note.history.count() == 1


def test_note_record_without_an_open_episode_belongs_to_the_family_alone(cfs_worker_user, own_family):
    AllocatedEpisodeFactory(family=own_family, status=Episode.Status.CLOSED)
    note = _record(cfs_worker_user, own_family)
    assert note.episode is None
    assert note.family == own_family


def test_note_record_keeps_the_people_concerned(cfs_worker_user, own_family):
    child = FamilyMemberFactory(family=own_family).person
    note = _record(cfs_worker_user, own_family, people=[child], child_seen=True, child_seen_alone=True)
    assert list(note.people.all()) == [child]
    assert note.child_seen_alone


def test_note_record_refuses_a_person_from_another_family(cfs_worker_user, own_family, other_family):
    stranger = FamilyMemberFactory(family=other_family).person
    with pytest.raises(ValidationError) as error:
        _record(cfs_worker_user, own_family, people=[stranger])
    assert "member of this family" in str(error.value)
    assert not CaseNote.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"happened_on": timezone.localdate() + timedelta(days=2)}, "happened_on", "today or in the past"),
        ({"happened_on": date(1999, 12, 31)}, "happened_on", "on or after 1 January 2000"),
        ({"child_seen": False, "child_seen_alone": True}, "child_seen_alone", "seen alone if the child was seen"),
        ({"text": "   \n "}, "text", "Enter the note"),
    ],
)
def test_note_record_refuses_bad_input(cfs_worker_user, own_family, fields, field, message):
    with pytest.raises(ValidationError) as error:
        _record(cfs_worker_user, own_family, **fields)
    assert message in " ".join(error.value.message_dict[field])
    assert not CaseNote.objects.exists()


def test_note_record_accepts_the_first_of_january_2000(cfs_worker_user, own_family):
    assert _record(cfs_worker_user, own_family, happened_on=date(2000, 1, 1)).happened_on == date(2000, 1, 1)


def test_note_update_by_the_author_within_a_day(cfs_worker_user, own_family):
    with time_machine.travel(WRITTEN, tick=False):
        note = _record(cfs_worker_user, own_family)
    with time_machine.travel(WRITTEN + timedelta(hours=23, minutes=59), tick=False):
        _update(cfs_worker_user, note, significant=True)
    note.refresh_from_db()
    assert note.text == "Changed by the author"
    assert note.significant
    assert note.lock_version == 1


def test_note_update_is_refused_once_a_day_has_passed(cfs_worker_user, own_family):
    with time_machine.travel(WRITTEN, tick=False):
        note = _record(cfs_worker_user, own_family, text="The original")
    with time_machine.travel(WRITTEN + timedelta(hours=24), tick=False):
        assert note.is_locked
        with pytest.raises(NoteError, match=r"locked at 09:30 on 11 March 2025.*Add an amendment"):
            _update(cfs_worker_user, note)
    note.refresh_from_db()
    assert note.text == "The original"


def test_note_update_is_refused_to_anyone_but_the_author(cfs_worker_user, lat_manager_user, own_family):
    note = _record(cfs_worker_user, own_family, text="The original")
    with pytest.raises(NoteError, match="Only the note's author, Chris Worker, can change it"):
        _update(lat_manager_user, note)
    note.refresh_from_db()
    assert note.text == "The original"


def test_note_update_refuses_a_stale_copy_and_names_who_saved(cfs_worker_user, own_family):
    note = _record(cfs_worker_user, own_family, text="The original")
    first, second = CaseNote.objects.get(pk=note.pk), CaseNote.objects.get(pk=note.pk)
    _update(cfs_worker_user, first, text="First save")
    with pytest.raises(StaleEdit) as error:
        _update(cfs_worker_user, second, expected_version=0, text="Second save")
    assert "after you opened it" in str(error.value)
    note.refresh_from_db()
    assert note.text == "First save"


def test_note_update_refused_once_the_episode_has_closed(cfs_worker_user, own_family):
    episode = AllocatedEpisodeFactory(family=own_family)
    note = _record(cfs_worker_user, own_family)
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.CLOSED)
    note.refresh_from_db()
    with pytest.raises(EpisodeError, match="closed, so its records can no longer be changed"):
        _update(cfs_worker_user, note)


def test_note_amend_adds_beside_a_locked_note_which_never_changes(cfs_worker_user, lat_manager_user, own_family):
    with time_machine.travel(WRITTEN, tick=False):
        note = _record(cfs_worker_user, own_family, text="The original")
    versions_before = note.history.count()
    with time_machine.travel(WRITTEN + timedelta(days=3), tick=False):
        amendment = note_amend(user=lat_manager_user, note=note, text="It was Tuesday", reason="Wrong day")
    assert amendment.author == lat_manager_user
    assert amendment.note == note
    note.refresh_from_db()
    assert note.text == "The original"
    assert note.history.count() == versions_before
    assert {row.text for row in note.history.all()} == {"The original"}


def test_note_amend_is_refused_while_the_author_can_still_change_it(cfs_worker_user, lat_manager_user, own_family):
    with time_machine.travel(WRITTEN, tick=False):
        note = _record(cfs_worker_user, own_family)
        with pytest.raises(NoteError, match="can still be changed by its author until 09:30 on 11 March 2025"):
            note_amend(user=lat_manager_user, note=note, text="More", reason="Why")
    assert not CaseNoteAmendment.objects.exists()


@pytest.mark.parametrize(
    ("text", "reason", "field", "message"),
    [("", "A reason", "text", "Enter the amendment"), ("Some text", "  ", "reason", "Say why you are amending")],
)
def test_note_amend_needs_text_and_reason(cfs_worker_user, own_family, text, reason, field, message):
    note = CaseNoteFactory(family=own_family, author=cfs_worker_user)
    CaseNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(days=2))
    note.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        note_amend(user=cfs_worker_user, note=note, text=text, reason=reason)
    assert message in " ".join(error.value.message_dict[field])


def test_note_amend_refused_once_the_episode_has_closed(cfs_worker_user, own_family):
    episode = EpisodeFactory(family=own_family, status=Episode.Status.DECLINED)
    note = CaseNoteFactory(family=own_family, episode=episode, author=cfs_worker_user)
    CaseNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(days=2))
    note.refresh_from_db()
    with pytest.raises(EpisodeError, match="declined"):
        note_amend(user=cfs_worker_user, note=note, text="More", reason="Why")
    assert not CaseNoteAmendment.objects.exists()
