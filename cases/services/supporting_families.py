"""Writes for the Supporting Families programme: registering a family, its needs and their outcomes, the claim's
progress along its state machine, and the daily sweep that starts and ends the six months of sustainment."""

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.models.supporting_families import SupportingFamiliesNeed, SupportingFamiliesRegistration
from cases.selectors import supporting_families as selectors
from cases.selectors.episodes import add_months, episode_open_for
from earlyhelp.accounts.models import Notification
from earlyhelp.accounts.services import notify
from earlyhelp.audit.context import acting_as
from earlyhelp.core.perms import MANAGE_SUPPORTING_FAMILIES
from earlyhelp.core.states import status_move

Registration = SupportingFamiliesRegistration
Status = Registration.Status
ALREADY_REGISTERED = "This family already has an open Supporting Families registration"
SUSTAIN_CHECK_MESSAGE = "Supporting Families: six months have passed since family {reference}'s early help closed"


class SupportingFamiliesError(Exception):
    """A change to a registration that the programme's rules refuse; the message is shown to the user."""


def _choices_check(*, family, lead_practitioner, assessment, plan) -> None:
    errors = {}
    if (
        lead_practitioner is not None
        and not selectors.lead_practitioner_choices(family=family).filter(pk=lead_practitioner.pk).exists()
    ):
        errors["lead_practitioner"] = "Choose someone who leads or works with this family"
    if assessment is not None and not selectors.assessment_choices(family=family).filter(pk=assessment.pk).exists():
        errors["assessment"] = "Choose an authorised assessment of this family"
    if plan is not None and not selectors.plan_choices(family=family).filter(pk=plan.pk).exists():
        errors["plan"] = "Choose an agreed plan of this family"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def registration_create(*, user, family, lead_practitioner=None, assessment=None, plan=None) -> Registration:
    """Register a family with the programme; its episode is the plan's, or the family's open one."""
    if selectors.registration_open_for(family=family) is not None:
        raise SupportingFamiliesError(ALREADY_REGISTERED)
    _choices_check(family=family, lead_practitioner=lead_practitioner, assessment=assessment, plan=plan)
    registration = Registration(
        family=family,
        episode=plan.episode if plan else episode_open_for(family=family),
        lead_practitioner=lead_practitioner,
        assessment=assessment,
        plan=plan,
        registered_by=user,
    )
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError:  # someone registered the family at the same moment
        raise SupportingFamiliesError(ALREADY_REGISTERED) from None
    return registration


@transaction.atomic
def registration_details_change(*, user, registration: Registration, lead_practitioner, assessment, plan):
    """Change who leads and which assessment and plan the registration rests on, until the family's work is under
    way (after that the claim rests on them)."""
    registration = _locked(registration)
    if registration.status not in (Status.IDENTIFIED, Status.ELIGIBLE):
        raise SupportingFamiliesError(
            f"The registration is {registration.get_status_display().lower()}, so its lead practitioner, "
            "assessment and plan can no longer change"
        )
    family = registration.family
    _choices_check(family=family, lead_practitioner=lead_practitioner, assessment=assessment, plan=plan)
    registration.lead_practitioner = lead_practitioner
    registration.assessment = assessment
    registration.plan = plan
    registration.episode = plan.episode if plan else registration.episode or episode_open_for(family=family)
    if registration.status == Status.ELIGIBLE and selectors.eligibility_problems(registration, _needs(registration)):
        status_move(registration, Status.IDENTIFIED, error=SupportingFamiliesError, noun="A registration")
    registration.save()
    return registration


def _authored_by(user) -> AbstractContextManager:
    """History rows name `user` when no request or task already names who is acting: validation reads from the
    history who marked the claim ready and who recorded that outcomes lasted."""
    if getattr(HistoricalRecords.context, "request", None) is not None:
        return nullcontext()
    return acting_as(user)


def _locked(registration: Registration) -> Registration:
    """The registration row, locked for this transaction, so two people cannot move it at once."""
    return (
        Registration.objects.select_for_update(of=("self",)).select_related("family", "episode").get(pk=registration.pk)
    )


def _needs(registration: Registration) -> list[SupportingFamiliesNeed]:
    return list(registration.needs.all())


def _refuse_if_locked(registration: Registration) -> None:
    if registration.status in selectors.LOCKED:
        raise SupportingFamiliesError(
            f"The registration is {registration.get_status_display().lower()}, so its needs can no longer change"
        )


@transaction.atomic
def need_add(*, user, registration: Registration, headline: str, evidence: str) -> SupportingFamiliesNeed:
    """Record a need under one of the ten headlines, with what shows the family has it."""
    registration = _locked(registration)
    _refuse_if_locked(registration)
    need = SupportingFamiliesNeed(registration=registration, headline=headline, evidence=evidence, recorded_by=user)
    need.full_clean()  # the headline once per registration, a known headline, some evidence
    need.save()
    return need


@transaction.atomic
def need_outcome_record(
    *,
    user,
    need: SupportingFamiliesNeed,
    achieved_on: date | None,
    outcome_evidence: str,
    sustained: bool | None = None,
    sustained_checked_on: date | None = None,
) -> SupportingFamiliesNeed:
    """Record when a need was resolved and, after closure, whether that lasted (the officer only) and when it was
    checked."""
    registration = _locked(need.registration)
    _refuse_if_locked(registration)
    today = timezone.localdate()
    changes_sustainment = (sustained, sustained_checked_on) != (need.sustained, need.sustained_checked_on)
    errors = {}
    if achieved_on is not None and achieved_on > today:
        errors["achieved_on"] = "The date the need was resolved must be today or in the past"
    if changes_sustainment and not user.has_perm(MANAGE_SUPPORTING_FAMILIES):
        raise SupportingFamiliesError("Only the Supporting Families officer records whether an outcome lasted")
    if sustained is not None:
        errors |= _sustainment_errors(registration, achieved_on, sustained, sustained_checked_on, today)
    elif sustained_checked_on is not None:
        errors["sustained"] = "Say whether the outcome lasted"
    if errors:
        raise ValidationError(errors)
    need.achieved_on = achieved_on
    need.outcome_evidence = outcome_evidence
    need.sustained = sustained
    need.sustained_checked_on = sustained_checked_on if sustained is not None else None
    with _authored_by(user):
        need.save()
    return need


def _sustainment_errors(registration, achieved_on, sustained, checked_on, today) -> dict:
    if registration.status not in selectors.AFTER_CLOSURE:
        return {"sustained": "Record whether the outcome lasted only after the family's early help has closed"}
    if sustained and achieved_on is None:
        return {"achieved_on": "Enter when the need was resolved before recording that it lasted"}
    if checked_on is None:
        return {"sustained_checked_on": "Enter the date the outcome was checked"}
    if checked_on > today:
        return {"sustained_checked_on": "The date the outcome was checked must be today or in the past"}
    return {}


@transaction.atomic
def registration_move(*, user, registration: Registration, status: str, claim_reference: str = "") -> Registration:
    """Move a registration along the programme's state machine, refusing with the reason when its rules are not
    met; closing (once the episode has ended) starts the six months of sustainment from the episode's end, a claim
    needs the family's consent to data matching, validating a second person, claiming a reference."""
    registration = _locked(registration)
    today = timezone.localdate()
    refusal = _move_refusal(user=user, registration=registration, status=status, claim_reference=claim_reference)
    if refusal:
        raise SupportingFamiliesError(refusal)
    status_move(registration, status, error=SupportingFamiliesError, noun="A registration")
    if status == Status.CLOSED:
        registration.closed_on = selectors.episode_ended_on(registration.episode)
        registration.sustain_until = add_months(registration.closed_on, Registration.SUSTAIN_MONTHS)
    elif status == Status.VALIDATED:
        registration.validated_by, registration.validated_on = user, today
    elif status == Status.CLAIMED:
        registration.claim_reference, registration.claimed_on = claim_reference.strip(), today
    with _authored_by(user):
        registration.save()
    return registration


CONSENT_NEEDED = (Status.CLAIM_READY, Status.VALIDATED, Status.CLAIMED)


def _move_refusal(*, user, registration: Registration, status: str, claim_reference: str) -> str:
    """Why the programme's rules refuse this move; empty when they allow it (the state machine is checked after)."""
    if status not in Registration.TRANSITIONS.get(registration.status, set()):
        return ""  # status_move says why
    if status in CONSENT_NEEDED and selectors.data_matching_consent(family=registration.family) is None:
        return selectors.DATA_MATCHING_MISSING
    if status == Status.ELIGIBLE:
        problems = selectors.eligibility_problems(registration, _needs(registration))
        return f"The family is not eligible yet. {'. '.join(problems)}" if problems else ""
    if status == Status.WORKING:
        return selectors.working_problem(registration)
    if status == Status.CLOSED:
        return selectors.closed_problem(registration)
    if status == Status.CLAIM_READY:
        problems = selectors.claim_ready_problems(registration, _needs(registration))
        return f"The claim is not ready. {'. '.join(problems)}" if problems else ""
    if status == Status.NOT_ACHIEVED:
        return selectors.not_achieved_problem(_needs(registration))
    if status == Status.VALIDATED:
        return selectors.validation_problem(registration, user=user)
    if status == Status.CLAIMED and not claim_reference.strip():
        return "Enter the claim reference"
    return ""


# --- The daily sweep ---------------------------------------------------------------------------------------------


@dataclass
class SustainSweep:
    started: int = 0  # closed registrations now sustaining
    due: int = 0  # sustaining registrations whose six months have run out, the officers told (once each)

    def as_dict(self) -> dict:
        return {"started": self.started, "due": self.due}


@transaction.atomic
def registrations_sustain_sweep(*, today: date) -> SustainSweep:
    """Daily: closed registrations start sustaining; when a registration's six months after closure have run out,
    the Supporting Families officers are told once to check its outcomes lasted. Safe to run twice."""
    result = SustainSweep()
    for registration in selectors.registrations_closed().select_for_update():
        status_move(registration, Status.SUSTAINING, error=SupportingFamiliesError, noun="A registration")
        registration.save(update_fields=["status", "updated_at"])
        result.started += 1
    officers = list(selectors.sf_officers())
    for registration in selectors.registrations_sustain_due(today=today):
        url = reverse("cases:sf_detail", kwargs={"uuid": registration.uuid})
        if Notification.objects.filter(url=url, message__startswith=SUSTAIN_CHECK_MESSAGE[:40]).exists():
            continue
        # The family's reference only: the message goes to every officer, whatever they may see.
        message = SUSTAIN_CHECK_MESSAGE.format(reference=registration.family.reference) + ": check the outcomes lasted"
        for officer in officers:
            notify(user=officer, message=message, url=url)
        result.due += 1
    return result
