from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cases.models import FamilyMember, TafMember, Task
from cases.selectors import families_visible_to
from consent.models import ConsentRecord, DisclosureLog
from consent.selectors import agency_may_receive
from consent.services import (
    ConsentError,
    _transition,
    consent_answer,
    consent_dispense,
    consent_take,
    consent_withdraw,
    consents_expire,
    disclosure_record,
    family_share_with_practitioner,
)
from consent.tasks import consents_expire_task
from tests.factories import (
    AgencyFactory,
    AllocatedEpisodeFactory,
    ConsentRecordFactory,
    FamilyMemberFactory,
    PersonFactory,
    TafMemberFactory,
)

pytestmark = pytest.mark.django_db

Status = ConsentRecord.Status
ALLOWED = {
    (Status.REQUESTED, Status.GIVEN),
    (Status.REQUESTED, Status.REFUSED),
    (Status.GIVEN, Status.WITHDRAWN),
    (Status.GIVEN, Status.EXPIRED),
    (Status.DISPENSED, Status.WITHDRAWN),
    (Status.DISPENSED, Status.EXPIRED),
}


@pytest.mark.parametrize("start", Status.values)
@pytest.mark.parametrize("end", Status.values)
def test_consent_state_machine_allows_only_the_listed_transitions(start, end):
    consent = ConsentRecord(status=start)
    if (start, end) in ALLOWED:
        _transition(consent, end)
        assert consent.status == end
    else:
        with pytest.raises(ConsentError, match="cannot become"):
            _transition(consent, end)


@pytest.fixture
def household(own_family):
    parent = FamilyMemberFactory(
        family=own_family,
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
        person=PersonFactory(date_of_birth=date(1988, 6, 1)),
    ).person
    child = FamilyMemberFactory(family=own_family, person=PersonFactory(date_of_birth=date(2016, 5, 1))).person
    young = FamilyMemberFactory(
        family=own_family, person=PersonFactory(date_of_birth=timezone.localdate() - timedelta(days=10 * 365))
    ).person
    return own_family, parent, child, young


def _take(user, family, **overrides):
    fields = {
        "decision": Status.GIVEN,
        "subjects": list(family.members.values_list("person", flat=True)),
        "giver_kind": ConsentRecord.GiverKind.PARENTAL_RESPONSIBILITY,
        "method": ConsentRecord.Method.WRITTEN,
        "review_on": timezone.localdate() + timedelta(days=365),
        "privacy_notice": None,
        "engage": True,
    } | overrides
    from cases.models import Person

    fields["subjects"] = list(Person.objects.filter(pk__in=fields["subjects"]))
    return consent_take(user=user, family=family, **fields)


def test_consent_take_records_giver_subjects_and_scopes(household, cfs_worker_user):
    family, parent, _, _ = household
    school = AgencyFactory(name="Consent Test School", type="school")
    consent = _take(cfs_worker_user, family, given_by=parent, share_agencies=[school], share_agency_types=["health"])
    assert consent.status == Status.GIVEN
    assert consent.subjects.count() == 3
    assert {(s.agency_id, s.agency_type) for s in consent.shares.all()} == {(school.pk, ""), (None, "health")}
    assert consent.history.count() == 1


def test_consent_take_refuses_a_giver_without_parental_responsibility(household, cfs_worker_user):
    family, _, child, _ = household
    with pytest.raises(ValidationError, match="does not have parental responsibility"):
        _take(cfs_worker_user, family, given_by=child)


def test_consent_take_by_a_young_person_under_12_asks_for_the_judgement(household, cfs_worker_user):
    family, _, _, young = household
    with pytest.raises(ValidationError, match="Record why you judged the young person competent") as error:
        _take(cfs_worker_user, family, given_by=young, giver_kind=ConsentRecord.GiverKind.COMPETENT_YOUNG_PERSON)
    assert f"{young} is 9" in str(error.value) or f"{young} is 10" in str(error.value)
    consent = _take(
        cfs_worker_user,
        family,
        given_by=young,
        giver_kind=ConsentRecord.GiverKind.COMPETENT_YOUNG_PERSON,
        competence_judgement="Understood what sharing means and explained it back in her own words.",
    )
    assert consent.giver_kind == ConsentRecord.GiverKind.COMPETENT_YOUNG_PERSON


def test_consent_take_given_needs_at_least_one_scope_and_a_future_review(household, cfs_worker_user):
    family, parent, _, _ = household
    with pytest.raises(ValidationError, match="at least one thing"):
        _take(cfs_worker_user, family, given_by=parent, engage=False)
    with pytest.raises(ValidationError, match="must be in the future"):
        _take(cfs_worker_user, family, given_by=parent, review_on=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError, match="Choose who the consent covers"):
        _take(cfs_worker_user, family, given_by=parent, subjects=[])


def test_partner_grant_is_usable_only_within_consent(household, cfs_worker_user, partner_user):
    family, parent, _, _ = household
    from cases.services import family_access_grant

    family_access_grant(family=family, user=partner_user)
    assert families_visible_to(partner_user).filter(pk=family.pk).exists(), "usable while consent is sought"
    refused = _take(cfs_worker_user, family, given_by=parent, decision=Status.REFUSED, engage=False)
    assert not families_visible_to(partner_user).filter(pk=family.pk).exists()
    assert refused.status == Status.REFUSED
    _take(cfs_worker_user, family, given_by=parent, share_agency_types=["health"])
    assert not families_visible_to(partner_user).filter(pk=family.pk).exists(), "a school is not health"
    _take(cfs_worker_user, family, given_by=parent, share_agency_types=["school"])
    assert families_visible_to(partner_user).filter(pk=family.pk).exists()


def test_consent_withdraw_revokes_partner_access_and_raises_review_tasks(household, cfs_worker_user, partner_user):
    family, parent, _, _ = household
    consent = _take(cfs_worker_user, family, given_by=parent, share_agency_types=["school"])
    family_share_with_practitioner(user=cfs_worker_user, family=family, practitioner=partner_user)
    assert families_visible_to(partner_user).filter(pk=family.pk).exists()
    with pytest.raises(ValidationError, match="Say why consent is being withdrawn"):
        consent_withdraw(user=cfs_worker_user, consent=consent, reason=" ")
    consent_withdraw(user=cfs_worker_user, consent=consent, reason="Mum no longer wants school involved")
    assert not families_visible_to(partner_user).filter(pk=family.pk).exists()
    assert not partner_user.has_perm("cases.access_family", family)
    tasks = Task.objects.filter(family=family, title__startswith="Review the plan")
    assert {(t.assigned_to_id, t.team_id) for t in tasks} == {
        (cfs_worker_user.pk, None),
        (None, family.local_area_team_id),
    }


def test_consent_withdraw_ends_the_team_memberships_whose_grant_it_removes(household, cfs_worker_user, partner_user):
    family, parent, _, _ = household
    consent = _take(cfs_worker_user, family, given_by=parent, share_agency_types=["school"])
    episode = AllocatedEpisodeFactory(family=family)
    family_share_with_practitioner(user=cfs_worker_user, family=family, practitioner=partner_user)
    member = TafMemberFactory(episode=episode, family=family, user=partner_user)
    colleague = TafMemberFactory(episode=episode, family=family, user=cfs_worker_user)
    consent_withdraw(user=cfs_worker_user, consent=consent, reason="Mum no longer wants school involved")
    member.refresh_from_db()
    colleague.refresh_from_db()
    assert (member.status, member.left_on) == (TafMember.Status.LEFT, timezone.localdate())
    assert colleague.status == TafMember.Status.ACTIVE, "a Local Area Team worker holds no partner grant"


def test_consents_expire_ends_the_team_memberships_whose_grant_it_removes(household, cfs_worker_user, partner_user):
    family, parent, _, _ = household
    consent = _take(cfs_worker_user, family, given_by=parent, share_agency_types=["school"])
    family_share_with_practitioner(user=cfs_worker_user, family=family, practitioner=partner_user)
    member = TafMemberFactory(episode=AllocatedEpisodeFactory(family=family), family=family, user=partner_user)
    consents_expire(today=consent.review_on + timedelta(days=1))
    member.refresh_from_db()
    assert member.status == TafMember.Status.LEFT
    assert not partner_user.has_perm("cases.access_family", family)


def test_consent_answer_moves_a_requested_consent_on(household, cfs_worker_user):
    family, parent, _, _ = household
    consent = _take(cfs_worker_user, family, given_by=parent, decision=Status.REQUESTED)
    consent_answer(user=cfs_worker_user, consent=consent, given=True)
    assert consent.status == Status.GIVEN
    with pytest.raises(ConsentError):
        consent_answer(user=cfs_worker_user, consent=consent, given=False)


def test_disclosure_to_an_agency_outside_consent_is_refused_with_the_reason(household, cfs_worker_user):
    family, parent, _, _ = household
    police = AgencyFactory(name="Consent Test Police", type="police")
    _take(cfs_worker_user, family, given_by=parent, share_agency_types=["school"])
    with pytest.raises(ConsentError, match="has not agreed to share its information with Consent Test Police"):
        disclosure_record(user=cfs_worker_user, family=family, what="A PDF of the plan", agency=police)
    assert not DisclosureLog.objects.exists()


def test_disclosure_within_consent_is_logged_with_its_basis(household, cfs_worker_user):
    family, parent, _, _ = household
    school = AgencyFactory(name="Consent Test School 2", type="school")
    consent = _take(cfs_worker_user, family, given_by=parent, share_agencies=[school])
    log = disclosure_record(user=cfs_worker_user, family=family, what="A PDF of the plan", agency=school)
    assert (log.basis, log.consent, log.disclosed_by, log.recipient_agency) == (
        "consent",
        consent,
        cfs_worker_user,
        school,
    )


def test_consent_dispense_needs_a_manager_another_approver_and_a_reason(
    household, cfs_worker_user, lat_manager_user, second_manager_user
):
    family, _, child, _ = household
    fields = {
        "family": family,
        "approver": second_manager_user,
        "reason": "significant_harm",
        "review_on": timezone.localdate() + timedelta(days=28),
        "subjects": [child],
    }
    with pytest.raises(ConsentError, match="Only a MASH manager or a Local Area Team manager"):
        consent_dispense(user=cfs_worker_user, detail="Risk", **fields)
    with pytest.raises(ValidationError, match="The approver must be"):
        consent_dispense(user=lat_manager_user, detail="Risk", **(fields | {"approver": cfs_worker_user}))
    with pytest.raises(ValidationError, match="Another manager must approve"):
        consent_dispense(user=lat_manager_user, detail="Risk", **(fields | {"approver": lat_manager_user}))
    with pytest.raises(ValidationError, match="Describe the risk"):
        consent_dispense(user=lat_manager_user, detail="  ", **fields)
    override = consent_dispense(user=lat_manager_user, detail="Disclosure by the child at school", **fields)
    police = AgencyFactory(name="Override Police", type="police")
    decision = agency_may_receive(family=family, agency=police)
    assert decision.allowed and decision.consent == override and decision.basis == "override"
    log = disclosure_record(user=lat_manager_user, family=family, what="Strategy discussion notes", agency=police)
    assert log.basis == DisclosureLog.Basis.OVERRIDE


def test_consents_expire_task_expires_past_review_dates_when_time_moves_on(
    household, cfs_worker_user, partner_user, monkeypatch
):
    family, parent, _, _ = household
    consent = _take(cfs_worker_user, family, given_by=parent, share_agency_types=["school"])
    family_share_with_practitioner(user=cfs_worker_user, family=family, practitioner=partner_user)
    assert consents_expire_task.delay().get() == 0
    later = consent.review_on + timedelta(days=1)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: later)
    assert consents_expire_task.delay().get() == 1
    consent.refresh_from_db()
    assert (consent.status, consent.ended_on) == (Status.EXPIRED, later)
    assert consent.history.first().history_user.email.startswith("consent-expiry@")
    assert not families_visible_to(partner_user).filter(pk=family.pk).exists()
    assert Task.objects.filter(family=family, title__startswith="Consent has expired").count() == 2
    assert consents_expire_task.delay().get() == 0, "running again the same day changes nothing"


def test_factory_consent_is_only_requested_so_it_changes_no_access(own_family, granted_family, partner_user):
    ConsentRecordFactory(family=granted_family)
    assert families_visible_to(partner_user).filter(pk=granted_family.pk).exists()


def test_a_partner_with_no_agency_recorded_is_not_covered_by_consent_to_agency_types(household, cfs_worker_user):
    from cases.services import family_access_grant
    from tests.factories import UserFactory

    family, parent, _, _ = household
    nobody = UserFactory(agency=None)
    nobody.groups.add(*partner_groups())
    family_access_grant(family=family, user=nobody)
    _take(cfs_worker_user, family, given_by=parent, share_agency_types=["school"])
    assert not families_visible_to(nobody).filter(pk=family.pk).exists()


def partner_groups():
    from django.contrib.auth.models import Group

    from earlyhelp.core import perms

    return Group.objects.filter(name=perms.ROLES[perms.PARTNER_PRACTITIONER].name)
