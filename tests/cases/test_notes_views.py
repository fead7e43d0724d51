"""Case note pages: the list, writing a note, the note beside its amendments, the author's changes within a day,
a stale save, and amendments once it locks."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseNote, CaseNoteAmendment
from cases.services import family_restricted_allow
from earlyhelp.audit.models import AccessEvent
from tests.auth import signed_in_client
from tests.factories import (
    AllocatedEpisodeFactory,
    CaseNoteAmendmentFactory,
    CaseNoteFactory,
    FamilyMemberFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

YORK = ZoneInfo("Europe/London")
WRITTEN = datetime(2025, 3, 10, 9, 30, tzinfo=YORK)
# The request's own overhead is 7 of these: session, user, role and group permissions, the access event (lock the
# chain head, insert, update); the session is not saved (it was saved at sign-in, less than a minute ago). The page
# itself: the family, and one query for the page of notes with their authors, the people they concern, their
# amendments and the total.
NOTE_LIST_QUERIES = 9


def _url(name, record):
    return reverse(f"cases:{name}", kwargs={"uuid": record.uuid})


def _post_note(**overrides):
    today = timezone.localdate()
    data = {
        "kind": "home_visit",
        "happened_on_0": str(today.day),
        "happened_on_1": str(today.month),
        "happened_on_2": str(today.year),
        "text": "Visited at home; the children were <b>settled</b>",
    }
    return data | overrides


def _locked(note):
    CaseNote.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(days=2))
    note.refresh_from_db()
    return note


# The list ---------------------------------------------------------------------------------------------------------


def test_note_list_shows_notes_newest_first_with_amendments_and_lock(cfs_worker_client, own_family):
    older = _locked(CaseNoteFactory(family=own_family, happened_on=timezone.localdate() - timedelta(days=5)))
    CaseNoteAmendmentFactory(note=older)
    CaseNoteAmendmentFactory(note=older)
    CaseNoteFactory(family=own_family, kind="phone", text="Rang mum about school")
    response = cfs_worker_client.get(_url("note_list", own_family))
    assert response.status_code == 200
    notes = list(response.context["page"].object_list)
    assert [n.kind for n in notes] == ["phone", "home_visit"]
    assert notes[1].amendment_count == 2
    html = response.content.decode()
    assert "Locked" in html and "Can be changed until" in html
    assert AccessEvent.objects.filter(object_uuid=own_family.uuid, detail="case notes").exists()


def test_note_list_filters_by_type(cfs_worker_client, own_family):
    CaseNoteFactory(family=own_family, kind="phone")
    CaseNoteFactory(family=own_family, kind="school")
    response = cfs_worker_client.get(_url("note_list", own_family), {"kind": "school"})
    assert [n.kind for n in response.context["page"].object_list] == ["school"]


def test_note_list_empty_state_offers_the_first_note(cfs_worker_client, own_family):
    html = cfs_worker_client.get(_url("note_list", own_family)).content.decode()
    assert "There are no case notes for this family yet" in html
    assert _url("note_add", own_family) in html


def test_note_list_pages_by_cursor_25_at_a_time(cfs_worker_client, own_family):
    notes = [CaseNoteFactory(family=own_family, happened_on=WRITTEN.date() - timedelta(days=n)) for n in range(26)]
    response = cfs_worker_client.get(_url("note_list", own_family))
    assert [n.pk for n in response.context["page"].object_list] == [n.pk for n in notes[:25]]
    html = response.content.decode()
    assert "Older notes" in html and "Newest notes" not in html
    older = cfs_worker_client.get(f"{_url('note_list', own_family)}?{response.context['older_query']}")
    assert [n.pk for n in older.context["page"].object_list] == [notes[25].pk]
    html = older.content.decode()
    assert "Newest notes" in html and "Older notes" not in html


def test_note_list_pages_through_notes_written_at_the_same_moment(cfs_worker_client, own_family):
    notes = [CaseNoteFactory(family=own_family, happened_on=WRITTEN.date()) for _ in range(30)]
    CaseNote.objects.filter(family=own_family).update(created_at=WRITTEN)
    url = _url("note_list", own_family)
    first = cfs_worker_client.get(url)
    second = cfs_worker_client.get(f"{url}?{first.context['older_query']}")
    shown = [n.pk for page in (first, second) for n in page.context["page"].object_list]
    assert shown == sorted((n.pk for n in notes), reverse=True)
    assert second.context["older_query"] == ""


def test_note_list_older_pages_keep_the_type_chosen(cfs_worker_client, own_family):
    for _ in range(26):
        CaseNoteFactory(family=own_family, kind="phone")
    CaseNoteFactory(family=own_family, kind="school")
    response = cfs_worker_client.get(_url("note_list", own_family), {"kind": "phone"})
    assert response.context["older_query"].startswith("kind=phone&before=")
    older = cfs_worker_client.get(f"{_url('note_list', own_family)}?{response.context['older_query']}")
    assert [n.kind for n in older.context["page"].object_list] == ["phone"]
    assert older.context["newest_query"] == "kind=phone"


@pytest.mark.parametrize("before", ["7", "99999999999999999999999", "20250310.x.1", "20251340.20250310T093000000000.1"])
def test_note_list_a_bad_cursor_shows_the_newest_notes_and_says_so(cfs_worker_client, own_family, before):
    for _ in range(26):
        CaseNoteFactory(family=own_family)
    response = cfs_worker_client.get(_url("note_list", own_family), {"before": before})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25
    assert "The page asked for does not exist: start from the newest notes" in response.content.decode()


def test_note_list_past_the_oldest_note_says_there_are_none(cfs_worker_client, own_family):
    CaseNoteFactory(family=own_family)
    response = cfs_worker_client.get(_url("note_list", own_family), {"before": "20000101.20000101T000000000000.1"})
    html = response.content.decode()
    assert response.context["page"].object_list == []
    assert "There are no older notes." in html and "Newest notes" in html


def test_note_list_outsider_404_and_analyst_403(other_lat_client, analyst_client, own_family):
    assert other_lat_client.get(_url("note_list", own_family)).status_code == 404
    assert analyst_client.get(_url("note_list", own_family)).status_code == 403


@pytest.mark.parametrize("count", [1, 20])
def test_note_list_query_count_is_constant(cfs_worker_client, own_family, count, django_assert_num_queries):
    for _ in range(count):
        note = CaseNoteFactory(family=own_family)
        note.people.add(FamilyMemberFactory(family=own_family).person)
        CaseNoteAmendmentFactory(note=note)
    with django_assert_num_queries(NOTE_LIST_QUERIES):
        response = cfs_worker_client.get(_url("note_list", own_family))
    assert response.status_code == 200


def test_note_list_names_only_people_the_user_may_see(cfs_worker_client, own_family):
    for _ in range(2):
        note = CaseNoteFactory(family=own_family)
        note.people.add(FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Member")).person)
        note.people.add(PersonFactory(first_name="Outsider"))
        CaseNoteAmendmentFactory(note=note)
    response = cfs_worker_client.get(_url("note_list", own_family))
    assert response.content.count(b"Member") == 2
    assert b"Outsider" not in response.content
    assert [note.amendment_count for note in response.context["page"].object_list] == [1, 1]


def test_family_page_links_to_the_case_notes_and_the_chronology(cfs_worker_client, own_family):
    page = cfs_worker_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})).content.decode()
    assert f'href="{_url("note_list", own_family)}"' in page
    assert f'href="{_url("chronology", own_family)}"' in page


def test_note_list_leaves_out_notes_about_a_hidden_person(cfs_worker_client, own_family):
    hidden = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Hidden", restricted=True)).person
    secret = CaseNoteFactory(family=own_family, text="About the hidden child")
    secret.people.add(hidden)
    CaseNoteFactory(family=own_family, text="An ordinary visit")
    for _ in range(25):
        CaseNoteFactory(family=own_family, text="A later visit")
    first = cfs_worker_client.get(_url("note_list", own_family))
    response = cfs_worker_client.get(f"{_url('note_list', own_family)}?{first.context['older_query']}")
    html = first.content.decode() + response.content.decode()
    assert "An ordinary visit" in html
    assert "About the hidden child" not in html and "Hidden" not in html
    assert cfs_worker_client.get(_url("note_detail", secret)).status_code == 404


def test_note_list_shows_notes_about_a_restricted_person_to_the_allow_list(
    cfs_worker_client, cfs_worker_user, own_family
):
    hidden = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Hidden", restricted=True)).person
    secret = CaseNoteFactory(family=own_family, text="About the hidden child")
    secret.people.add(hidden)
    family_restricted_allow(family=own_family, user=cfs_worker_user)
    response = cfs_worker_client.get(_url("note_list", own_family))
    assert [person.first_name for person in response.context["page"].object_list[0].visible_people] == ["Hidden"]
    assert "About the hidden child" in response.content.decode()


# Writing a note ---------------------------------------------------------------------------------------------------


def test_note_add_saves_on_the_open_episode_and_says_so(cfs_worker_client, cfs_worker_user, own_family):
    episode = AllocatedEpisodeFactory(family=own_family)
    child = FamilyMemberFactory(family=own_family).person
    response = cfs_worker_client.post(
        _url("note_add", own_family), _post_note(people=[child.pk], child_seen="on", significant="on")
    )
    note = CaseNote.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("note_detail", note)
    assert note.episode == episode and note.author == cfs_worker_user and note.significant
    assert list(note.people.all()) == [child]
    page = cfs_worker_client.get(response["Location"]).content.decode()
    assert "Case note saved" in page
    assert "&lt;b&gt;settled&lt;/b&gt;" in page


def test_note_add_offers_only_members_the_user_may_see(cfs_worker_client, own_family):
    FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Visible"))
    FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Hidden", restricted=True))
    html = cfs_worker_client.get(_url("note_add", own_family)).content.decode()
    assert "Visible" in html and "Hidden" not in html
    assert "no open episode" in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"happened_on_2": str(timezone.localdate().year + 1)}, "The date must be today or in the past"),
        ({"happened_on_2": "1999"}, "The date must be on or after 1 January 2000"),
        ({"child_seen_alone": "on"}, "A child can only be seen alone if the child was seen"),
        ({"text": ""}, "Enter the note"),
        ({"text": "   "}, "Enter the note"),
        ({"kind": ""}, "Choose the type of note"),
        ({"happened_on_0": "31", "happened_on_1": "2"}, "The date must be a real date"),
    ],
)
def test_note_add_shows_errors_and_keeps_what_was_typed(cfs_worker_client, own_family, overrides, message):
    data = _post_note(text="Kept text") | overrides
    response = cfs_worker_client.post(_url("note_add", own_family), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and message in html
    if data["text"].strip():
        assert "Kept text" in html
    assert not CaseNote.objects.exists()


def test_note_add_refused_to_the_mash_and_outsiders(mash_screener_client, other_lat_client, own_family):
    assert mash_screener_client.get(_url("note_add", own_family)).status_code == 403
    assert other_lat_client.post(_url("note_add", own_family), _post_note()).status_code == 404
    assert not CaseNote.objects.exists()


# The note and its amendments --------------------------------------------------------------------------------------


def test_note_detail_shows_the_original_beside_its_amendments(cfs_worker_client, lat_manager_user, own_family):
    note = _locked(CaseNoteFactory(family=own_family, text="The original words"))
    CaseNoteAmendmentFactory(note=note, author=lat_manager_user, text="The added words", reason="Missed a detail")
    response = cfs_worker_client.get(_url("note_detail", note))
    html = response.content.decode()
    assert "The original words" in html
    assert "The added words" in html and "Missed a detail" in html and "Mel Manager" in html
    assert _url("note_amend", note) in html
    assert AccessEvent.objects.filter(object_uuid=note.uuid, action="view").exists()


def test_note_detail_outsider_404(other_lat_client, partner_client, own_family):
    note = CaseNoteFactory(family=own_family)
    assert other_lat_client.get(_url("note_detail", note)).status_code == 404
    assert partner_client.get(_url("note_detail", note)).status_code == 404


# The author's changes ---------------------------------------------------------------------------------------------


def test_note_edit_by_the_author_at_23h59(cfs_worker_client, cfs_worker_user, own_family):
    with time_machine.travel(WRITTEN, tick=False):
        note = CaseNoteFactory(family=own_family, author=cfs_worker_user)
    with time_machine.travel(WRITTEN + timedelta(hours=23, minutes=59), tick=False):
        page = cfs_worker_client.get(_url("note_edit", note))
        assert page.status_code == 200 and page.context["form"].initial["lock_version"] == 0
        response = cfs_worker_client.post(_url("note_edit", note), _post_note(text="Corrected", lock_version="0"))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.text == "Corrected"


def test_note_edit_at_24h_explains_the_lock_and_offers_an_amendment(cfs_worker_client, cfs_worker_user, own_family):
    with time_machine.travel(WRITTEN, tick=False):
        note = CaseNoteFactory(family=own_family, author=cfs_worker_user, text="The original")
    with time_machine.travel(WRITTEN + timedelta(hours=24), tick=False):
        page = cfs_worker_client.get(_url("note_edit", note))
        assert page.status_code == 200
        html = page.content.decode()
        assert "This note locked at 09:30 on 11 March 2025" in html
        assert _url("note_amend", note) in html
        response = cfs_worker_client.post(_url("note_edit", note), _post_note(text="Too late", lock_version="0"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Too late" in html  # nothing typed is lost
    note.refresh_from_db()
    assert note.text == "The original"


def test_note_edit_refused_to_anyone_but_the_author(lat_manager_client, cfs_worker_user, own_family):
    note = CaseNoteFactory(family=own_family, author=cfs_worker_user, text="The original")
    page = lat_manager_client.get(_url("note_edit", note))
    assert page.status_code == 200
    assert "Only the note&#x27;s author, Chris Worker, can change it" in page.content.decode()
    lat_manager_client.post(_url("note_edit", note), _post_note(text="Not mine", lock_version="0"))
    note.refresh_from_db()
    assert note.text == "The original"


def test_note_edit_stale_save_shows_who_changed_it_and_gives_the_text_back(
    cfs_worker_client, cfs_worker_user, own_family
):
    """Two tabs (or two clients of one author) open the same note; the second save is refused and loses nothing."""
    note = CaseNoteFactory(family=own_family, author=cfs_worker_user, text="The original")
    second_client = type(cfs_worker_client)()
    signed_in_client(cfs_worker_user, second_client)
    first = cfs_worker_client.post(_url("note_edit", note), _post_note(text="First version", lock_version="0"))
    assert first.status_code == 302
    response = second_client.post(_url("note_edit", note), _post_note(text="My own words", lock_version="0"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Chris Worker changed this at" in html and "after you opened it" in html
    assert "First version" in html and "My own words" in html
    assert response.context["form"].data["lock_version"] == "1"
    note.refresh_from_db()
    assert note.text == "First version"
    again = second_client.post(_url("note_edit", note), _post_note(text="My own words", lock_version="1"))
    assert again.status_code == 302
    note.refresh_from_db()
    assert note.text == "My own words"


def test_note_edit_wrong_role_403(analyst_client, mash_manager_client, own_family):
    note = CaseNoteFactory(family=own_family)
    assert analyst_client.get(_url("note_edit", note)).status_code == 403
    assert mash_manager_client.get(_url("note_edit", note)).status_code == 403


# Amendments -------------------------------------------------------------------------------------------------------


def test_note_amend_adds_an_amendment_and_keeps_the_original(lat_manager_client, lat_manager_user, own_family):
    note = _locked(CaseNoteFactory(family=own_family, text="The original"))
    response = lat_manager_client.post(_url("note_amend", note), {"text": "Also <i>seen</i>", "reason": "Missed"})
    assert response.status_code == 302 and response["Location"] == _url("note_detail", note)
    amendment = CaseNoteAmendment.objects.get()
    assert amendment.author == lat_manager_user and amendment.reason == "Missed"
    note.refresh_from_db()
    assert note.text == "The original"
    page = lat_manager_client.get(response["Location"]).content.decode()
    assert "Amendment added" in page and "Also &lt;i&gt;seen&lt;/i&gt;" in page


def test_note_amend_needs_text_and_a_reason(lat_manager_client, own_family):
    note = _locked(CaseNoteFactory(family=own_family))
    response = lat_manager_client.post(_url("note_amend", note), {"text": "  ", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter the amendment" in html and "Say why you are amending the note" in html
    assert not CaseNoteAmendment.objects.exists()


def test_note_amend_before_the_lock_explains_why_not(lat_manager_client, own_family):
    note = CaseNoteFactory(family=own_family)
    page = lat_manager_client.get(_url("note_amend", note))
    assert page.status_code == 200
    assert "can still be changed by its author" in page.content.decode()
    lat_manager_client.post(_url("note_amend", note), {"text": "Early", "reason": "Because"})
    assert not CaseNoteAmendment.objects.exists()


def test_note_amend_on_a_closed_episode_is_refused(lat_manager_client, own_family):
    episode = AllocatedEpisodeFactory(family=own_family, status="closed")
    note = _locked(CaseNoteFactory(family=own_family, episode=episode))
    page = lat_manager_client.get(_url("note_amend", note))
    assert page.status_code == 200
    assert "This episode is closed, so its records can no longer be changed" in page.content.decode()
    lat_manager_client.post(_url("note_amend", note), {"text": "Late", "reason": "Because"})
    assert not CaseNoteAmendment.objects.exists()
