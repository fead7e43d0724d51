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


def notify(*, user, message: str, url: str = "", email: bool = True) -> None:
    """Tell a user something in the service, and by e-mail through Django's e-mail backend."""
    from django.conf import settings
    from django.core.mail import send_mail

    from earlyhelp.accounts.models import Notification

    Notification.objects.create(user=user, message=message, url=url)
    if email and user.email and not user.is_service_account:
        # No personal data in the e-mail: it says only where to look.
        send_mail(
            "Early Help: something needs your attention",
            "You have a new notification in Early Help. Sign in to see it.",
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
            fail_silently=True,
        )


@transaction.atomic
def notification_read(*, user, notification) -> None:
    """Mark one of the user's notifications as read."""
    from django.utils import timezone

    if notification.user_id == user.pk and notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
