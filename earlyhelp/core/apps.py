from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "earlyhelp.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core.checks import register
        from django.db.models.signals import post_migrate

        from earlyhelp.core.roles import roles_sync_after_migrate
        from earlyhelp.core.working_time import check_bank_holiday_data

        post_migrate.connect(roles_sync_after_migrate, sender=self)
        register(check_bank_holiday_data)
