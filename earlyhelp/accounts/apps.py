from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "earlyhelp.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from earlyhelp.accounts import signals

        signals.connect()
