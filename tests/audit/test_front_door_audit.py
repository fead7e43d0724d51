"""The front door's audit trail: who changed a contact (from pages and from Celery), and who read or searched."""

import pytest
from django.urls import reverse

from earlyhelp.audit.models import AccessEvent
from referrals.models import Contact, MashDecision
from tests.factories import ContactChildFactory, ContactFactory, FamilyMemberFactory

pytestmark = pytest.mark.django_db


def _awaiting(family) -> Contact:
    contact = ContactFactory(family=family, status=Contact.Status.AWAITING_DECISION, rag="amber")
    ContactChildFactory(contact=contact, person=FamilyMemberFactory(family=family).person)
    return contact


def test_contact_and_referral_pages_leave_access_events(
    mash_screener_client, mash_screener_user, partner_client, partner_user, granted_family
):
    contact = ContactFactory(family=granted_family, referrer_user=partner_user)
    mash_screener_client.get(reverse("referrals:contact_detail", kwargs={"uuid": contact.uuid}))
    partner_client.get(reverse("referrals:referral_detail", kwargs={"uuid": contact.uuid}))
    events = AccessEvent.objects.order_by("id").values_list("user", "action", "object_type", "object_uuid")
    assert list(events) == [
        (mash_screener_user.pk, "view", "referrals.contact", contact.uuid),
        (partner_user.pk, "view", "referrals.contact", contact.uuid),
    ]


def test_front_door_check_for_a_record_leaves_a_search_event(mash_screener_client, mash_screener_user, lats):
    mash_screener_client.post(
        reverse("referrals:contact_find"),
        {
            "first_name": "Ada",
            "last_name": "Lane",
            "date_of_birth_0": "2",
            "date_of_birth_1": "3",
            "date_of_birth_2": "2018",
        },
    )
    event = AccessEvent.objects.get()
    assert (event.user, event.action) == (mash_screener_user, "search")
    assert "Ada Lane" in event.detail and "2018-03-02" in event.detail


def test_refused_contact_page_leaves_no_access_event(partner_client, own_family):
    contact = ContactFactory(family=own_family)
    assert partner_client.get(reverse("referrals:contact_detail", kwargs={"uuid": contact.uuid})).status_code == 403
    assert not AccessEvent.objects.exists()


def test_rating_through_the_page_records_who_changed_the_contact(mash_screener_client, mash_screener_user, own_family):
    contact = ContactFactory(family=own_family)
    mash_screener_client.post(reverse("referrals:contact_rate", kwargs={"uuid": contact.uuid}), {"rag": "red"})
    latest = contact.history.latest()
    assert (latest.rag, latest.history_user) == ("red", mash_screener_user)


def test_decision_through_the_page_and_feedback_from_celery_record_their_authors(
    mash_manager_client, mash_manager_user, own_family, lats, django_capture_on_commit_callbacks
):
    contact = _awaiting(own_family)
    with django_capture_on_commit_callbacks(execute=True):
        mash_manager_client.post(
            reverse("referrals:contact_decide", kwargs={"uuid": contact.uuid}),
            {
                "level": 3,
                "outcome": "targeted",
                "local_area_team": lats["tang-hall"].pk,
                "rationale": "Needs across education and health",
                "next_steps": "A worker will call",
                "consent_basis": "held",
            },
        )
    decision = MashDecision.objects.get()
    created, told = decision.history.order_by("history_id")
    assert created.history_user == mash_manager_user
    assert told.referrer_told_at is not None
    assert told.history_user.email.startswith("mash-feedback@")  # the feedback task acts as its service account
    assert contact.episodes.get().history.get().history_user == mash_manager_user
