"""Background jobs for families. Tasks load by id, act as a named user, and call a service."""

from celery import shared_task
from django.utils import timezone

from cases.services import families_follow_postcode_sector
from cases.services.work import case_tasks_sweep
from earlyhelp.accounts.models import User
from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as


@shared_task(acks_late=True)
def families_follow_postcode_sector_task(sector_code: str, acting_user_id: int) -> int:
    """Re-home families after a postcode area moves to another team; idempotent."""
    with acting_as(User.objects.get(pk=acting_user_id)):
        return families_follow_postcode_sector(sector_code=sector_code)


@shared_task(acks_late=True)
def closure_grants_end_task() -> int:
    """End partners' access to families whose closure grace period has run out; safe to run twice a day."""
    from django.utils import timezone

    from cases.services.episodes import closure_grants_end
    from earlyhelp.accounts.services import service_account_get

    with acting_as(service_account_get(name="closure-grants")):
        return closure_grants_end(today=timezone.localdate())


@shared_task(acks_late=True)
def case_tasks_sweep_task() -> dict:
    """Daily, early morning: raise, move and close the reminders the casework calls for; safe to run twice."""
    with acting_as(service_account_get(name="case-tasks")):
        return case_tasks_sweep(today=timezone.localdate()).as_dict()


@shared_task(acks_late=True)
def supporting_families_sustain_task() -> dict:
    """Daily: closed Supporting Families registrations start sustaining; the officers are told once when one's six
    months after closure have run out. Safe to run twice."""
    from cases.services.supporting_families import registrations_sustain_sweep

    with acting_as(service_account_get(name="supporting-families")):
        return registrations_sustain_sweep(today=timezone.localdate()).as_dict()
