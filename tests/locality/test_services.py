import pytest
from django.contrib.auth.models import Group

from cases.models import Family
from earlyhelp.core import perms
from earlyhelp.core.perms import lat_group_name
from locality.selectors import local_area_team_for_postcode
from locality.services import membership_add, membership_end, postcode_sector_assign
from tests.factories import FamilyFactory, PostcodeSectorFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_membership_add_joins_the_role_group_and_the_team_group(lats):
    user = UserFactory()
    membership = membership_add(user=user, team=TeamFactory(local_area_team=lats["clifton"]), role=perms.CFS_WORKER)
    names = set(user.groups.values_list("name", flat=True))
    assert names == {"Child and family support worker", lat_group_name("Clifton")}
    membership_end(membership=membership)
    assert not user.groups.exists()


def test_membership_add_for_a_role_that_is_not_team_based_gives_no_team_sight(lats):
    user = UserFactory()
    membership_add(user=user, team=TeamFactory(local_area_team=lats["clifton"]), role=perms.MASH_SCREENER)
    assert not user.groups.filter(name=lat_group_name("Clifton")).exists()
    assert Group.objects.get(name=lat_group_name("Clifton"))


def test_local_area_team_for_postcode_uses_sector_then_district(lats):
    PostcodeSectorFactory(code="YO26", local_area_team=lats["hob-moor"])
    PostcodeSectorFactory(code="YO26 6", local_area_team=lats["clifton"])
    assert local_area_team_for_postcode("YO26 5AA") == lats["hob-moor"]
    assert local_area_team_for_postcode("yo26 6aa") == lats["clifton"]
    assert local_area_team_for_postcode("LS1 1AA") is None


def test_postcode_sector_assign_moves_families_but_not_manager_placed_ones(
    lats, lat_manager_user, django_capture_on_commit_callbacks
):
    PostcodeSectorFactory(code="YO26", local_area_team=lats["hob-moor"])
    follows = FamilyFactory(local_area_team=lats["hob-moor"], postcode="YO26 6AA")
    stays = FamilyFactory(local_area_team=lats["tang-hall"], postcode="YO26 6AB", team_overridden=True)
    elsewhere = FamilyFactory(local_area_team=lats["hob-moor"], postcode="YO26 5AA")
    with django_capture_on_commit_callbacks(execute=True):
        postcode_sector_assign(code="yo26 6", team=lats["clifton"], user=lat_manager_user)
    assert Family.objects.get(pk=follows.pk).local_area_team == lats["clifton"]
    assert Family.objects.get(pk=stays.pk).local_area_team == lats["tang-hall"]
    assert Family.objects.get(pk=elsewhere.pk).local_area_team == lats["hob-moor"]
    assert Family.objects.get(pk=follows.pk).history.first().history_user == lat_manager_user
