"""Front-door rules about restricted records, consent bases, open cases and disclosures."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import Episode, FamilyMember, Task
from consent.models import DisclosureLog
from referrals import selectors, services
from referrals.models import Contact, MashDecision
from tests.factories import (
    AgencyFactory,
    ConsentRecordFactory,
    ContactChildFactory,
    ContactFactory,
    EpisodeFactory,
    FamilyMemberFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _awaiting(family, child, **fields) -> Contact:
    contact = ContactFactory(family=family, status=Contact.Status.AWAITING_DECISION, rag="amber", **fields)
    ContactChildFactory(contact=contact, person=child)
    return contact


def _decide(user, contact, outcome, **fields):
    values = {
        "level": 3,
        "rationale": "Reasons",
        "next_steps": "Next steps",
        "consent_basis": MashDecision.ConsentBasis.HELD,
    } | fields
    return services.contact_decide(user=user, contact=contact, outcome=outcome, **values)


@pytest.fixture
def child_in_both(own_family, restricted_family):
    """A child in an ordinary family and in a restricted one (say, separated parents, one on the staff)."""
    child = PersonFactory(first_name="Robin", last_name="Both")
    FamilyMemberFactory(family=own_family, person=child)
    FamilyMemberFactory(family=restricted_family, person=child)
    return child


def test_contacts_previous_leaves_out_contacts_about_restricted_families(
    own_family, restricted_family, child_in_both, mash_screener_user
):
    hidden = ContactFactory(family=restricted_family, received_at=timezone.now() - timedelta(days=30))
    ContactChildFactory(contact=hidden, person=child_in_both)
    contact = ContactFactory(family=own_family)
    ContactChildFactory(contact=contact, person=child_in_both)
    assert selectors.contacts_previous(user=mash_screener_user, contact=contact) == []


def test_front_door_matches_never_offers_a_child_known_only_in_a_restricted_family(restricted_family):
    hidden = PersonFactory(first_name="Sky", last_name="Hidden")
    FamilyMemberFactory(family=restricted_family, person=hidden)
    found = selectors.front_door_matches(first_name="Sky", last_name="Hidden", date_of_birth=hidden.date_of_birth)
    assert list(found) == []


def test_front_door_matches_offers_only_the_unrestricted_family(own_family, child_in_both):
    found = list(
        selectors.front_door_matches(first_name="Robin", last_name="Both", date_of_birth=child_in_both.date_of_birth)
    )
    assert found == [child_in_both]
    assert [m.family for m in found[0].open_memberships] == [own_family]


def test_a_second_contact_about_a_child_outside_york_reuses_their_record(lats, mash_screener_user):
    fields = {
        "family_name": "Away",
        "address_line_1": "1 Far Street",
        "postcode": "LS1 4AP",
        "concern": "Concern",
        "source": "1D",
        "family_aware": "no",
        "consent_status": "not_sought",
        "consent_reason": "Member of the public",
        "referrer_kind": Contact.ReferrerKind.ANONYMOUS,
    }
    born = timezone.localdate() - timedelta(days=3000)
    child = {"first_name": "Ari", "last_name": "Away", "date_of_birth": born}
    first = services.contact_record_new_family(user=mash_screener_user, new_children=[child], **fields)
    second = services.contact_record_new_family(user=mash_screener_user, new_children=[child], **fields)
    assert first.children.get().person == second.children.get().person
    assert second.re_referral is True


def test_consent_held_is_refused_when_only_a_safeguarding_override_is_in_force(own_family, mash_manager_user):
    child = FamilyMemberFactory(family=own_family).person
    ConsentRecordFactory(family=own_family, status="dispensed", override_reason="significant_harm")
    contact = _awaiting(own_family, child, consent_status=Contact.ConsentStatus.REFUSED, consent_reason="Said no")
    with pytest.raises(ValidationError) as error:
        _decide(mash_manager_user, contact, MashDecision.Outcome.SOCIAL_CARE)
    assert "consent_basis" in error.value.error_dict


def test_a_step_up_is_logged_as_a_disclosure(own_family, mash_manager_user):
    child = FamilyMemberFactory(family=own_family).person
    consent = ConsentRecordFactory(family=own_family, status="given")
    contact = _awaiting(own_family, child)
    _decide(mash_manager_user, contact, MashDecision.Outcome.STRATEGY)
    log = DisclosureLog.objects.get(what__startswith="Step-up")
    assert (log.family, log.basis, log.consent) == (own_family, DisclosureLog.Basis.CONSENT, consent)


def test_early_help_is_refused_while_the_family_already_has_open_early_help(own_family, lats, mash_manager_user):
    EpisodeFactory(family=own_family, status=Episode.Status.ALLOCATED)
    contact = _awaiting(own_family, FamilyMemberFactory(family=own_family).person)
    with pytest.raises(ValidationError, match="pass to open case"):
        _decide(mash_manager_user, contact, MashDecision.Outcome.TARGETED, local_area_team=lats["tang-hall"])
    assert Episode.objects.count() == 1


def test_pass_to_open_case_tells_the_lead_practitioner(own_family, cfs_worker_user, mash_manager_user):
    EpisodeFactory(family=own_family, status=Episode.Status.ALLOCATED, lead_practitioner=cfs_worker_user)
    contact = _awaiting(own_family, FamilyMemberFactory(family=own_family).person)
    _decide(mash_manager_user, contact, MashDecision.Outcome.OPEN_CASE)
    contact.refresh_from_db()
    assert contact.status == Contact.Status.CLOSED
    assert contact.reference in cfs_worker_user.notifications.get().message


def test_pass_to_open_case_is_refused_with_no_open_case(own_family, mash_manager_user):
    contact = _awaiting(own_family, FamilyMemberFactory(family=own_family).person)
    with pytest.raises(ValidationError, match="no open case"):
        _decide(mash_manager_user, contact, MashDecision.Outcome.OPEN_CASE)


def test_early_help_for_a_restricted_family_tells_the_team_managers_it_is_restricted(
    restricted_family, lats, lat_manager_user, mash_manager_user
):
    from cases.services import family_restricted_allow

    family_restricted_allow(family=restricted_family, user=mash_manager_user)
    contact = _awaiting(restricted_family, FamilyMemberFactory(family=restricted_family).person)
    _decide(mash_manager_user, contact, MashDecision.Outcome.TARGETED, local_area_team=lats["tang-hall"])
    assert "restricted record" in lat_manager_user.notifications.get().message


def test_a_flag_review_goes_to_the_childs_unrestricted_family(own_family, restricted_family, lats):
    child = PersonFactory()
    FamilyMemberFactory(family=restricted_family, person=child, role=FamilyMember.Role.CHILD)
    FamilyMemberFactory(family=own_family, person=child, role=FamilyMember.Role.CHILD)
    for _ in range(3):
        services.concern_flag_raise(user=UserFactory(agency=AgencyFactory()), person=child, category="attendance")
    assert Task.objects.get().family == own_family


def test_a_duplicate_cannot_point_at_a_contact_the_screener_cannot_see(
    restricted_family, own_family, child_in_both, mash_screener_user
):
    hidden = ContactFactory(family=restricted_family)
    ContactChildFactory(contact=hidden, person=child_in_both)
    contact = ContactFactory(family=own_family)
    ContactChildFactory(contact=contact, person=child_in_both)
    with pytest.raises(ValidationError, match="No contact has this reference"):
        services.contact_mark_duplicate(
            user=mash_screener_user, contact=contact, original_reference=hidden.reference, reason="Same"
        )


def test_feedback_is_not_requeued_after_a_week(own_family, mash_manager_user):
    contact = _awaiting(own_family, FamilyMemberFactory(family=own_family).person)
    decision = _decide(
        mash_manager_user,
        contact,
        MashDecision.Outcome.NO_FURTHER_ACTION,
        consent_basis=MashDecision.ConsentBasis.NOT_NEEDED,
    )
    MashDecision.objects.filter(pk=decision.pk).update(
        referrer_told_at=None, decided_at=timezone.now() - timedelta(days=8)
    )
    assert not selectors.decisions_awaiting_feedback(older_than=timezone.now()).exists()


def test_the_mash_records_telling_the_referrer_itself(own_family, mash_manager_user, mash_screener_client):
    from django.urls import reverse

    contact = _awaiting(own_family, FamilyMemberFactory(family=own_family).person)
    decision = _decide(
        mash_manager_user,
        contact,
        MashDecision.Outcome.NO_FURTHER_ACTION,
        consent_basis=MashDecision.ConsentBasis.NOT_NEEDED,
    )
    MashDecision.objects.filter(pk=decision.pk).update(referrer_told_at=None)
    url = reverse("referrals:referrer_told", kwargs={"uuid": contact.uuid})
    first = mash_screener_client.post(url, follow=True)
    second = mash_screener_client.post(url, follow=True)
    assert "Recorded that the referrer has been told" in first.content.decode()
    assert "already told" in second.content.decode()
    decision.refresh_from_db()
    assert decision.referrer_told_at is not None


def test_the_database_allows_one_open_episode_per_family(own_family):
    from django.db import IntegrityError, transaction

    EpisodeFactory(family=own_family, status=Episode.Status.ALLOCATED)
    EpisodeFactory(family=own_family, status=Episode.Status.CLOSED)  # closed ones do not count
    with pytest.raises(IntegrityError), transaction.atomic():
        EpisodeFactory(family=own_family)
