"""Who has viewed this record: information governance officers for any family (by reference and team only), Local
Area Team managers for the families of their teams; events about the family, its people and its records, newest
first, a page at a time by keyset, filtered by person, in the same number of queries however many there are."""

import uuid

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from earlyhelp.audit.models import AccessChainHead, AccessEvent
from earlyhelp.audit.selectors import FAMILY_ACCESS_PER_PAGE, access_chain_first_broken_link
from earlyhelp.audit.services import GENESIS_HASH, access_event_hash
from tests.factories import AssessmentFactory, FamilyMemberFactory, PersonFactory
from tests.pages import page_of

pytestmark = pytest.mark.django_db

IP = "10.0.0.7"
GRANT = uuid.UUID("6b1f8c1e-1d7f-4c52-9a55-3a8f1b2c4d5e")


def seen(user, obj, *, action="view", detail="", grant=None, ip="10.0.0.7") -> AccessEvent:
    """Append an access event to the chain as `access_event_record` does, with a break-the-glass grant if given."""
    with transaction.atomic():
        head, _ = AccessChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
        event = AccessEvent(
            occurred_at=timezone.now(),
            user=user,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_uuid=getattr(obj, "uuid", None),
            detail=detail,
            ip_address=ip,
            break_glass_grant=grant,
            previous_hash=head.last_hash,
        )
        event.hash = access_event_hash(previous_hash=head.last_hash, event=event)
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
    return event


def url(family, **query) -> str:
    address = reverse("audit:family_access", kwargs={"uuid": family.uuid})
    return address + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def rows_of(response) -> list[list[str]]:
    """The table's rows as the text of their cells."""
    import re

    html = page_of(response)
    body = html.split('<tbody class="govuk-table__body">', 1)[1].split("</tbody>", 1)[0] if "<tbody" in html else ""
    return [
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    ]


@pytest.fixture
def history(own_family, other_family, cfs_worker_user, other_lat_user, partner_user):
    """Views of the Tang Hall family, its child, a restricted member and its assessment, one under break-the-glass;
    and views of another family and a search, which are not about it."""
    child = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Ann", last_name="Ownteam")).person
    hidden = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Rae", restricted=True)).person
    assessment = AssessmentFactory(family=own_family)
    events = [
        seen(cfs_worker_user, own_family),
        seen(cfs_worker_user, child, detail="history"),
        seen(cfs_worker_user, hidden),
        seen(cfs_worker_user, assessment, action="print"),
        seen(other_lat_user, own_family, grant=GRANT, ip="10.9.9.9"),
        seen(other_lat_user, other_family),
        seen(partner_user, None, action="search", detail="name=Ownteam"),
    ]
    return {"child": child, "hidden": hidden, "assessment": assessment, "events": events}


def test_family_access_lists_who_viewed_the_family_and_its_records_newest_first_for_the_manager(
    lat_manager_client, own_family, history
):
    rows = rows_of(lat_manager_client.get(url(own_family)))
    assert [row[1:] for row in rows] == [
        ["Olly Other Practitioner City of York Council (test)", "Viewed Break-the-glass", "Family", "10.9.9.9"],
        ["Chris Worker Practitioner City of York Council (test)", "Printed", "Early help assessment", "10.0.0.7"],
        ["Chris Worker Practitioner City of York Council (test)", "Viewed", "Person: Ann Ownteam (history)", IP],
        ["Chris Worker Practitioner City of York Council (test)", "Viewed", "Family", "10.0.0.7"],
    ]  # the restricted member (not on the manager's allow-list), another family and a search are left out


def test_family_access_shows_an_information_governance_officer_any_family_without_names(
    ig_officer_client, own_family, history
):
    response = ig_officer_client.get(url(own_family))
    page = page_of(response)
    assert own_family.reference in page and "Tang Hall" in page
    assert own_family.name not in page and "Ann" not in page
    records = ["Family", "Early help assessment", "Person", "Person (history)", "Family"]
    assert [row[3] for row in rows_of(response)] == records  # the restricted member's view is listed too


def test_family_access_opens_a_restricted_family_to_an_information_governance_officer_only(
    ig_officer_client, lat_manager_client, restricted_family, cfs_worker_user
):
    seen(cfs_worker_user, restricted_family)
    assert len(rows_of(ig_officer_client.get(url(restricted_family)))) == 1
    assert lat_manager_client.get(url(restricted_family)).status_code == 404


def test_family_access_is_refused_outside_the_managers_teams_and_without_the_permission(
    lat_manager_client, cfs_worker_client, other_family, own_family
):
    assert lat_manager_client.get(url(other_family)).status_code == 404
    assert cfs_worker_client.get(url(own_family)).status_code == 403


def test_family_access_filters_by_the_person_who_viewed(lat_manager_client, own_family, history, other_lat_user):
    response = lat_manager_client.get(url(own_family, user=other_lat_user.pk))
    assert [row[1] for row in rows_of(response)] == ["Olly Other Practitioner City of York Council (test)"]
    label = "Olly Other, Practitioner, City of York Council (test)"
    option = f'<option value="{other_lat_user.pk}" selected>{label}</option>'
    assert option in page_of(response)


def test_family_access_says_what_is_wrong_with_a_filter(lat_manager_client, own_family, history, partner_user):
    page = page_of(lat_manager_client.get(url(own_family, user=partner_user.pk)))  # searched, never viewed it
    assert "Choose someone from the list" in page
    page = page_of(lat_manager_client.get(url(own_family, before="0")))
    assert "The page asked for does not exist: start from the newest events" in page


def test_family_access_pages_by_keyset_from_the_newest(lat_manager_client, own_family, cfs_worker_user):
    events = [seen(cfs_worker_user, own_family) for _ in range(FAMILY_ACCESS_PER_PAGE + 3)]
    first = lat_manager_client.get(url(own_family))
    assert len(rows_of(first)) == FAMILY_ACCESS_PER_PAGE
    older = events[3]  # the oldest on the first page
    assert f'href="?before={older.id}" rel="next"' in page_of(first)
    second = lat_manager_client.get(url(own_family, before=older.id))
    assert len(rows_of(second)) == 3
    assert 'rel="next"' not in page_of(second) and 'href="?" rel="prev">' in page_of(second)


def test_family_access_writes_an_access_event_itself(lat_manager_client, lat_manager_user, own_family):
    lat_manager_client.get(url(own_family))
    event = AccessEvent.objects.get()
    assert (event.user, event.action, event.object_uuid, event.detail) == (
        lat_manager_user,
        "view",
        own_family.uuid,
        "who has viewed",
    )
    assert access_chain_first_broken_link() is None


# Session, user, its own and its groups' permissions (4); the family and whether the manager manages its team (2);
# the uuids of the family's people and records (one UNION); the viewers for the filter; the page's events with who
# and their agency; the names of the people on the page; the access event appended (head lock, insert, head
# update) (3). The session is not saved (it was saved at sign-in, less than a minute ago).
MANAGER_QUERIES = 4 + 2 + 1 + 1 + 1 + 1 + 3
# The officer sees any family (no team to check) and no names.
OFFICER_QUERIES = 4 + 1 + 1 + 1 + 1 + 3


@pytest.mark.parametrize("views", [2, 40])
def test_family_access_costs_the_same_queries_however_long_the_log(
    views, lat_manager_client, ig_officer_client, own_family, history, cfs_worker_user, django_assert_num_queries
):
    for number in range(views):
        seen(cfs_worker_user, history["child"] if number % 2 else history["assessment"])
    with django_assert_num_queries(MANAGER_QUERIES):
        lat_manager_client.get(url(own_family))
    with django_assert_num_queries(OFFICER_QUERIES):
        ig_officer_client.get(url(own_family))


def test_family_page_links_to_who_has_viewed_it_for_managers_only(lat_manager_client, cfs_worker_client, own_family):
    link = reverse("audit:family_access", kwargs={"uuid": own_family.uuid})
    family_page = reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})
    assert link in page_of(lat_manager_client.get(family_page))
    assert link not in page_of(cfs_worker_client.get(family_page))


def test_access_log_finds_a_family_by_its_reference(ig_officer_client, restricted_family):
    page = page_of(ig_officer_client.get(reverse("core:home")))
    assert f'href="{reverse("audit:access_log")}"' in page
    typed = restricted_family.reference.lower().removeprefix("eh-")
    response = ig_officer_client.get(reverse("audit:access_log"), {"reference": f" {typed} "})
    assert response.status_code == 302
    assert response.url == reverse("audit:family_access", kwargs={"uuid": restricted_family.uuid})
    search = AccessEvent.objects.get()
    assert (search.action, search.detail) == ("search", f"access log: family reference {restricted_family.reference}")


def test_access_log_says_when_no_family_has_the_reference(ig_officer_client, lat_manager_client):
    page = page_of(ig_officer_client.get(reverse("audit:access_log"), {"reference": "EH-NOSUCH99"}))
    assert "No family has the reference EH-NOSUCH99" in page
    page = page_of(ig_officer_client.get(reverse("audit:access_log"), {"reference": ""}))
    assert "Enter a family reference" in page
    assert lat_manager_client.get(reverse("audit:access_log")).status_code == 403
