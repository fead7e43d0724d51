from datetime import date

import pytest

from cases.selectors import SearchCriteria, families_visible_to, people_visible_to, person_duplicates, person_search
from cases.services import family_access_revoke, family_restricted_allow
from tests.conftest import is_postgresql, require_service
from tests.factories import FamilyMemberFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _visible(user):
    return set(families_visible_to(user).values_list("name", flat=True))


@pytest.fixture
def four_families(own_family, other_family, restricted_family, granted_family):
    return own_family, other_family, restricted_family, granted_family


def test_families_visible_to_team_staff_are_their_teams_unrestricted_families(
    four_families, cfs_worker_user, lat_manager_user, other_lat_user
):
    assert _visible(cfs_worker_user) == {"Ownteam"}
    assert _visible(lat_manager_user) == {"Ownteam"}
    assert _visible(other_lat_user) == {"Otherteam"}


def test_families_visible_to_partner_are_only_their_grants(four_families, partner_user):
    assert _visible(partner_user) == {"Granted"}


def test_families_visible_to_mash_and_analyst_is_nothing_without_contacts(
    four_families, mash_screener_user, analyst_user
):
    assert _visible(mash_screener_user) == set()
    assert _visible(analyst_user) == set()


def test_families_visible_to_restricted_family_only_through_the_allow_list(
    four_families, cfs_worker_user, restricted_family
):
    assert "Restricted" not in _visible(cfs_worker_user)
    family_restricted_allow(family=restricted_family, user=cfs_worker_user)
    assert "Restricted" in _visible(cfs_worker_user)


def test_family_access_revoke_removes_partner_sight(four_families, partner_user, granted_family):
    family_access_revoke(family=granted_family, user=partner_user)
    assert _visible(partner_user) == set()


def test_families_visible_to_inactive_user_is_nothing(four_families, cfs_worker_user):
    cfs_worker_user.is_active = False
    cfs_worker_user.save()
    assert _visible(cfs_worker_user) == set()


def test_people_visible_to_hides_restricted_people_and_other_teams(own_family, other_family, cfs_worker_user):
    visible = FamilyMemberFactory(family=own_family).person
    hidden = FamilyMemberFactory(family=own_family, person=PersonFactory(restricted=True)).person
    elsewhere = FamilyMemberFactory(family=other_family).person
    people = set(people_visible_to(cfs_worker_user))
    assert visible in people
    assert hidden not in people
    assert elsewhere not in people


def test_person_search_never_returns_or_counts_out_of_scope_people(
    own_family, other_family, restricted_family, cfs_worker_user
):
    FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Ada", last_name="Lovelace"))
    FamilyMemberFactory(family=other_family, person=PersonFactory(first_name="Ada", last_name="Lovelace"))
    FamilyMemberFactory(family=restricted_family, person=PersonFactory(first_name="Ada", last_name="Lovelace"))
    results = person_search(user=cfs_worker_user, criteria=SearchCriteria(name="Ada Lovelace"))
    assert results.count() == 1
    assert results[0].visible_memberships[0].family == own_family


def test_person_search_by_nhs_number_date_of_birth_and_postcode(own_family, cfs_worker_user):
    person = FamilyMemberFactory(family=own_family, person=PersonFactory(nhs_number="9434765919")).person
    FamilyMemberFactory(family=own_family, person=PersonFactory(date_of_birth=date(2001, 1, 1)))
    assert list(person_search(user=cfs_worker_user, criteria=SearchCriteria(nhs_number="943 476 5919"))) == [person]
    by_dob = person_search(user=cfs_worker_user, criteria=SearchCriteria(date_of_birth=date(2015, 3, 2)))
    assert list(by_dob) == [person]
    by_postcode = person_search(user=cfs_worker_user, criteria=SearchCriteria(postcode="yo311aa"))
    assert by_postcode.count() == 2


def test_person_duplicates_finds_same_nhs_number_on_every_database(own_family, cfs_worker_user):
    existing = FamilyMemberFactory(
        family=own_family, person=PersonFactory(first_name="Ann", nhs_number="9434765919")
    ).person
    matches = person_duplicates(
        user=cfs_worker_user,
        first_name="Completely",
        last_name="Different",
        date_of_birth=None,
        nhs_number="9434765919",
    )
    assert matches == [existing]


def test_person_duplicates_finds_similar_name_same_birthday_on_postgresql(own_family, cfs_worker_user):
    require_service(is_postgresql(), "typo-tolerant duplicate check needs PostgreSQL (set DATABASE_URL)")
    john = FamilyMemberFactory(
        family=own_family, person=PersonFactory(first_name="John", last_name="Smith", date_of_birth=date(2015, 3, 2))
    ).person
    FamilyMemberFactory(
        family=own_family, person=PersonFactory(first_name="Mary", last_name="Jones", date_of_birth=date(2015, 3, 2))
    )
    matches = person_duplicates(
        user=cfs_worker_user, first_name="Jon", last_name="Smyth", date_of_birth=date(2015, 3, 2)
    )
    assert matches == [john]


def test_person_search_is_typo_tolerant_on_postgresql(own_family, cfs_worker_user):
    require_service(is_postgresql(), "trigram search needs PostgreSQL (set DATABASE_URL)")
    john = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="John", last_name="Smith")).person
    assert list(person_search(user=cfs_worker_user, criteria=SearchCriteria(name="Jon Smyth"))) == [john]


def test_person_duplicates_plain_fallback_matches_same_surname_and_birthday(own_family, cfs_worker_user):
    smith = FamilyMemberFactory(
        family=own_family, person=PersonFactory(first_name="John", last_name="Smith", date_of_birth=date(2015, 3, 2))
    ).person
    matches = person_duplicates(
        user=cfs_worker_user, first_name="Johnny", last_name="smith", date_of_birth=date(2015, 3, 2)
    )
    assert smith in matches


def test_person_duplicates_never_offers_people_the_user_cannot_see(other_family, cfs_worker_user):
    FamilyMemberFactory(family=other_family, person=PersonFactory(nhs_number="9434765919"))
    assert (
        person_duplicates(
            user=cfs_worker_user, first_name="A", last_name="B", date_of_birth=None, nhs_number="9434765919"
        )
        == []
    )


def test_a_persons_new_address_is_hidden_from_workers_who_see_only_the_old_family(
    own_family, other_family, cfs_worker_user, other_lat_user
):
    from cases.selectors import person_addresses_visible
    from tests.factories import PersonAddressFactory

    mother = FamilyMemberFactory(family=own_family, role="parent").person
    FamilyMemberFactory(family=other_family, person=mother, role="parent")
    PersonAddressFactory(person=mother, postcode=own_family.postcode)
    PersonAddressFactory(person=mother, postcode=other_family.postcode, address_line_1="Safe house")
    assert {a.postcode for a in person_addresses_visible(user=cfs_worker_user, person=mother)} == {own_family.postcode}
    found = person_search(user=cfs_worker_user, criteria=SearchCriteria(postcode=other_family.postcode))
    assert mother not in list(found)
