from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"
    verbose_name = "Information governance"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from governance.services.break_glass import break_glass_on_sign_in

        # A new session carries the user's unexpired break-the-glass grants, so its pages are flagged too.
        user_logged_in.connect(break_glass_on_sign_in, dispatch_uid="governance_break_glass_on_sign_in")
