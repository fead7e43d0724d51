"""The change history pages read one page at a time by keyset: newest first, 50 changes a page, "Older changes" with
a `before` cursor naming the last change shown, the same diffs as ever, and restricted people's rows left out."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cases.models import Family, FamilyMember, Person
from cases.selectors import family_histories
from earlyhelp.audit.selectors import HISTORY_CURSOR, history_entries, history_page
from earlyhelp.core.keyset import cursor_decode, cursor_encode
from tests.factories import FamilyMemberFactory, PersonFactory, RelationshipFactory

pytestmark = pytest.mark.django_db

YORK = ZoneInfo("Europe/London")
SAME_MOMENT = datetime(2025, 2, 3, 10, 0, tzinfo=YORK)


def _family_url(family, **query):
    url = reverse("cases:family_history", kwargs={"uuid": family.uuid})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _renamed(family, times: int) -> None:
    for number in range(times):
        family.name = f"Name {number}"
        family.save()


def _titles(response) -> list[str]:
    return [f"{entry.kind}: {entry.record}" for entry in response.context["page"].entries]


def test_family_history_first_page_shows_the_newest_50_changes_and_links_to_older_ones(cfs_worker_client, own_family):
    _renamed(own_family, 60)  # 61 changes with the creation
    response = cfs_worker_client.get(_family_url(own_family))
    entries = response.context["page"].entries
    assert len(entries) == 50
    assert entries[0].changes[0].new == "Name 59" and entries[0].changes[0].old == "Name 58"
    assert entries[-1].changes[0].new == "Name 10"
    html = response.content.decode()
    assert "Older changes" in html and "Newest changes" not in html
    assert response.context["older_query"].startswith("before=")


def test_family_history_older_page_follows_the_cursor_to_the_creation(cfs_worker_client, own_family):
    _renamed(own_family, 60)
    first = cfs_worker_client.get(_family_url(own_family))
    older = cfs_worker_client.get(f"{_family_url(own_family)}?{first.context['older_query']}")
    entries = older.context["page"].entries
    assert [entry.changes[0].new for entry in entries[:-1]] == [f"Name {n}" for n in range(9, -1, -1)]
    assert entries[-1].kind == "Created" and entries[-1].changes  # its first values, diffed against nothing
    assert entries[0].changes[0].old == "Name 8"  # the diff reaches back to the row before the page
    html = older.content.decode()
    assert "Newest changes" in html and "Older changes" not in html


def test_family_history_pages_do_not_lose_or_repeat_changes_made_at_the_same_moment(cfs_worker_user, own_family):
    members = [FamilyMemberFactory(family=own_family).person for _ in range(3)]
    _renamed(own_family, 20)
    for member in FamilyMember.objects.filter(family=own_family):
        member.role = FamilyMember.Role.PARENT
        member.save()
    Family.history.filter(id=own_family.pk).update(history_date=SAME_MOMENT)
    FamilyMember.history.filter(family_id=own_family.pk).update(history_date=SAME_MOMENT)
    everything = history_page(sources=_sources(cfs_worker_user, own_family), per_page=1000).entries
    seen = []
    before = None
    while True:
        page = history_page(sources=_sources(cfs_worker_user, own_family), before=before, per_page=4)
        seen += page.entries
        if page.older_than is None:
            break
        before = _decode(page.older_than)
    assert len(everything) == 21 + 2 * len(members)
    assert seen == everything


def _sources(user, family):
    return family_histories(user=user, family=family)


def _decode(cursor: str):
    return cursor_decode(cursor, HISTORY_CURSOR)


@pytest.mark.parametrize(
    "before", ["nonsense", "20250203T100000000000.1", "20251303T100000000000.0.1", "2025.0.1", "x" * 300, "1.2.3"]
)
def test_family_history_bad_cursor_shows_the_first_page_and_says_so(cfs_worker_client, own_family, before):
    _renamed(own_family, 3)
    response = cfs_worker_client.get(_family_url(own_family), {"before": before})
    assert response.status_code == 200
    assert len(response.context["page"].entries) == 4
    html = response.content.decode()
    assert "The page asked for does not exist: start from the newest changes" in html
    assert "<title>Error: " in html


def test_family_history_past_the_end_says_there_are_no_older_changes(cfs_worker_client, own_family):
    before = cursor_encode(datetime(2000, 1, 1, tzinfo=YORK), 0, 1)
    html = cfs_worker_client.get(_family_url(own_family), {"before": before}).content.decode()
    assert "There are no older changes." in html and "Newest changes" in html


def test_family_history_empty_state(cfs_worker_client, own_family):
    Family.history.filter(id=own_family.pk).delete()
    response = cfs_worker_client.get(_family_url(own_family))
    assert response.context["page"].entries == []
    assert "No history recorded." in response.content.decode()


def test_family_history_leaves_out_restricted_people_on_every_page(cfs_worker_client, own_family):
    hidden = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Secret", restricted=True)).person
    seen = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Open")).person
    RelationshipFactory(family=own_family, person=hidden, relative=seen)
    RelationshipFactory(family=own_family, person=seen, relative=PersonFactory(first_name="Outsider"))
    _renamed(own_family, 55)
    pages = [cfs_worker_client.get(_family_url(own_family))]
    pages.append(cfs_worker_client.get(f"{_family_url(own_family)}?{pages[0].context['older_query']}"))
    records = [title for response in pages for title in _titles(response)]
    html = "".join(response.content.decode() for response in pages)
    assert "Secret" not in html and "Outsider" not in html
    assert "Created: Member: Open " in " ".join(records) + " "
    assert not any("Relationship" in title for title in records)
    assert len(records) == 57  # the family's 56 changes and the visible member's creation


def test_family_history_page_shows_what_history_entries_shows(cfs_worker_user, own_family):
    person = FamilyMemberFactory(family=own_family).person
    membership = FamilyMember.objects.get(person=person)
    membership.role = FamilyMember.Role.PARENT
    membership.save()
    membership.save()  # a save that changes nothing is left out, as before
    _renamed(own_family, 2)
    page = history_page(sources=_sources(cfs_worker_user, own_family))
    rows = [("Family details", list(Family.history.filter(id=own_family.pk)))]
    rows.append((f"Member: {person}", list(FamilyMember.history.filter(family_id=own_family.pk))))
    assert page.entries == history_entries(histories=rows)
    assert page.older_than is None


def test_person_history_pages_by_cursor(cfs_worker_client, own_family):
    person = FamilyMemberFactory(family=own_family).person
    for number in range(54):
        person.first_name = f"Name{number}"
        person.save()
    url = reverse("cases:person_history", kwargs={"uuid": person.uuid})
    first = cfs_worker_client.get(url)
    assert len(first.context["page"].entries) == 50
    older = cfs_worker_client.get(f"{url}?{first.context['older_query']}")
    entries = older.context["page"].entries
    assert len(entries) == 5 and entries[-1].kind == "Created"
    assert Person.history.filter(id=person.pk).count() == 55
