"""Background jobs for families. Tasks load by id, act as a named user, and call a service."""

from celery import shared_task

from cases.services import families_follow_postcode_sector
from earlyhelp.accounts.models import User
from earlyhelp.audit.context import acting_as


@shared_task(acks_late=True)
def families_follow_postcode_sector_task(sector_code: str, acting_user_id: int) -> int:
    """Re-home families after a postcode area moves to another team; idempotent."""
    with acting_as(User.objects.get(pk=acting_user_id)):
        return families_follow_postcode_sector(sector_code=sector_code)
