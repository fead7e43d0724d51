"""The keyset-paged pages (change history, case notes, chronology, who has viewed a record) cost the same queries
at 3 rows and at 120, on their first page and on an older one: no page reads more than one page of rows, counts
them, or skips them with OFFSET."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from earlyhelp.audit.models import AccessChainHead
from earlyhelp.audit.services import GENESIS_HASH, access_event_record
from tests.factories import (
    CaseNoteFactory,
    ContactFactory,
    FamilyMemberFactory,
    PersonAddressFactory,
    ProfessionalInvolvementFactory,
    RelationshipFactory,
)

pytestmark = pytest.mark.django_db

# The first page at a small and a large size; an older page (there is one only beyond a page of rows) at a size
# that leaves it part-filled and one that fills it.
PAGES_AND_SIZES = [("first", 3), ("first", 120), ("older", 60), ("older", 120)]
# Each page's queries, beside the request's own 7 (session, user, role and group permissions, the access event:
# lock the chain head, insert, update; the session is not saved, as it was saved at sign-in less than a minute ago).
# The family history: family, the people in it the user may see, one query for each of the four history tables. The
# person history: person, one query for each of its two history tables. Case notes: family, one query for the page.
# Chronology: family, the people it can be filtered by, the page's entries, then one query for each of its seven
# sources. Who has viewed a record (the manager): family, its team's managers, the records it covers, the viewers for
# the filter, the page of events, the names of the people on it.
PAGE_QUERIES = {
    "family_history": 13,
    "person_history": 10,
    "note_list": 9,
    "chronology": 17,
    "family_access": 13,
}


@pytest.fixture(autouse=True)
def _chain_head(db):
    """The access log's chain head exists from the first view on, as in a running service."""
    AccessChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})


def _family_history(family, size: int) -> str:
    member = FamilyMemberFactory(family=family)
    other = FamilyMemberFactory(family=family)
    RelationshipFactory(family=family, person=member.person, relative=other.person)
    ProfessionalInvolvementFactory(family=family, person=member.person)
    for number in range(size):
        family.name = f"Renamed {number}"
        family.save()
        member.in_household = not member.in_household
        member.save()
    return reverse("cases:family_history", kwargs={"uuid": family.uuid})


def _person_history(family, size: int) -> str:
    person = FamilyMemberFactory(family=family).person
    address = PersonAddressFactory(person=person, postcode=family.postcode)
    for number in range(size):
        person.first_name = f"Name{number}"
        person.save()
        address.address_line_1 = f"{number} Example Street"
        address.save()
    return reverse("cases:person_history", kwargs={"uuid": person.uuid})


def _note_list(family, size: int) -> str:
    person = FamilyMemberFactory(family=family).person
    today = timezone.localdate()
    for number in range(size):
        CaseNoteFactory(family=family, happened_on=today - timedelta(days=number)).people.add(person)
    return reverse("cases:note_list", kwargs={"uuid": family.uuid})


def _chronology(family, size: int) -> str:
    person = FamilyMemberFactory(family=family).person
    today = timezone.localdate()
    for number in range(size):
        note = CaseNoteFactory(family=family, significant=True, happened_on=today - timedelta(days=number))
        note.people.add(person)
        ContactFactory(family=family, received_at=timezone.now() - timedelta(days=number))
    return reverse("cases:chronology", kwargs={"uuid": family.uuid})


def _family_access(family, size: int, viewer) -> str:
    person = FamilyMemberFactory(family=family).person
    for number in range(size):
        access_event_record(user=viewer, action="view", obj=person if number % 2 else family, detail="test")
    return reverse("audit:family_access", kwargs={"uuid": family.uuid})


def _older(client, url: str) -> str:
    """The address of the page after the first one, from the first page's own link."""
    context = client.get(url).context
    query = context.get("older_query") or context.get("next_query")
    assert query, "the first page links to another"
    return f"{url}?{query}"


@pytest.mark.parametrize(("page", "size"), PAGES_AND_SIZES)
@pytest.mark.parametrize("name", ["family_history", "person_history", "note_list", "chronology"])
def test_keyset_page_query_count_is_constant(
    cfs_worker_client, own_family, name, page, size, django_assert_num_queries
):
    url = {
        "family_history": _family_history,
        "person_history": _person_history,
        "note_list": _note_list,
        "chronology": _chronology,
    }[name](own_family, size)
    if page == "older":
        url = _older(cfs_worker_client, url)
    with django_assert_num_queries(PAGE_QUERIES[name]):
        response = cfs_worker_client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(("page", "size"), PAGES_AND_SIZES)
def test_family_access_query_count_is_constant(
    lat_manager_client, cfs_worker_user, own_family, page, size, django_assert_num_queries
):
    url = _family_access(own_family, size, cfs_worker_user)
    if page == "older":
        url = _older(lat_manager_client, url)
    with django_assert_num_queries(PAGE_QUERIES["family_access"]):
        response = lat_manager_client.get(url)
    assert response.status_code == 200
