"""Read-only queries about localities."""

from django.db.models import Q, QuerySet

from earlyhelp.core.perms import VIEW_TEAM_CASES
from earlyhelp.core.validators import postcode_district, postcode_sector
from locality.models import (
    LocalAreaTeam,
    LocalAreaTeamGroupObjectPermission,
    LocalAreaTeamUserObjectPermission,
    PostcodeSector,
)


def local_area_team_for_postcode(postcode: str) -> LocalAreaTeam | None:
    """The team covering a valid postcode: its sector first, then its district."""
    codes = [postcode_sector(postcode), postcode_district(postcode)]
    sectors = PostcodeSector.objects.select_related("local_area_team").filter(code__in=codes)
    matches = {sector.code: sector.local_area_team for sector in sectors}
    return next((matches[code] for code in codes if code in matches), None)


def team_ids_with_case_access(user) -> QuerySet:
    """Ids of the Local Area Teams whose families `user` sees through team membership (rule 1)."""
    through_groups = LocalAreaTeamGroupObjectPermission.objects.filter(
        group__user=user, permission__codename=VIEW_TEAM_CASES
    ).values("content_object_id")
    direct = LocalAreaTeamUserObjectPermission.objects.filter(user=user, permission__codename=VIEW_TEAM_CASES).values(
        "content_object_id"
    )
    return LocalAreaTeam.objects.filter(Q(pk__in=through_groups) | Q(pk__in=direct)).values("pk")
