from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from locality.models import (
    Agency,
    EarlyHelpChampion,
    LocalAreaTeam,
    Membership,
    NeedCategory,
    PostcodeSector,
    Service,
    ServiceArea,
    ServiceNeed,
    Team,
    Ward,
)
from locality.services import postcode_sector_assign


@admin.register(LocalAreaTeam)
class LocalAreaTeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "base"]
    readonly_fields = ["group"]


@admin.register(Ward)
class WardAdmin(SimpleHistoryAdmin):
    list_display = ["name", "local_area_team"]
    list_filter = ["local_area_team"]


@admin.register(PostcodeSector)
class PostcodeSectorAdmin(SimpleHistoryAdmin):
    list_display = ["code", "local_area_team"]
    list_filter = ["local_area_team"]

    def save_model(self, request, obj, form, change) -> None:
        """Through the service, so the families in the area follow it to its new team."""
        saved = postcode_sector_assign(code=obj.code, team=obj.local_area_team, user=request.user)
        obj.pk = saved.pk


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "type", "code", "local_area_team"]
    list_filter = ["type"]
    search_fields = ["name", "code"]


@admin.register(Team)
class TeamAdmin(SimpleHistoryAdmin):
    list_display = ["name", "agency", "local_area_team"]
    list_filter = ["local_area_team"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role", "team__local_area_team"]
    readonly_fields = ["user", "team", "role"]

    def has_add_permission(self, request) -> bool:
        # Memberships change group membership too, so they are made through `membership_add`.
        return False


@admin.register(NeedCategory)
class NeedCategoryAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class ServiceAreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 1
    verbose_name = "Local Area Team covered"
    verbose_name_plural = "Local Area Teams covered"


class ServiceNeedInline(admin.TabularInline):
    model = ServiceNeed
    extra = 1
    verbose_name = "need category"
    verbose_name_plural = "need categories"


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "provider", "active"]
    list_filter = ["active"]
    search_fields = ["name", "provider"]
    inlines = [ServiceAreaInline, ServiceNeedInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(EarlyHelpChampion)
class EarlyHelpChampionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "agency", "email", "active"]
    list_filter = ["agency__type", "active"]
    search_fields = ["name", "agency__name"]
    list_select_related = ["agency"]
