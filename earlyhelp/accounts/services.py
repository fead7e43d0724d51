"""Writes for accounts."""

from django.db import transaction

from earlyhelp.accounts.models import User

SERVICE_ACCOUNT_DOMAIN = "service.earlyhelp.invalid"


@transaction.atomic
def service_account_get(*, name: str) -> User:
    """The account that background jobs and commands act as, so their writes carry a user."""
    user, created = User.objects.get_or_create(
        email=f"{name}@{SERVICE_ACCOUNT_DOMAIN}",
        defaults={"full_name": f"System ({name})", "is_active": False, "is_service_account": True},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
