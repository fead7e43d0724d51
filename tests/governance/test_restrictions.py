"""Restricted records (docs/permissions.md rule 4): information governance officers restrict a family or a person
with a reason and an allow-list; the record disappears for everyone else (family and person pages, search, the
family list, the MASH inbox) and stays for the allow-list; the allow-list is kept, each restriction reviewed every 90
days (a daily job tells the officers once) and lifted with a reason."""

import importlib
import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from cases.models import Family, Person
from earlyhelp.accounts.models import Notification
from earlyhelp.audit.models import AccessEvent
from earlyhelp.core import perms
from governance.demo import restrictions_demo
from governance.models import RESTRICTION_REVIEW_DAYS, Restriction
from governance.selectors.restrictions import restriction_allow_list
from governance.services.restrictions import (
    restriction_allow,
    restriction_create,
    restriction_disallow,
    restriction_lift,
    restriction_review,
    restrictions_review_notify,
)
from governance.tasks import restrictions_review_task
from referrals.models import Contact
from tests.factories import (
    AllocatedEpisodeFactory,
    ContactChildFactory,
    ContactFactory,
    FamilyFactory,
    FamilyMemberFactory,
    MembershipFactory,
    PersonFactory,
)
from tests.pages import messages_of, page_of

pytestmark = pytest.mark.django_db

REASON = "A parent works in the Tang Hall office (synthetic test reason)."
NHS_NUMBER = "9434765919"
BORN = date(2016, 4, 5)


@pytest.fixture
def child(own_family):
    person = PersonFactory(first_name="Zelda", last_name="Quibble", date_of_birth=BORN, nhs_number=NHS_NUMBER)
    FamilyMemberFactory(family=own_family, person=person)
    return person


@pytest.fixture
def episode(own_family, cfs_worker_user):
    """Early help under way, led by the Tang Hall worker: the worker an officer would keep on the allow-list."""
    return AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)


@pytest.fixture
def contact(own_family, child, partner_user):
    contact = ContactFactory(family=own_family, referrer_user=partner_user, status=Contact.Status.RECEIVED)
    ContactChildFactory(contact=contact, person=child)
    return contact


def _restrict_family(client, family, **fields):
    data = {"category": Restriction.Category.STAFF_FAMILY, "reason": REASON, **fields}
    return client.post(reverse("governance:restriction_new_family", kwargs={"uuid": family.uuid}), data)


def _searched(client, name: str) -> str:
    client.post(reverse("cases:search"), {"name": name})
    return page_of(client.get(reverse("cases:search") + "?results=1"))


def _found(client, person) -> bool:
    """Whether searching for the person by name finds them (their page is linked from the results)."""
    return reverse("cases:person_detail", kwargs={"uuid": person.uuid}) in _searched(client, person.full_name)


def _sees(client, family, person) -> dict[str, bool]:
    """What a client sees of the family and the person, page by page."""
    family_page = client.get(reverse("cases:family_detail", kwargs={"uuid": family.uuid}))
    person_page = client.get(reverse("cases:person_detail", kwargs={"uuid": person.uuid}))
    return {
        "family page": family_page.status_code == 200,
        "person page": person_page.status_code == 200,
        "family list": family.reference in page_of(client.get(reverse("cases:family_list"))),
        "search": _found(client, person),
    }


ALL = {"family page": True, "person page": True, "family list": True, "search": True}
NOTHING = dict.fromkeys(ALL, False)


# Restricting ------------------------------------------------------------------------------------------------------


def test_restriction_create_hides_the_family_from_team_staff_and_shows_it_to_the_allow_list(
    ig_officer_client, lat_manager_client, cfs_worker_client, cfs_worker_user, own_family, child, episode
):
    assert _sees(lat_manager_client, own_family, child) == ALL

    response = _restrict_family(ig_officer_client, own_family, allow=[cfs_worker_user.pk])

    restriction = Restriction.objects.get(family=own_family)
    assert response.url == reverse("governance:restriction_detail", kwargs={"uuid": restriction.uuid})
    assert _sees(lat_manager_client, own_family, child) == NOTHING
    assert _sees(cfs_worker_client, own_family, child) == ALL


def test_restriction_create_takes_the_family_out_of_the_mash_inbox(
    ig_officer_client, mash_screener_client, own_family, contact
):
    assert contact.reference in page_of(mash_screener_client.get(reverse("referrals:inbox")))

    _restrict_family(ig_officer_client, own_family)

    assert contact.reference not in page_of(mash_screener_client.get(reverse("referrals:inbox")))
    assert mash_screener_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})).status_code == 404


def test_restriction_create_records_the_reason_and_tells_no_one(
    ig_officer_client, ig_officer_user, cfs_worker_user, own_family, episode
):
    before = Notification.objects.count()

    response = _restrict_family(ig_officer_client, own_family, allow=[cfs_worker_user.pk])

    restriction = Restriction.objects.get(family=own_family)
    assert (restriction.category, restriction.reason, restriction.restricted_by) == (
        Restriction.Category.STAFF_FAMILY,
        REASON,
        ig_officer_user,
    )
    assert restriction.review_due == timezone.localdate() + timedelta(days=RESTRICTION_REVIEW_DAYS)
    assert Family.objects.get(pk=own_family.pk).restricted
    assert list(restriction_allow_list(restriction=restriction)) == [cfs_worker_user]
    assert AccessEvent.objects.filter(
        user=ig_officer_user, object_uuid=own_family.uuid, detail__startswith="restricted"
    ).exists()
    assert Notification.objects.count() == before
    assert messages_of(response) == [
        "Record restricted. Only the 1 person on its allow-list see it now; no one else has been told."
    ]


def test_restriction_create_refuses_a_short_reason(ig_officer_client, own_family):
    response = _restrict_family(ig_officer_client, own_family, reason="Staff family ")

    assert "The reason must be at least 15 characters" in page_of(response)
    assert not Restriction.objects.exists()
    assert not Family.objects.get(pk=own_family.pk).restricted


def test_restriction_create_refuses_a_record_already_restricted(ig_officer_client, ig_officer_user, own_family):
    restriction_create(user=ig_officer_user, family=own_family, category="high_risk", reason=REASON)

    page = page_of(
        ig_officer_client.get(reverse("governance:restriction_new_family", kwargs={"uuid": own_family.uuid}))
    )
    _restrict_family(ig_officer_client, own_family)

    assert "This record is already restricted" in page
    assert Restriction.objects.count() == 1


def test_restriction_new_offers_the_worker_allocated_to_open_early_help(
    ig_officer_client, cfs_worker_user, own_family, episode
):
    page = page_of(
        ig_officer_client.get(reverse("governance:restriction_new_family", kwargs={"uuid": own_family.uuid}))
    )

    assert re.search(rf'<input[^>]*value="{cfs_worker_user.pk}"[^>]*checked', page)
    assert cfs_worker_user.full_name in page


def test_restriction_of_a_person_hides_them_but_not_their_family(
    ig_officer_client, cfs_worker_client, lat_manager_client, lat_manager_user, own_family, child
):
    response = ig_officer_client.post(
        reverse("governance:restriction_new_person", kwargs={"uuid": child.uuid}),
        {"category": Restriction.Category.HIGH_RISK, "reason": REASON, "also_allow": lat_manager_user.pk},
    )

    assert response.status_code == 302
    assert Person.objects.get(pk=child.pk).restricted
    family_page = page_of(cfs_worker_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})))
    assert child.full_name not in family_page
    assert cfs_worker_client.get(reverse("cases:person_detail", kwargs={"uuid": child.uuid})).status_code == 404
    assert not _found(cfs_worker_client, child)
    assert _sees(lat_manager_client, own_family, child) == ALL


# Finding the record -----------------------------------------------------------------------------------------------


def test_restriction_find_finds_any_record_in_the_city(
    ig_officer_client, ig_officer_user, other_family, restricted_family
):
    person = PersonFactory(first_name="Ola", last_name="Nordmann", date_of_birth=BORN, nhs_number=NHS_NUMBER)
    FamilyMemberFactory(family=restricted_family, person=person)
    url = reverse("governance:restriction_find")

    by_reference = page_of(ig_officer_client.post(url, {"reference": other_family.reference.lower()}))
    by_nhs_number = page_of(ig_officer_client.post(url, {"nhs_number": "943 476 5919"}))
    by_name = page_of(
        ig_officer_client.post(
            url,
            {
                "last_name": "nordmann",
                "date_of_birth_0": BORN.day,
                "date_of_birth_1": BORN.month,
                "date_of_birth_2": BORN.year,
            },
        )
    )

    assert f"{other_family.name} family, {other_family.reference}, Hob Moor" in by_reference
    assert reverse("governance:restriction_new_family", kwargs={"uuid": other_family.uuid}) in by_reference
    for page in (by_nhs_number, by_name):
        assert "Ola Nordmann, born 5 April 2016" in page
        assert restricted_family.reference in page
        assert reverse("governance:restriction_new_person", kwargs={"uuid": person.uuid}) in page
    assert AccessEvent.objects.filter(user=ig_officer_user, action="search").count() == 3


def test_restriction_find_asks_for_something_to_find(ig_officer_client):
    url = reverse("governance:restriction_find")

    nothing = page_of(ig_officer_client.post(url, {}))
    name_only = page_of(ig_officer_client.post(url, {"last_name": "Nordmann"}))

    assert "Enter a family reference, an NHS number, or a name and date of birth" in nothing
    assert "Enter the date of birth as well as the name" in name_only


# The allow-list ---------------------------------------------------------------------------------------------------


@pytest.fixture
def restriction(ig_officer_user, own_family, child):
    return restriction_create(user=ig_officer_user, family=own_family, category="staff_family", reason=REASON)


def test_restriction_allow_and_disallow_give_and_take_away_sight(
    ig_officer_client, other_lat_client, other_lat_user, restriction, own_family, child
):
    detail = reverse("governance:restriction_detail", kwargs={"uuid": restriction.uuid})
    assert _sees(other_lat_client, own_family, child) == NOTHING

    added = ig_officer_client.post(
        reverse("governance:restriction_allow", kwargs={"uuid": restriction.uuid}), {"user": other_lat_user.pk}
    )

    assert added.url == detail
    assert messages_of(added) == [f"{other_lat_user.full_name} is on the allow-list and can see the record."]
    assert _sees(other_lat_client, own_family, child) == ALL
    assert other_lat_user.full_name in page_of(ig_officer_client.get(detail))

    removed = ig_officer_client.post(
        reverse("governance:restriction_disallow", kwargs={"uuid": restriction.uuid}), {"user": other_lat_user.pk}
    )

    assert messages_of(removed) == [
        f"{other_lat_user.full_name} is no longer on the allow-list. They have not been told."
    ]
    assert _sees(other_lat_client, own_family, child) == NOTHING
    assert not other_lat_user.has_perm(f"cases.{perms.ACCESS_RESTRICTED_FAMILY}", own_family)
    assert not restriction_allow_list(restriction=restriction).exists()


def test_restriction_allow_refuses_someone_who_does_not_look_at_families(ig_officer_client, analyst_user, restriction):
    response = ig_officer_client.post(
        reverse("governance:restriction_allow", kwargs={"uuid": restriction.uuid}), {"user": analyst_user.pk}
    )

    assert "Choose someone from the list" in page_of(response)
    assert not restriction_allow_list(restriction=restriction).exists()


def test_restriction_allow_refuses_a_person_s_allow_list_a_family_restricted_in_its_own_right_did_not_allow(
    ig_officer_client, ig_officer_user, cfs_worker_user, other_lat_user, own_family, child
):
    restriction_create(
        user=ig_officer_user, family=own_family, category="staff_family", reason=REASON, allow=[cfs_worker_user]
    )
    with pytest.raises(ValidationError, match=f"{own_family.reference} is itself restricted"):
        restriction_create(
            user=ig_officer_user, person=child, category="high_risk", reason=REASON, allow=[other_lat_user]
        )
    on_child = restriction_create(user=ig_officer_user, person=child, category="high_risk", reason=REASON)

    response = ig_officer_client.post(
        reverse("governance:restriction_allow", kwargs={"uuid": on_child.uuid}), {"user": other_lat_user.pk}
    )

    assert f"{own_family.reference} is itself restricted and {other_lat_user.full_name} is not on its" in page_of(
        response
    )
    assert not other_lat_user.has_perm(f"cases.{perms.ACCESS_RESTRICTED_FAMILY}", own_family)
    assert not restriction_allow_list(restriction=on_child).exists()


def test_restriction_disallow_from_a_person_keeps_the_allow_list_of_their_family_s_own_restriction(
    ig_officer_user, cfs_worker_user, cfs_worker_client, own_family, other_family, child
):
    FamilyMemberFactory(family=other_family, person=child)
    on_family = restriction_create(
        user=ig_officer_user, family=own_family, category="staff_family", reason=REASON, allow=[cfs_worker_user]
    )
    on_child = restriction_create(user=ig_officer_user, person=child, category="high_risk", reason=REASON)
    assert not restriction_allow_list(restriction=on_child).exists()
    assert restriction_allow(user=ig_officer_user, restriction=on_child, allowed=cfs_worker_user)
    assert list(restriction_allow_list(restriction=on_child)) == [cfs_worker_user]

    assert restriction_disallow(user=ig_officer_user, restriction=on_child, allowed=cfs_worker_user)

    grant = f"cases.{perms.ACCESS_RESTRICTED_FAMILY}"
    assert not cfs_worker_user.has_perm(grant, other_family)
    assert cfs_worker_user.has_perm(grant, own_family)
    assert _sees(cfs_worker_client, own_family, child) == ALL
    assert list(restriction_allow_list(restriction=on_family)) == [cfs_worker_user]
    assert not restriction_allow_list(restriction=on_child).exists()


# Review and lifting -----------------------------------------------------------------------------------------------


def test_restriction_review_moves_the_next_review_on_90_days(ig_officer_client, ig_officer_user, restriction):
    Restriction.objects.filter(pk=restriction.pk).update(review_due=timezone.localdate() - timedelta(days=3))

    response = ig_officer_client.post(
        reverse("governance:restriction_review", kwargs={"uuid": restriction.uuid}),
        {"note": "Parent still works in the Tang Hall office"},
    )

    restriction.refresh_from_db()
    assert restriction.review_due == timezone.localdate() + timedelta(days=90)
    assert restriction.last_reviewed_by == ig_officer_user
    assert restriction.last_reviewed_at is not None
    assert "next review is due on" in messages_of(response)[0]
    page = page_of(ig_officer_client.get(response.url))
    assert "Parent still works in the Tang Hall office" in page


def test_restriction_review_refuses_a_short_reason(ig_officer_client, restriction):
    due = restriction.review_due

    response = ig_officer_client.post(
        reverse("governance:restriction_review", kwargs={"uuid": restriction.uuid}), {"note": "Still needed"}
    )

    assert "The reason must be at least 15 characters" in page_of(response)
    restriction.refresh_from_db()
    assert (restriction.review_due, restriction.last_reviewed_at) == (due, None)


def test_restriction_lift_shows_the_record_to_its_team_again_and_ends_the_allow_list(
    ig_officer_client,
    ig_officer_user,
    lat_manager_client,
    other_lat_client,
    other_lat_user,
    restriction,
    own_family,
    child,
):
    restriction_allow(user=ig_officer_user, restriction=restriction, allowed=other_lat_user)
    assert _sees(other_lat_client, own_family, child) == ALL

    response = ig_officer_client.post(
        reverse("governance:restriction_lift", kwargs={"uuid": restriction.uuid}),
        {"reason": "The parent has left the council's employment."},
    )

    restriction.refresh_from_db()
    assert (restriction.lifted_by, restriction.lift_reason) == (
        ig_officer_user,
        "The parent has left the council's employment.",
    )
    assert not Family.objects.get(pk=own_family.pk).restricted
    assert _sees(lat_manager_client, own_family, child) == ALL
    assert _sees(other_lat_client, own_family, child) == NOTHING
    assert "Restriction lifted" in messages_of(response)[0]
    detail = reverse("governance:restriction_detail", kwargs={"uuid": restriction.uuid})
    assert detail not in page_of(ig_officer_client.get(reverse("governance:restrictions")))


def test_restriction_lift_of_a_person_keeps_the_allow_list_their_restricted_family_uses(
    ig_officer_user, cfs_worker_user, own_family, child
):
    on_family = restriction_create(
        user=ig_officer_user, family=own_family, category="high_risk", reason=REASON, allow=[cfs_worker_user]
    )
    on_child = restriction_create(user=ig_officer_user, person=child, category="high_risk", reason=REASON)

    restriction_lift(user=ig_officer_user, restriction=on_child, reason="Risk now managed through the family.")

    assert not Person.objects.get(pk=child.pk).restricted
    assert Family.objects.get(pk=own_family.pk).restricted
    assert list(restriction_allow_list(restriction=on_family)) == [cfs_worker_user]


def test_lifted_restriction_cannot_be_changed(ig_officer_client, ig_officer_user, restriction):
    restriction_lift(user=ig_officer_user, restriction=restriction, reason="The parent has left the council.")

    response = ig_officer_client.post(
        reverse("governance:restriction_review", kwargs={"uuid": restriction.uuid}),
        {"note": "Parent still works in the Tang Hall office"},
    )

    assert messages_of(response) == ["This restriction has been lifted, so it can no longer be changed"]
    restriction.refresh_from_db()
    assert restriction.last_reviewed_at is None


# The list and the daily job ---------------------------------------------------------------------------------------


def test_restriction_list_tags_and_filters_those_due_for_review(
    ig_officer_client, ig_officer_user, cfs_worker_user, own_family, other_family, child
):
    due = restriction_create(
        user=ig_officer_user, family=own_family, category="staff_family", reason=REASON, allow=[cfs_worker_user]
    )
    later = restriction_create(user=ig_officer_user, family=other_family, category="high_risk", reason=REASON)
    Restriction.objects.filter(pk=due.pk).update(review_due=timezone.localdate() - timedelta(days=1))
    url = reverse("governance:restrictions")

    everything = page_of(ig_officer_client.get(url))
    due_only = page_of(ig_officer_client.get(url + "?due=1"))

    assert own_family.reference in everything and other_family.reference in everything
    assert everything.count("Review due</strong>") == 1
    assert "1 restriction is due for review" in everything
    assert own_family.reference in due_only and other_family.reference not in due_only
    assert own_family.name not in everything  # references only, never the family's name
    assert later.get_category_display() in everything


def test_restrictions_review_task_tells_each_officer_once(ig_officer_user, restriction, cfs_worker_user):
    second_officer = MembershipFactory(role=perms.IG_OFFICER).user
    url = reverse("governance:restriction_detail", kwargs={"uuid": restriction.uuid})
    due = restriction.review_due

    with time_machine.travel(due - timedelta(days=1)):
        assert restrictions_review_task() == 0
    with time_machine.travel(due):
        assert restrictions_review_task() == 2
    with time_machine.travel(due + timedelta(days=1)):
        Notification.objects.filter(url=url).update(read_at=timezone.now())  # read, not acted on: still not again
        assert restrictions_review_task() == 0

    assert sorted(Notification.objects.filter(url=url).values_list("user", flat=True)) == sorted(
        [ig_officer_user.pk, second_officer.pk]
    )
    notification = Notification.objects.get(url=url, user=ig_officer_user)
    assert (
        notification.message
        == f"A restricted record is due for review: family {restriction.family.reference} (Tang Hall)"
    )
    assert not Notification.objects.filter(user=cfs_worker_user).exists()

    with time_machine.travel(due + timedelta(days=2)):
        restriction_review(user=ig_officer_user, restriction=restriction, note="Still a staff member's family")
    with time_machine.travel(due + timedelta(days=2 + RESTRICTION_REVIEW_DAYS)):
        assert restrictions_review_notify(today=timezone.localdate()) == 2


# Who may use the pages --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["partner", "cfs_worker", "lat_manager", "mash_manager", "analyst", "sf_officer"])
def test_restriction_pages_are_refused_without_the_permission(persona, request, restriction, own_family):
    client = request.getfixturevalue(f"{persona}_client")
    urls = [
        reverse("governance:restrictions"),
        reverse("governance:restriction_find"),
        reverse("governance:restriction_new_family", kwargs={"uuid": own_family.uuid}),
        reverse("governance:restriction_detail", kwargs={"uuid": restriction.uuid}),
        reverse("governance:restriction_lift", kwargs={"uuid": restriction.uuid}),
    ]

    assert [client.get(url).status_code for url in urls] == [403] * len(urls)
    assert client.post(urls[-1], {"reason": "Lifted by someone who may not"}).status_code == 403
    assert Restriction.objects.get(pk=restriction.pk).lifted_at is None


def test_restriction_navigation_is_offered_to_officers_only(ig_officer_client, cfs_worker_client):
    link = f'href="{reverse("governance:restrictions")}"'

    assert link in page_of(ig_officer_client.get(reverse("core:home")))
    assert link not in page_of(cfs_worker_client.get(reverse("core:home")))


# Records restricted before restrictions had reasons, and the demo -------------------------------------------------


def test_migration_gives_each_flagged_record_a_restriction_due_for_review(restricted_family, own_family):
    person = PersonFactory(restricted=True)
    name = "0002_restrictions_for_existing_flags"
    migration = importlib.import_module(f"governance.migrations.{name}")
    # The models as the migration sees them: simple-history's signals do not run there, so it writes history itself.
    apps = MigrationExecutor(connection).loader.project_state([("governance", name)]).apps

    migration.add(apps, None)

    on_family = Restriction.objects.get(family=restricted_family)
    on_person = Restriction.objects.get(person=person)
    for restriction in (on_family, on_person):
        assert restriction.reason == "Restricted before reasons were recorded"
        assert restriction.category == Restriction.Category.OTHER
        assert restriction.review_due == timezone.localdate()
        assert restriction.restricted_by.is_service_account
        assert restriction.history.count() == 1
    assert not Restriction.objects.filter(family=own_family).exists()

    migration.add(apps, None)  # again: nothing more
    assert Restriction.objects.count() == 2
    migration.remove(apps, None)
    assert not Restriction.objects.exists()
    assert Family.objects.get(pk=restricted_family.pk).restricted


def test_restrictions_demo_records_each_restricted_family_one_overdue(ig_officer_user, restricted_family, lats):
    second = FamilyFactory(local_area_team=lats["clifton"], restricted=True)
    today = date(2026, 6, 1)

    summary = restrictions_demo(today=today)

    restrictions = list(Restriction.objects.order_by("family__reference"))
    assert [r.family for r in restrictions] == sorted([restricted_family, second], key=lambda f: f.reference)
    assert [r.review_due < today for r in restrictions] == [True, False]
    assert all(r.restricted_by == ig_officer_user and r.reason.startswith("Synthetic") for r in restrictions)
    assert summary == "Restrictions recorded for 2 restricted families, the first overdue for review."
