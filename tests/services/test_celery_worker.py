"""A real Celery worker, on the real Redis broker and PostgreSQL database, runs a task to completion."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Family
from earlyhelp.accounts.models import Notification
from locality.services import postcode_sector_assign
from referrals import services as referral_services
from referrals.models import Contact, ContactSource, MashDecision, Rag
from referrals.tasks import contacts_overdue_task
from tests.factories import (
    ContactChildFactory,
    ContactFactory,
    FamilyFactory,
    FamilyMemberFactory,
    PostcodeSectorFactory,
)
from tests.services.conftest import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_celery_worker_moves_families_and_records_the_acting_user(worker, lats, lat_manager_user):
    PostcodeSectorFactory(code="YO26", local_area_team=lats["hob-moor"])
    family = FamilyFactory(local_area_team=lats["hob-moor"], postcode="YO26 6AA")
    postcode_sector_assign(code="YO26 6", team=lats["clifton"], user=lat_manager_user)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        family.refresh_from_db()
        if family.local_area_team == lats["clifton"]:
            break
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.5)
    assert family.local_area_team == lats["clifton"], "the worker did not run the task within 60 seconds"
    assert Family.history.filter(id=family.pk).first().history_user == lat_manager_user


def test_celery_worker_tells_the_referrer_of_a_mash_decision(
    worker, own_family, partner_user, mash_screener_user, mash_manager_user
):
    """The decision queues the feedback task once it commits; the worker tells the referrer, once."""
    child = FamilyMemberFactory(family=own_family).person
    contact = referral_services.contact_record(
        user=partner_user,
        family=own_family,
        children=[child],
        concern="Attendance has fallen and the children say there is no food at home.",
        source=ContactSource.SCHOOLS,
        family_aware=Contact.FamilyAware.YES,
        consent_status=Contact.ConsentStatus.GIVEN,
    )
    referral_services.contact_rate(user=mash_screener_user, contact=contact, rag=Rag.GREEN)
    referral_services.contact_screen(
        user=mash_screener_user,
        contact=contact,
        checks={"involvement": True, "education": True},
        information_gathered="Known to school; no police or health concerns.",
        ready=True,
    )
    decision = referral_services.contact_decide(
        user=mash_manager_user,
        contact=contact,
        level=1,
        outcome=MashDecision.Outcome.NO_FURTHER_ACTION,
        rationale="Universal services are meeting the children's needs.",
        next_steps="School will keep supporting attendance.",
        consent_basis=MashDecision.ConsentBasis.NOT_NEEDED,
    )
    told = Notification.objects.filter(user=partner_user, message__contains=contact.reference)

    def referrer_told() -> bool:
        decision.refresh_from_db()
        return decision.referrer_told_at is not None and told.exists()

    wait_for(worker, referrer_told, "tell the referrer")
    assert told.count() == 1


def test_celery_worker_flags_overdue_contacts_for_the_mash_managers(worker, own_family, mash_manager_user):
    contact = ContactFactory(family=own_family, due_at=timezone.now() - timedelta(hours=1))
    ContactChildFactory(contact=contact, person=FamilyMemberFactory(family=own_family).person)
    contacts_overdue_task.delay()
    flagged = Notification.objects.filter(user=mash_manager_user, message__contains=contact.reference)

    def contact_flagged() -> bool:
        contact.refresh_from_db()
        return contact.overdue_flagged_at is not None and flagged.exists()

    wait_for(worker, contact_flagged, "flag the overdue contact")
    assert flagged.count() == 1
