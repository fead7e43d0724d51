"""Read-only queries about localities."""

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from earlyhelp.core.perms import VIEW_TEAM_CASES
from earlyhelp.core.validators import postcode_district, postcode_sector
from locality.models import (
    EarlyHelpChampion,
    LocalAreaTeam,
    LocalAreaTeamGroupObjectPermission,
    LocalAreaTeamUserObjectPermission,
    NeedCategory,
    PostcodeSector,
    Service,
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


def services_search(
    *,
    text: str = "",
    local_area_team: LocalAreaTeam | None = None,
    age: int | None = None,
    need_category: NeedCategory | None = None,
) -> QuerySet[Service]:
    """Active services matching every filter given, by name, with their teams and categories prefetched."""
    services = Service.objects.filter(active=True)
    if text:
        services = services.filter(
            Q(name__icontains=text) | Q(provider__icontains=text) | Q(description__icontains=text)
        )
    if local_area_team is not None:
        services = services.filter(areas__local_area_team=local_area_team)
    if age is not None:
        services = services.filter(age_from__lte=age, age_to__gte=age)
    if need_category is not None:
        services = services.filter(needs__need_category=need_category)
    return services.distinct().order_by("name").prefetch_related("local_area_teams", "need_categories")


def services_active(*, local_area_team: LocalAreaTeam | None = None) -> QuerySet[Service]:
    """Active services covering `local_area_team` (all active ones without it), to signpost a family to."""
    services = Service.objects.filter(active=True)
    if local_area_team is not None:
        services = services.filter(areas__local_area_team=local_area_team)
    return services.order_by("name")


def service_get(*, uuid) -> Service:
    """One service, active or closed (past signposting still links to it), or 404."""
    try:
        return Service.objects.prefetch_related("local_area_teams", "need_categories").get(uuid=uuid)
    except (Service.DoesNotExist, ValueError, ValidationError):
        raise Http404("No such service") from None


def champions_list() -> QuerySet[EarlyHelpChampion]:
    """Active Early Help Champions with their agency, by agency then name, for the directory page."""
    return EarlyHelpChampion.objects.filter(active=True).select_related("agency").order_by("agency__name", "name")
