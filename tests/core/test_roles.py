import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from earlyhelp.core.perms import ROLES, lat_group_name
from locality.models import LocalAreaTeam

pytestmark = pytest.mark.django_db


def test_sync_roles_creates_every_role_group_with_exactly_its_permissions():
    call_command("sync_roles")
    for role in ROLES.values():
        group = Group.objects.get(name=role.name)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == set(role.permissions), role.slug


def test_sync_roles_gives_each_local_area_team_group_sight_of_its_own_team_only():
    call_command("sync_roles")
    for team in LocalAreaTeam.objects.all():
        group = Group.objects.get(name=lat_group_name(team.name))
        assert team.group == group
        assert set(team.localareateamgroupobjectpermission_set.values_list("group__name", flat=True)) == {group.name}


def test_york_local_area_teams_come_from_the_data_migration():
    assert set(LocalAreaTeam.objects.values_list("name", flat=True)) == {"Tang Hall", "Hob Moor", "Clifton"}
