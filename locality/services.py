"""Writes for localities: Local Area Team groups and team memberships."""

import logging

from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm

from earlyhelp.core.perms import ROLES, VIEW_TEAM_CASES, lat_group_name
from locality.models import LocalAreaTeam, Membership, PostcodeSector, Team

logger = logging.getLogger("earlyhelp.locality")


class MembershipError(Exception):
    """A membership change that the rules refuse."""


def local_area_team_group_ensure(*, team: LocalAreaTeam) -> Group:
    """Make sure the team has a group holding `view_team_cases` on it, and return the group."""
    group, _ = Group.objects.get_or_create(name=lat_group_name(team.name))
    if team.group_id != group.pk:
        team.group = group
        team.save(update_fields=["group", "updated_at"])
    assign_perm(f"locality.{VIEW_TEAM_CASES}", group, team)
    return group


@transaction.atomic
def membership_add(*, user, team: Team, role: str) -> Membership:
    """Put `user` in `team` with `role`: joins the role's group, and the LAT's group where it applies."""
    if role not in ROLES:
        raise MembershipError(f"Unknown role {role!r}")
    membership, _ = Membership.objects.get_or_create(user=user, team=team, role=role, defaults={})
    if user.agency_id is None:
        user.agency = team.agency  # consent to share is checked against the user's agency
        user.save(update_fields=["agency"])
    user.groups.add(Group.objects.get(name=ROLES[role].name))
    if team.local_area_team_id and ROLES[role].team_based:
        user.groups.add(local_area_team_group_ensure(team=team.local_area_team))
    return membership


@transaction.atomic
def membership_end(*, membership: Membership) -> None:
    """End a membership and take away the groups no other membership still needs."""
    user = membership.user
    membership.delete()
    remaining = list(Membership.objects.filter(user=user).select_related("team"))
    role = ROLES[membership.role]
    if not any(m.role == membership.role for m in remaining):
        user.groups.remove(Group.objects.get(name=role.name))
    lat = membership.team.local_area_team
    if lat and not any(m.team.local_area_team_id == lat.pk and ROLES[m.role].team_based for m in remaining):
        user.groups.remove(local_area_team_group_ensure(team=lat))


@transaction.atomic
def postcode_sector_assign(*, code: str, team: LocalAreaTeam, user) -> PostcodeSector:
    """Route a postcode district or sector to a team, then move its families in the background."""
    from cases.tasks import families_follow_postcode_sector_task

    sector, _ = PostcodeSector.objects.update_or_create(code=code.strip().upper(), defaults={"local_area_team": team})

    def send() -> None:
        try:
            families_follow_postcode_sector_task.apply_async(args=[sector.code, user.pk], retry=False)
        except Exception:  # the broker is down: nothing would re-send this, so move the families now, in-process
            if families_follow_postcode_sector_task.app.conf.task_always_eager:
                raise  # run in-process (no broker): the task's own failure, not the broker's
            logger.warning("Families of %s moved in the web request: broker unreachable", sector.code)
            families_follow_postcode_sector_task.apply(args=[sector.code, user.pk], throw=True)

    transaction.on_commit(send)
    return sector
