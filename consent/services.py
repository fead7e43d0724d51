"""Writes for consent: take it, answer it, withdraw it, dispense with it, expire it, and log disclosures."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import get_users_with_perms

from cases.models import Family, FamilyMember, TafMember, Task
from cases.services import family_access_grant, family_access_revoke
from consent.models import ConsentRecord, ConsentShare, ConsentSubject, DisclosureLog, PrivacyNotice
from consent.selectors import agency_may_receive, consents_due_for_expiry
from earlyhelp.core import perms
from earlyhelp.core.states import status_move

TASK_DUE_DAYS = 5


class ConsentError(Exception):
    """A consent change or a disclosure the rules refuse; the message says why and what to do."""


def _transition(consent: ConsentRecord, status: str) -> None:
    status_move(consent, status, error=ConsentError, noun="Consent")


def _validate_giver(*, family: Family, given_by, giver_kind: str, competence_judgement: str) -> None:
    member = FamilyMember.objects.filter(family=family, person=given_by).first()
    if member is None:
        raise ValidationError({"given_by": "Choose a member of this family"})
    if giver_kind == ConsentRecord.GiverKind.PARENTAL_RESPONSIBILITY and not member.parental_responsibility:
        raise ValidationError({"given_by": f"{given_by} does not have parental responsibility in this family"})
    if giver_kind == ConsentRecord.GiverKind.COMPETENT_YOUNG_PERSON:
        if member.role != FamilyMember.Role.CHILD:
            raise ValidationError({"giver_kind": f"{given_by} is not a child or young person in this family"})
        if not competence_judgement.strip():
            age = given_by.age
            young = f" {given_by} is {age}." if age is not None and age < 12 else ""
            raise ValidationError(
                {"competence_judgement": f"Record why you judged the young person competent to decide.{young}"}
            )


@transaction.atomic
def consent_take(
    *,
    user,
    family: Family,
    decision: str,
    subjects,
    given_by,
    giver_kind: str,
    method: str,
    review_on,
    privacy_notice: PrivacyNotice | None,
    competence_judgement: str = "",
    engage: bool = False,
    store: bool = False,
    data_matching: bool = False,
    share_agencies=(),
    share_agency_types=(),
    evidence=None,
    obtained_on=None,
) -> ConsentRecord:
    """Record consent that was asked for: given, refused, or awaiting an answer."""
    obtained_on = obtained_on or timezone.localdate()
    if not subjects:
        raise ValidationError({"subjects": "Choose who the consent covers"})
    member_ids = set(family.members.values_list("person_id", flat=True))
    if any(person.pk not in member_ids for person in subjects):
        raise ValidationError({"subjects": "Everyone the consent covers must be a member of this family"})
    _validate_giver(family=family, given_by=given_by, giver_kind=giver_kind, competence_judgement=competence_judgement)
    if decision == ConsentRecord.Status.GIVEN and not (
        engage or store or data_matching or share_agencies or share_agency_types
    ):
        raise ValidationError({"engage": "Choose at least one thing the family agreed to"})
    if review_on <= timezone.localdate():
        raise ValidationError({"review_on": "The review date must be in the future"})
    consent = ConsentRecord(
        family=family,
        given_by=given_by,
        giver_kind=giver_kind,
        competence_judgement=competence_judgement.strip(),
        engage=engage,
        store=store,
        data_matching=data_matching,
        method=method,
        obtained_by=user,
        obtained_on=obtained_on,
        review_on=review_on,
        privacy_notice=privacy_notice,
    )
    if decision != ConsentRecord.Status.REQUESTED:
        _transition(consent, decision)
    if evidence:
        consent.evidence = evidence
    consent.full_clean()
    consent.save()
    for person in subjects:
        ConsentSubject.objects.create(consent=consent, person=person)
    for row in [ConsentShare(consent=consent, agency=a) for a in share_agencies] + [
        ConsentShare(consent=consent, agency_type=t) for t in share_agency_types
    ]:
        row.save()  # one by one, so each share keeps its history row
    return consent


@transaction.atomic
def consent_answer(*, user, consent: ConsentRecord, given: bool) -> ConsentRecord:
    """Record the family's answer to consent that was asked for."""
    status = ConsentRecord.Status.GIVEN if given else ConsentRecord.Status.REFUSED
    if given and not (consent.engage or consent.store or consent.data_matching or consent.shares.exists()):
        raise ConsentError("This consent record has nothing agreed to. Record consent again with what was agreed")
    _transition(consent, status)
    consent.save(update_fields=["status", "updated_at"])
    return consent


def _review_tasks(*, family: Family, consent: ConsentRecord, title: str) -> None:
    due = timezone.localdate() + timedelta(days=TASK_DUE_DAYS)
    Task.objects.create(family=family, title=title, assigned_to=consent.obtained_by, due_on=due)
    Task.objects.create(family=family, title=title, team=family.local_area_team, due_on=due)


def _revoke_uncovered_grants(*, family: Family) -> None:
    """Partner practitioners whose agency the remaining consent does not cover lose their grant, and leave the
    family's Team Around the Family."""
    for user in get_users_with_perms(family, only_with_perms_in=[perms.ACCESS_FAMILY], with_group_users=False):
        if not agency_may_receive(family=family, agency=user.agency).allowed:
            family_access_revoke(family=family, user=user)
            _taf_memberships_end(family=family, user=user)


def _taf_memberships_end(*, family: Family, user) -> None:
    """`user`'s active Team Around the Family memberships for `family` end today: consent no longer covers them."""
    today = timezone.localdate()
    for member in TafMember.objects.select_for_update().filter(
        family=family, user=user, status=TafMember.Status.ACTIVE
    ):
        status_move(member, TafMember.Status.LEFT, error=ConsentError, noun="A team member")
        member.left_on = today
        member.save(update_fields=["status", "left_on", "updated_at"])


@transaction.atomic
def consent_withdraw(*, user, consent: ConsentRecord, reason: str) -> ConsentRecord:
    """Withdraw consent at once: partners outside the remaining scope lose access; reviews are raised."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why consent is being withdrawn"})
    if consent.is_override and not user.has_perm(perms.DISPENSE_CONSENT):
        raise ConsentError("Only a MASH manager or a Local Area Team manager can end a safeguarding override")
    _transition(consent, ConsentRecord.Status.WITHDRAWN)
    consent.ended_on = timezone.localdate()
    consent.ended_reason = reason.strip()
    consent.save(update_fields=["status", "ended_on", "ended_reason", "updated_at"])
    _revoke_uncovered_grants(family=consent.family)
    _review_tasks(family=consent.family, consent=consent, title="Review the plan: consent was withdrawn")
    return consent


@transaction.atomic
def consent_dispense(*, user, family: Family, approver, reason: str, detail: str, review_on, subjects) -> ConsentRecord:
    """Record a safeguarding override: information may be shared without consent until the review date."""
    if not user.has_perm(f"consent.{perms.DISPENSE_CONSENT_CODENAME}"):
        raise ConsentError("Only a MASH manager or a Local Area Team manager can record a safeguarding override")
    if approver == user:
        raise ValidationError({"approver": "Another manager must approve the override"})
    if not approver.has_perm(f"consent.{perms.DISPENSE_CONSENT_CODENAME}"):
        raise ValidationError({"approver": "The approver must be a MASH manager or a Local Area Team manager"})
    if not detail.strip():
        raise ValidationError({"detail": "Describe the risk that means consent is not being sought"})
    if review_on <= timezone.localdate():
        raise ValidationError({"review_on": "The review date must be in the future"})
    if not subjects:
        raise ValidationError({"subjects": "Choose who the override covers"})
    consent = ConsentRecord(
        family=family,
        status=ConsentRecord.Status.DISPENSED,
        override_reason=reason,
        override_detail=detail.strip(),
        approved_by=approver,
        obtained_by=user,
        review_on=review_on,
    )
    consent.full_clean()
    consent.save()
    for person in subjects:
        ConsentSubject.objects.create(consent=consent, person=person)
    return consent


@transaction.atomic
def consents_expire(*, today) -> int:
    """Expire every active consent or override past its review date, and raise review tasks."""
    expired = 0
    for consent in consents_due_for_expiry(today=today).select_for_update(of=("self",)):
        _transition(consent, ConsentRecord.Status.EXPIRED)
        consent.ended_on = today
        consent.save(update_fields=["status", "ended_on", "updated_at"])
        _revoke_uncovered_grants(family=consent.family)
        _review_tasks(family=consent.family, consent=consent, title="Consent has expired: ask the family again")
        expired += 1
    return expired


@transaction.atomic
def disclosure_record(*, user, family: Family, what: str, agency, recipient_user=None) -> DisclosureLog:
    """Check that `agency` may receive the family's information, and log the disclosure; refuse otherwise."""
    decision = agency_may_receive(family=family, agency=agency)
    if not decision.allowed:
        raise ConsentError(decision.message)
    return DisclosureLog.objects.create(
        family=family,
        what=what,
        recipient_agency=agency,
        recipient_user=recipient_user,
        basis=decision.basis,
        consent=decision.consent,
        disclosed_by=user,
    )


@transaction.atomic
def family_share_with_practitioner(*, user, family: Family, practitioner) -> DisclosureLog:
    """Give a practitioner from another agency sight of the family, within consent, and log it."""
    disclosure = disclosure_record(
        user=user,
        family=family,
        what="Access to the family record",
        agency=practitioner.agency,
        recipient_user=practitioner,
    )
    family_access_grant(family=family, user=practitioner)
    return disclosure
