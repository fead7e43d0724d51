from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent and information sharing"

    def ready(self) -> None:
        from consent.models import LawfulBasis
        from consent.selectors import FAMILY_RECORD_TYPE
        from earlyhelp.core.code_lists import code_list_register

        code_list_register(
            "family_lawful_basis",
            LawfulBasis,
            lambda: LawfulBasis.objects.filter(record_type=FAMILY_RECORD_TYPE).order_by("pk")[:1],
        )
