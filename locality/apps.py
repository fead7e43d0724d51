from django.apps import AppConfig


class LocalityConfig(AppConfig):
    name = "locality"
    verbose_name = "Localities, agencies and teams"

    def ready(self) -> None:
        from earlyhelp.core.code_lists import code_list_register
        from locality.models import LocalAreaTeam

        code_list_register("local_area_teams", LocalAreaTeam, lambda: LocalAreaTeam.objects.order_by("name"))
