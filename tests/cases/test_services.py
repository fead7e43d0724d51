from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from cases.models import Family, FamilyMember, PersonAddress
from cases.selectors import families_visible_to
from cases.services import (
    FamilyError,
    family_create,
    family_member_add,
    family_member_create,
    family_status_change,
    family_update,
    involvement_add,
    person_create,
    relationship_add,
)
from tests.factories import AgencyFactory, FamilyMemberFactory, PersonFactory, PostcodeSectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sectors(lats):
    PostcodeSectorFactory(code="YO31", local_area_team=lats["tang-hall"])
    PostcodeSectorFactory(code="YO24", local_area_team=lats["hob-moor"])
    PostcodeSectorFactory(code="YO24 9", local_area_team=lats["clifton"])


def _create(user, **overrides):
    fields = {"name": "Nguyễn", "address_line_1": "1 Example Street", "postcode": "yo31 1aa"} | overrides
    return family_create(user=user, **fields)


def test_family_create_places_family_in_the_postcode_team(sectors, lats, cfs_worker_user):
    family = _create(cfs_worker_user)
    assert family.local_area_team == lats["tang-hall"]
    assert family.postcode == "YO31 1AA"
    assert family.reference.startswith("EH-") and len(family.reference) == 11
    assert not family.team_overridden


def test_family_create_prefers_the_sector_over_the_district(sectors, lats, partner_user):
    assert _create(partner_user, postcode="YO24 9ZZ").local_area_team == lats["clifton"]
    assert _create(partner_user, postcode="YO24 1ZZ").local_area_team == lats["hob-moor"]


def test_family_create_grants_a_partner_creator_access(sectors, partner_user):
    family = _create(partner_user)
    assert families_visible_to(partner_user).filter(pk=family.pk).exists()


def test_family_create_refuses_an_unknown_postcode_without_a_team(sectors, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        _create(cfs_worker_user, postcode="SW1A 1AA")
    assert "Choose the Local Area Team" in str(error.value)
    assert not Family.objects.exists()


def test_family_create_lets_only_a_manager_override_the_postcode_team(sectors, lats, cfs_worker_user, lat_manager_user):
    with pytest.raises(ValidationError, match="Only a Local Area Team manager"):
        _create(cfs_worker_user, local_area_team=lats["clifton"])
    family = _create(lat_manager_user, local_area_team=lats["clifton"])
    assert family.local_area_team == lats["clifton"]
    assert family.team_overridden


def test_family_update_moves_family_when_the_postcode_changes(sectors, lats, cfs_worker_user):
    family = _create(cfs_worker_user)
    family_update(user=cfs_worker_user, family=family, name="Smith", address_line_1="2 Road", postcode="YO24 1AA")
    family.refresh_from_db()
    assert family.local_area_team == lats["hob-moor"]
    assert family.name == "Smith"


def test_family_status_change_follows_the_state_machine(own_family):
    family_status_change(family=own_family, status=Family.Status.CLOSED)
    assert own_family.status == Family.Status.CLOSED
    with pytest.raises(FamilyError, match="cannot become"):
        family_status_change(family=own_family, status=Family.Status.CLOSED)


def test_person_create_refuses_future_date_of_birth_but_accepts_an_expected_one(cfs_worker_user):
    with pytest.raises(ValidationError, match="today or in the past"):
        person_create(
            user=cfs_worker_user, first_name="Future", last_name="Child", date_of_birth=date.today() + timedelta(days=1)
        )
    unborn = person_create(
        user=cfs_worker_user,
        first_name="Baby",
        last_name="Child",
        expected_date_of_birth=date.today() + timedelta(days=90),
    )
    assert unborn.is_unborn


def test_person_create_refuses_a_duplicate_nhs_number(cfs_worker_user):
    person_create(user=cfs_worker_user, first_name="A", last_name="B", nhs_number="943 476 5919")
    with pytest.raises(ValidationError, match="A record with this NHS number already exists"):
        person_create(user=cfs_worker_user, first_name="C", last_name="D", nhs_number="9434765919")


@pytest.mark.parametrize("name", ["O'Brien", "Zoë", "Nguyễn", "Smith-Jones", "D'Arcy-Ó Súilleabháin"])
def test_person_create_accepts_apostrophes_accents_and_hyphens(cfs_worker_user, name):
    person = person_create(user=cfs_worker_user, first_name=name, last_name=name, date_of_birth=date(2016, 2, 29))
    assert person.first_name == name


def test_family_member_create_is_all_or_nothing(own_family, cfs_worker_user):
    with pytest.raises(ValidationError):
        family_member_create(
            user=cfs_worker_user,
            family=own_family,
            person_fields={"first_name": "Kid", "last_name": "Test", "date_of_birth": date(2015, 1, 1)},
            member_fields={"role": "not-a-role"},
        )
    assert not own_family.members.exists()
    from cases.models import Person

    assert not Person.objects.filter(first_name="Kid").exists()


def test_family_member_add_records_the_family_address_for_the_household(own_family, cfs_worker_user):
    person = PersonFactory()
    family_member_add(user=cfs_worker_user, family=own_family, person=person, role=FamilyMember.Role.PARENT)
    address = PersonAddress.objects.get(person=person)
    assert address.postcode == own_family.postcode
    with pytest.raises(FamilyError, match="already a member"):
        family_member_add(user=cfs_worker_user, family=own_family, person=person, role=FamilyMember.Role.PARENT)


def test_relationship_add_refuses_a_parent_younger_than_the_child(own_family, cfs_worker_user):
    young = FamilyMemberFactory(family=own_family, person=PersonFactory(date_of_birth=date(2016, 1, 1))).person
    old = FamilyMemberFactory(family=own_family, person=PersonFactory(date_of_birth=date(1990, 1, 1))).person
    with pytest.raises(FamilyError, match="is not older than"):
        relationship_add(user=cfs_worker_user, family=own_family, person=young, relative=old, kind="mother")
    relationship_add(user=cfs_worker_user, family=own_family, person=young, relative=old, kind="sibling")


def test_person_update_with_no_change_writes_no_history(own_family, cfs_worker_user):
    from cases.services import person_update

    person = FamilyMemberFactory(family=own_family).person
    before = person.history.count()
    assert person_update(user=cfs_worker_user, person=person, first_name=person.first_name) is False
    assert person.history.count() == before
    assert person_update(user=cfs_worker_user, person=person, first_name="New") is True
    assert person.history.count() == before + 1


def test_relationship_add_needs_two_members_of_the_family(own_family, cfs_worker_user):
    mum = FamilyMemberFactory(
        family=own_family, role=FamilyMember.Role.PARENT, person=PersonFactory(date_of_birth=date(1985, 1, 1))
    ).person
    child = FamilyMemberFactory(family=own_family).person
    relationship = relationship_add(user=cfs_worker_user, family=own_family, person=mum, relative=child, kind="mother")
    assert str(relationship).endswith(f"mother of {child}")
    with pytest.raises(FamilyError, match="members of this family"):
        relationship_add(user=cfs_worker_user, family=own_family, person=mum, relative=PersonFactory(), kind="mother")


def test_involvement_add_refuses_end_before_start(own_family, cfs_worker_user):
    with pytest.raises(ValidationError, match="on or after the start date"):
        involvement_add(
            user=cfs_worker_user,
            family=own_family,
            agency=AgencyFactory(),
            started_on=date(2025, 5, 1),
            ended_on=date(2025, 4, 1),
        )
