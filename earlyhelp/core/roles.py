"""Makes the groups and permissions in the database match the registry in `perms.py`."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from earlyhelp.core.perms import ROLES


def _permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".", 1)
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def roles_sync() -> None:
    """Create every role group with exactly its registered permissions, and the LAT groups."""
    from locality.models import LocalAreaTeam
    from locality.services import local_area_team_group_ensure

    for role in ROLES.values():
        group, _ = Group.objects.get_or_create(name=role.name)
        group.permissions.set([_permission(p) for p in role.permissions])
    for team in LocalAreaTeam.objects.all():
        local_area_team_group_ensure(team=team)


def roles_sync_after_migrate(sender, using="default", **kwargs) -> None:
    """Run after `migrate` (and after test database flushes) so roles always exist.

    Permissions are created app by app as the signal goes round, so make them all first.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    roles_sync()
