"""Front-door pages: referring, My referrals, the MASH inbox, screening, decisions, allocation and flags."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.services import assessment_submit
from cases.models import Episode, FamilyMember, Task
from referrals.models import Contact, MashDecision
from tests.assessment_fixtures import complete_everything
from tests.factories import (
    AgencyFactory,
    ContactChildFactory,
    ContactFactory,
    EpisodeFactory,
    FamilyMemberFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# Session, user, user and group permissions; the page count, the contacts (team, family and assignee joined),
# their children (one prefetch), the counts (one aggregate). The session is not saved (it was saved at sign-in, less
# than a minute ago). The same at 5 and at 200 contacts.
INBOX_QUERIES = 8


def _contacts(family, count: int, **fields) -> list[Contact]:
    contacts = []
    for _ in range(count):
        contact = ContactFactory(family=family, **fields)
        ContactChildFactory(contact=contact)
        contacts.append(contact)
    return contacts


def _awaiting(family, **fields) -> Contact:
    contact = ContactFactory(family=family, status=Contact.Status.AWAITING_DECISION, rag="amber", **fields)
    child = FamilyMemberFactory(family=family).person
    ContactChildFactory(contact=contact, person=child)
    return contact


@pytest.mark.parametrize("count", [5, 200])
def test_inbox_query_count_is_constant(mash_screener_client, own_family, count, django_assert_num_queries):
    _contacts(own_family, count)
    with django_assert_num_queries(INBOX_QUERIES):
        response = mash_screener_client.get(reverse("referrals:inbox"))
    assert response.status_code == 200
    assert response.context["counts"]["open"] == count


def test_inbox_orders_red_first_then_by_due_time(mash_screener_client, own_family):
    now = timezone.now()
    green = ContactFactory(family=own_family, rag="green", priority=2, due_at=now + timedelta(hours=1))
    late_red = ContactFactory(family=own_family, rag="red", priority=0, due_at=now + timedelta(hours=3))
    early_red = ContactFactory(family=own_family, rag="red", priority=0, due_at=now + timedelta(hours=2))
    unrated = ContactFactory(family=own_family, due_at=now + timedelta(hours=1))
    response = mash_screener_client.get(reverse("referrals:inbox"))
    assert list(response.context["page"].object_list) == [early_red, late_red, unrated, green]


def test_inbox_filters_overdue_red_and_mine(mash_screener_client, mash_screener_user, own_family):
    now = timezone.now()
    overdue = ContactFactory(family=own_family, due_at=now - timedelta(hours=1))
    red = ContactFactory(family=own_family, rag="red", priority=0)
    mine = ContactFactory(family=own_family, assigned_to=mash_screener_user, status=Contact.Status.SCREENING)
    ContactFactory(family=own_family, status=Contact.Status.CLOSED)
    url = reverse("referrals:inbox")
    assert list(mash_screener_client.get(url, {"overdue": "on"}).context["page"].object_list) == [overdue]
    assert list(mash_screener_client.get(url, {"rag": "red"}).context["page"].object_list) == [red]
    assert list(mash_screener_client.get(url, {"mine": "on"}).context["page"].object_list) == [mine]
    assert len(mash_screener_client.get(url).context["page"].object_list) == 3
    page = mash_screener_client.get(url, {"overdue": "on"}).content.decode()
    assert "eh-row--overdue" in page
    assert "Overdue" in page


def test_inbox_shows_an_empty_state(mash_screener_client, lats):
    response = mash_screener_client.get(reverse("referrals:inbox"))
    assert "There are no open contacts" in response.content.decode()


def test_partner_sees_their_referrals_and_outcome_but_not_the_inbox(partner_client, partner_user, granted_family):
    contact = _awaiting(granted_family, referrer_user=partner_user)
    contact.status = Contact.Status.CLOSED
    contact.save()
    MashDecision.objects.create(
        contact=contact,
        level=2,
        outcome=MashDecision.Outcome.NO_FURTHER_ACTION,
        rationale="Internal MASH rationale",
        next_steps="The school will keep an eye on attendance.",
        consent_basis="not_needed",
        decided_by=UserFactory(),
    )
    assert partner_client.get(reverse("referrals:inbox")).status_code == 403
    assert partner_client.get(reverse("referrals:contact_detail", kwargs={"uuid": contact.uuid})).status_code == 403
    listing = partner_client.get(reverse("referrals:mine")).content.decode()
    assert contact.reference in listing
    assert "No further action" in listing
    page = partner_client.get(reverse("referrals:referral_detail", kwargs={"uuid": contact.uuid})).content.decode()
    assert "The school will keep an eye on attendance." in page
    assert "Internal MASH rationale" not in page


def test_my_referrals_empty_state(partner_client):
    assert "You have not referred anyone" in partner_client.get(reverse("referrals:mine")).content.decode()


def test_refer_is_prefilled_from_the_family_and_its_latest_assessment(cfs_worker_client, cfs_worker_user, draft):
    complete_everything(draft, cfs_worker_user)
    assessment_submit(user=cfs_worker_user, assessment=draft)
    family = draft.family
    response = cfs_worker_client.get(reverse("referrals:refer", kwargs={"uuid": family.uuid}))
    form = response.context["form"]
    child = family.members.get(role=FamilyMember.Role.CHILD).person
    assert form.initial["children"] == [child]
    assert form.initial["assessment"] == draft
    assert form.initial["requested_level"] == 3
    assert form.initial["consent_status"] == "given"
    assert form.initial["source"] == "5D"  # the council's own early help


def test_refer_sends_a_referral_to_the_mash(cfs_worker_client, cfs_worker_user, consenting_family):
    child = consenting_family.members.get(role=FamilyMember.Role.CHILD).person
    response = cfs_worker_client.post(
        reverse("referrals:refer", kwargs={"uuid": consenting_family.uuid}),
        {
            "children": [child.pk],
            "concern": "Worries about neglect",
            "source": "5D",
            "family_aware": "yes",
            "consent_status": "given",
        },
        follow=True,
    )
    contact = Contact.objects.get()
    assert contact.referrer_user == cfs_worker_user
    assert list(contact.children.values_list("person", flat=True)) == [child.pk]
    assert f"Referral {contact.reference} sent to the MASH" in response.content.decode()


def test_refer_refuses_no_child_and_no_concern(cfs_worker_client, consenting_family):
    response = cfs_worker_client.post(
        reverse("referrals:refer", kwargs={"uuid": consenting_family.uuid}),
        {"concern": "", "source": "5D", "family_aware": "yes", "consent_status": "refused"},
    )
    page = response.content.decode()
    assert "Choose at least one child the concern is about" in page
    assert "Describe the concern" in page
    assert "Say why consent was refused or not sought" in page
    assert not Contact.objects.exists()


def test_mash_records_a_contact_received_in_the_future_is_refused(mash_screener_client, own_family):
    child = FamilyMemberFactory(family=own_family).person
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = mash_screener_client.post(
        reverse("referrals:contact_new", kwargs={"uuid": own_family.uuid}),
        {
            "children": [child.pk],
            "received_on_0": tomorrow.day,
            "received_on_1": tomorrow.month,
            "received_on_2": tomorrow.year,
            "received_time": "10:00",
            "channel": "phone",
            "referrer_kind": "anonymous",
            "concern": "Shouting heard every night",
            "source": "9",
            "family_aware": "not_known",
            "consent_status": "not_sought",
            "consent_reason": "Anonymous caller",
        },
    )
    assert "The time the contact was received must be now or in the past" in response.content.decode()
    assert not Contact.objects.exists()


def test_contact_page_shows_previous_contacts_and_the_re_referral_flag(mash_screener_client, own_family):
    child = PersonFactory()
    earlier = ContactFactory(family=own_family, received_at=timezone.now() - timedelta(days=100))
    ContactChildFactory(contact=earlier, person=child)
    later = ContactFactory(family=own_family, re_referral=True)
    ContactChildFactory(contact=later, person=child, re_referral=True)
    page = mash_screener_client.get(reverse("referrals:contact_detail", kwargs={"uuid": later.uuid})).content.decode()
    assert earlier.reference in page
    assert "Re-referral" in page


def test_decide_submitted_twice_creates_one_decision_and_one_episode(mash_manager_client, own_family, lats):
    contact = _awaiting(own_family)
    data = {
        "level": 3,
        "outcome": "targeted",
        "local_area_team": lats["tang-hall"].pk,
        "rationale": "Needs across education and health",
        "next_steps": "A worker will call within 5 working days",
        "consent_basis": "held",
    }
    url = reverse("referrals:contact_decide", kwargs={"uuid": contact.uuid})
    first = mash_manager_client.post(url, data, follow=True)
    second = mash_manager_client.post(url, data, follow=True)
    assert "Decision recorded" in first.content.decode()
    assert "cannot be decided now" in second.content.decode()
    assert MashDecision.objects.count() == 1
    assert Episode.objects.filter(contact=contact, status=Episode.Status.REQUESTED).count() == 1


def test_decide_refuses_no_rationale_and_early_help_without_a_team(mash_manager_client, own_family):
    contact = _awaiting(own_family)
    response = mash_manager_client.post(
        reverse("referrals:contact_decide", kwargs={"uuid": contact.uuid}),
        {"level": 3, "outcome": "targeted", "rationale": "", "next_steps": "Call", "consent_basis": "held"},
    )
    page = response.content.decode()
    assert "Give the rationale for the decision" in page
    assert "Choose the Local Area Team that will provide early help" in page
    assert not MashDecision.objects.exists()


def test_screener_cannot_decide(mash_screener_client, own_family):
    contact = _awaiting(own_family)
    url = reverse("referrals:contact_decide", kwargs={"uuid": contact.uuid})
    assert mash_screener_client.get(url).status_code == 403


def test_allocation_queue_lists_requests_and_allocates(lat_manager_client, cfs_worker_user, own_family):
    episode = EpisodeFactory(family=own_family)
    queue = lat_manager_client.get(reverse("cases:allocation_queue")).content.decode()
    assert "Ownteam family" in queue
    response = lat_manager_client.post(
        reverse("cases:episode_allocate", kwargs={"uuid": episode.uuid}), {"worker": cfs_worker_user.pk}, follow=True
    )
    episode.refresh_from_db()
    assert episode.status == Episode.Status.ALLOCATED
    assert episode.lead_practitioner == cfs_worker_user
    page = response.content.decode()
    assert f"Allocated to {cfs_worker_user.full_name}" in page
    assert "There are no requests waiting" in page


def test_allocation_offers_only_the_teams_workers(lat_manager_client, other_lat_user, own_family):
    episode = EpisodeFactory(family=own_family)
    response = lat_manager_client.post(
        reverse("cases:episode_allocate", kwargs={"uuid": episode.uuid}), {"worker": other_lat_user.pk}
    )
    assert "Select a valid choice" in response.content.decode()
    episode.refresh_from_db()
    assert episode.status == Episode.Status.REQUESTED


def test_concern_flag_from_a_third_agency_raises_a_review(cfs_worker_client, cfs_worker_user, own_family):
    child = FamilyMemberFactory(family=own_family).person
    from referrals.services import concern_flag_raise

    for _ in range(2):
        concern_flag_raise(user=UserFactory(agency=AgencyFactory()), person=child, category="attendance")
    today = timezone.localdate()
    response = cfs_worker_client.post(
        reverse("referrals:concern_flag_add", kwargs={"uuid": child.uuid}),
        {"category": "presentation", "raised_on_0": today.day, "raised_on_1": today.month, "raised_on_2": today.year},
        follow=True,
    )
    assert "the Local Area Team will review" in response.content.decode()
    assert Task.objects.filter(family=own_family, team=own_family.local_area_team).count() == 1


def test_a_contact_about_a_restricted_family_alerts_the_mash_managers(
    mash_manager_client, mash_manager_user, lat_manager_user, restricted_family
):
    from cases.services import family_restricted_allow
    from referrals.services import contact_record

    family_restricted_allow(family=restricted_family, user=lat_manager_user)
    child = FamilyMemberFactory(family=restricted_family).person
    contact = contact_record(
        user=lat_manager_user,
        family=restricted_family,
        children=[child],
        concern="Concern",
        source="5D",
        family_aware="yes",
        consent_status="given",
    )
    assert (
        mash_manager_client.get(reverse("referrals:contact_detail", kwargs={"uuid": contact.uuid})).status_code == 404
    )
    alert = mash_manager_user.notifications.get()
    assert contact.reference in alert.message
    assert child.first_name not in alert.message


def test_home_page_shows_the_mash_inbox_and_the_allocation_queue(mash_screener_client, lat_manager_client, own_family):
    ContactFactory(family=own_family, due_at=timezone.now() - timedelta(hours=1))
    EpisodeFactory(family=own_family)
    assert "1 open contact, 1 overdue" in mash_screener_client.get(reverse("core:home")).content.decode()
    assert "1 request for early help waiting" in lat_manager_client.get(reverse("core:home")).content.decode()
