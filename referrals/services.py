"""Writes for the front door: record, screen, rate and decide contacts; tell the referrer; flag concerns."""

import logging
import secrets
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import Episode, Family, Person, Task, Transfer
from cases.services import family_create_at_front_door, person_create
from consent.models import ConsentRecord, DisclosureLog
from consent.services import consent_dispense
from earlyhelp.accounts.services import notify
from earlyhelp.core import perms
from earlyhelp.core.states import status_move
from earlyhelp.core.validators import postcode_normalise
from earlyhelp.core.working_time import decision_due
from locality.models import LocalAreaTeam
from locality.selectors import local_area_team_for_postcode
from referrals import selectors
from referrals.models import (
    RAG_PRIORITY,
    ConcernFlag,
    Contact,
    ContactChild,
    ContactSource,
    MashDecision,
    RagRating,
    SignpostedService,
)

REFERENCE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY3479"
FLAG_REVIEW_DUE_DAYS = 5
OUTSIDE_AUTHORITY_NOTE = (
    "The postcode {postcode} is outside the areas York's Local Area Teams cover. The contact has been accepted: "
    "the MASH will pass it to the authority where the child lives."
)

logger = logging.getLogger("earlyhelp.referrals")


class ContactError(Exception):
    """A front-door change the rules refuse; the message says why and what to do instead."""


def _move(contact: Contact, status: str) -> None:
    status_move(contact, status, error=ContactError, noun="A contact")


def contact_reference_new() -> str:
    """A short, unguessable reference such as MC-K7Q3MX9A."""
    while True:
        reference = "MC-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        if not Contact.objects.filter(reference=reference).exists():
            return reference


def _referrer_fields(*, user, referrer_kind: str, referrer: dict) -> dict:
    """Who referred: the signed-in practitioner, someone outside the service, or no one named."""
    if referrer_kind == Contact.ReferrerKind.PRACTITIONER:
        return {
            "referrer_user": user,
            "referrer_name": user.full_name,
            "referrer_organisation": str(user.agency or ""),
            "referrer_role": referrer.get("referrer_role", "").strip(),
            "referrer_telephone": referrer.get("referrer_telephone", "").strip(),
            "referrer_email": user.email,
        }
    if referrer_kind == Contact.ReferrerKind.ANONYMOUS:
        return {"referrer_user": None}
    keys = ("referrer_name", "referrer_organisation", "referrer_role", "referrer_telephone", "referrer_email")
    return {"referrer_user": None, **{key: referrer.get(key, "").strip() for key in keys}}


@transaction.atomic
def contact_record(
    *,
    user,
    family: Family | None,
    children: list[Person],
    concern: str,
    source: str,
    family_aware: str,
    consent_status: str,
    channel: str = Contact.Channel.ONLINE,
    referrer_kind: str = Contact.ReferrerKind.PRACTITIONER,
    referrer: dict | None = None,
    received_at: datetime | None = None,
    consent_reason: str = "",
    assessment=None,
    requested_level: int | None = None,
    postcode: str = "",
) -> Contact:
    """Record a contact about one or more children. The decision clock starts at once (amber until rated)."""
    received_at = received_at or timezone.now()
    errors = {}
    if not children:
        errors["children"] = "Choose at least one child the concern is about"
    if not concern.strip():
        errors["concern"] = "Describe the concern"
    if family is not None:
        members = set(family.members.values_list("person_id", flat=True))
        if any(child.pk not in members for child in children):
            errors["children"] = "Every child must be a member of this family"
        if assessment is not None and assessment.family_id != family.pk:
            errors["assessment"] = "Choose an assessment of this family"
    if errors:
        raise ValidationError(errors)
    postcode = family.postcode if family is not None else postcode_normalise(postcode)
    team = family.local_area_team if family is not None else local_area_team_for_postcode(postcode)
    if referrer_kind == Contact.ReferrerKind.ANONYMOUS:
        source = ContactSource.ANONYMOUS
    contact = Contact(
        reference=contact_reference_new(),
        received_at=received_at,
        channel=channel,
        referrer_kind=referrer_kind,
        source=source,
        family=family,
        postcode=postcode,
        local_area_team=team,
        concern=concern.strip(),
        family_aware=family_aware,
        consent_status=consent_status,
        consent_reason=consent_reason.strip(),
        assessment=assessment,
        requested_level=requested_level,
        due_at=decision_due(received_at=received_at, rag=""),
        recorded_by=user,
        **_referrer_fields(user=user, referrer_kind=referrer_kind, referrer=referrer or {}),
    )
    contact.full_clean()
    contact.save()
    referred_before = selectors.people_referred_before(people=children, received_at=received_at, exclude=contact)
    for child in children:
        ContactChild.objects.create(contact=contact, person=child, re_referral=child.pk in referred_before)
    if referred_before:
        contact.re_referral = True
        contact.save(update_fields=["re_referral", "updated_at"])
    _referral_disclosure_log(user=user, contact=contact)
    if family is not None and family.restricted:
        _restricted_contact_alert(contact=contact)
    return contact


def _restricted_contact_alert(*, contact: Contact) -> None:
    """A contact about a restricted family shows only to the family's allow-list, so the MASH managers are told
    it exists (by reference only) and no contact waits unseen."""
    from cases.selectors import users_with_role

    for manager in users_with_role(role=perms.MASH_MANAGER):
        notify(
            user=manager,
            message=f"Contact {contact.reference} is about a restricted record. Ask for it to be added to your "
            "allow-list to screen it",
            email=False,
        )


def _referral_disclosure_log(*, user, contact: Contact) -> None:
    """A practitioner's referral discloses the family's information to the MASH: log it, on consent where it
    is held, otherwise on the consent status and reason recorded on the contact."""
    if contact.family is None or contact.referrer_kind != Contact.ReferrerKind.PRACTITIONER:
        return
    consent = (
        ConsentRecord.objects.filter(family=contact.family, status__in=ConsentRecord.ACTIVE)
        .order_by("-status", "-obtained_on")
        .first()
    )
    _disclosure_log(
        user=user,
        family=contact.family,
        consent=consent,
        what=f"Referral {contact.reference} to the MASH (consent {contact.get_consent_status_display().lower()})",
    )


def _disclosure_log(*, user, family, consent, what: str) -> None:
    """Log a disclosure on the consent or override it relies on; with neither, on what the contact records."""
    if consent is None:
        basis = DisclosureLog.Basis.REFERRAL
    else:
        basis = DisclosureLog.Basis.OVERRIDE if consent.is_override else DisclosureLog.Basis.CONSENT
    DisclosureLog.objects.create(family=family, what=what, basis=basis, consent=consent, disclosed_by=user)


@transaction.atomic
def contact_record_new_family(
    *, user, family_name: str, address_line_1: str, postcode: str, new_children: list[dict], **contact_fields
) -> Contact:
    """Record a contact about children with no record yet. In York the family and children are created;
    outside York only the children are, and the contact is routed to "another authority"."""
    if not new_children:
        raise ValidationError({"children": "Enter at least one child the concern is about"})
    postcode = postcode_normalise(postcode)
    if local_area_team_for_postcode(postcode) is None:
        children = [
            selectors.person_outside_york(**fields) or person_create(user=user, **fields) for fields in new_children
        ]
        return contact_record(user=user, family=None, children=children, postcode=postcode, **contact_fields)
    family = family_create_at_front_door(
        user=user, name=family_name, address_line_1=address_line_1, postcode=postcode, children=new_children
    )
    children = [member.person for member in family.members.select_related("person")]
    return contact_record(user=user, family=family, children=children, **contact_fields)


def _locked(contact: Contact) -> Contact:
    return Contact.objects.select_for_update().get(pk=contact.pk)


def _start_screening(contact: Contact, user) -> None:
    if contact.status == Contact.Status.RECEIVED:
        _move(contact, Contact.Status.SCREENING)
    if contact.assigned_to_id is None:
        contact.assigned_to = user


def _require_open(contact: Contact) -> None:
    if not contact.is_open:
        raise ContactError(f"This contact is {contact.get_status_display().lower()}, so it can no longer be changed")


@transaction.atomic
def contact_assign(*, user, contact: Contact) -> Contact:
    """A screener takes a contact: it is theirs, and screening has started."""
    contact = _locked(contact)
    _require_open(contact)
    if contact.status == Contact.Status.RECEIVED:
        _move(contact, Contact.Status.SCREENING)
    contact.assigned_to = user
    contact.save(update_fields=["status", "assigned_to", "updated_at"])
    return contact


@transaction.atomic
def contact_rate(*, user, contact: Contact, rag: str, reason: str = "") -> Contact:
    """Set the RAG rating; changing it needs a reason. The decision is then due within that rating's time."""
    contact = _locked(contact)
    _require_open(contact)
    if contact.rag and not reason.strip():
        raise ValidationError({"reason": "Say why the RAG rating is changing"})
    if rag == contact.rag:
        raise ValidationError({"rag": f"The contact is already rated {contact.get_rag_display().lower()}"})
    _start_screening(contact, user)
    contact.rag = rag
    contact.priority = RAG_PRIORITY[rag]
    contact.due_at = decision_due(received_at=contact.received_at, rag=rag)
    if contact.due_at > timezone.now():
        contact.overdue_flagged_at = None
    contact.full_clean()
    contact.save()
    RagRating.objects.create(contact=contact, rag=rag, reason=reason.strip(), rated_by=user)
    return contact


@transaction.atomic
def contact_screen(
    *, user, contact: Contact, checks: dict[str, bool], information_gathered: str, ready: bool
) -> Contact:
    """Record the checks made and what was found; when `ready`, send the contact for a manager's decision."""
    contact = _locked(contact)
    _require_open(contact)
    _start_screening(contact, user)
    for name, done in checks.items():
        setattr(contact, f"checked_{name}", bool(done))
    contact.information_gathered = information_gathered.strip()
    if ready:
        if not contact.rag:
            raise ValidationError({"ready": "Give the contact a RAG rating before it goes for a decision"})
        if not contact.information_gathered:
            raise ValidationError(
                {"information_gathered": "Record what the checks found before it goes for a decision"}
            )
        _move(contact, Contact.Status.AWAITING_DECISION)
    elif contact.status == Contact.Status.AWAITING_DECISION:
        _move(contact, Contact.Status.SCREENING)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_mark_duplicate(*, user, contact: Contact, original_reference: str, reason: str) -> Contact:
    """Close a contact as a duplicate of an earlier one about the same concern."""
    contact = _locked(contact)
    original = selectors.contacts_in_inbox(user).filter(reference=original_reference.strip().upper()).first()
    if original is None:
        raise ValidationError(
            {"original_reference": "No contact has this reference. Check it, for example MC-K7Q3MX9A"}
        )
    if original.pk == contact.pk:
        raise ValidationError({"original_reference": "A contact cannot be a duplicate of itself"})
    if original.status == Contact.Status.DUPLICATE:
        raise ValidationError(
            {"original_reference": f"{original} is itself a duplicate: link to the contact it duplicates"}
        )
    if not original.children.filter(person__in=contact.children.values("person")).exists():
        raise ValidationError({"original_reference": f"{original} is not about any of the same children"})
    _move(contact, Contact.Status.DUPLICATE)
    contact.duplicate_of = original
    contact.ended_reason = reason.strip()
    contact.save(update_fields=["status", "duplicate_of", "ended_reason", "updated_at"])
    return contact


@transaction.atomic
def contact_withdraw(*, user, contact: Contact, reason: str) -> Contact:
    """Withdraw a contact, for example when the referrer withdraws the concern before a decision."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the contact is being withdrawn"})
    contact = _locked(contact)
    _move(contact, Contact.Status.WITHDRAWN)
    contact.ended_reason = reason.strip()
    contact.save(update_fields=["status", "ended_reason", "updated_at"])
    return contact


def _consent_for_decision(*, user, contact: Contact, outcome: str, consent_basis: str, override: dict | None):
    """Check the consent basis the outcome needs, and record an override through the consent app."""
    if consent_basis == MashDecision.ConsentBasis.NOT_NEEDED:
        if outcome not in MashDecision.NO_SHARING:
            raise ValidationError({"consent_basis": "This outcome shares information, so say whether consent is held"})
        return None
    if contact.family is None:
        if consent_basis == MashDecision.ConsentBasis.DISPENSED:
            raise ValidationError({"consent_basis": "A safeguarding override needs a family record in York"})
        return None
    if consent_basis == MashDecision.ConsentBasis.HELD:
        # Held means the family agreed: a safeguarding override in force is not consent.
        consent = (
            ConsentRecord.objects.filter(family=contact.family, status=ConsentRecord.Status.GIVEN)
            .order_by("-obtained_on")
            .first()
        )
        if consent is None and contact.consent_status != Contact.ConsentStatus.GIVEN:
            raise ValidationError(
                {
                    "consent_basis": "Consent is not recorded as given. Ask the family, or record a safeguarding "
                    "override if asking would put a child at risk of significant harm"
                }
            )
        return consent
    override = override or {}
    if override.get("approver") is None:
        raise ValidationError({"approver": "Choose the manager who approved the override"})
    return consent_dispense(
        user=user,
        family=contact.family,
        approver=override.get("approver"),
        reason=override.get("reason", ""),
        detail=override.get("detail", ""),
        review_on=override.get("review_on") or timezone.localdate(),
        subjects=[child.person for child in contact.children.select_related("person")],
    )


def _decision_check(*, contact: Contact, outcome: str, rationale: str, next_steps: str, team, services) -> None:
    errors = {}
    if not rationale.strip():
        errors["rationale"] = "Give the rationale for the decision"
    if not next_steps.strip():
        errors["next_steps"] = "Say what happens next: the referrer is told this"
    if outcome in MashDecision.EARLY_HELP and team is None:
        errors["local_area_team"] = "Choose the Local Area Team that will provide early help"
    if outcome == MashDecision.Outcome.SIGNPOSTING and not services:
        errors["services"] = "Choose the services suggested to the family"
    if contact.family is None and outcome not in MashDecision.NO_SHARING:
        errors["outcome"] = (
            "The child lives outside York (no family record here). Choose another authority, signposting or no "
            "further action"
        )
    open_episode = contact.family.episodes.filter(status__in=Episode.OPEN).first() if contact.family else None
    if outcome in MashDecision.EARLY_HELP and open_episode is not None:
        errors["outcome"] = (
            f"The family already has early help ({open_episode.get_status_display().lower()}, "
            f"{open_episode.local_area_team}). Choose pass to open case"
        )
    open_to_social_care = contact.family is not None and contact.family.transfers.filter(direction="step_up").exists()
    if outcome == MashDecision.Outcome.OPEN_CASE and open_episode is None and not open_to_social_care:
        errors["outcome"] = (
            "The family has no open case to pass this to: no open early help here and no step-up to children's "
            "social care"
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def contact_decide(
    *,
    user,
    contact: Contact,
    level: int,
    outcome: str,
    rationale: str,
    next_steps: str,
    consent_basis: str,
    local_area_team: LocalAreaTeam | None = None,
    services=(),
    override: dict | None = None,
) -> MashDecision:
    """The MASH manager's decision, and what it implies: an episode, a transfer, or the contact closed.

    Safe to submit twice: the second attempt finds the contact decided and changes nothing.
    """
    if not user.has_perm(perms.DECIDE_CONTACT):
        raise ContactError("Only a MASH manager can decide a contact")
    contact = _locked(contact)
    if contact.status != Contact.Status.AWAITING_DECISION:
        if contact.status in (Contact.Status.DECIDED, Contact.Status.CLOSED):
            raise ContactError(f"{contact} has already been decided")
        raise ContactError("Screening must finish before the decision: send the contact for a decision first")
    team = local_area_team if outcome in MashDecision.EARLY_HELP else None
    _decision_check(
        contact=contact, outcome=outcome, rationale=rationale, next_steps=next_steps, team=team, services=services
    )
    consent = _consent_for_decision(
        user=user, contact=contact, outcome=outcome, consent_basis=consent_basis, override=override
    )
    decision = MashDecision(
        contact=contact,
        level=level,
        outcome=outcome,
        rationale=rationale.strip(),
        next_steps=next_steps.strip(),
        consent_basis=consent_basis,
        consent=consent,
        local_area_team=team,
        decided_by=user,
    )
    decision.full_clean()
    decision.save()
    for service in services if outcome == MashDecision.Outcome.SIGNPOSTING else ():
        SignpostedService.objects.create(decision=decision, service=service)
    _move(contact, Contact.Status.DECIDED)
    contact.save(update_fields=["status", "updated_at"])
    _decision_effects(user=user, contact=contact, decision=decision)
    transaction.on_commit(lambda: _queue_feedback(decision.pk))
    return decision


def _queue_feedback(decision_id: int) -> None:
    """Tell the referrer in the background. With the broker down the decision stands and the referrer is told by the
    overdue sweep (`contacts_overdue_task`) once it is back: the page never fails for it."""
    from referrals.tasks import referrer_feedback_task

    try:
        referrer_feedback_task.apply_async(args=[decision_id], retry=False)
    except Exception:  # any broker failure: the decision's referrer_told_at is the record of what is owed
        if referrer_feedback_task.app.conf.task_always_eager:
            raise  # run in-process (no broker): the task's own failure, not the broker's
        logger.warning("Referrer feedback for decision %s left for the sweep: broker unreachable", decision_id)


_TRANSFER_KINDS = {
    MashDecision.Outcome.SOCIAL_CARE: Transfer.Kind.SOCIAL_CARE,
    MashDecision.Outcome.STRATEGY: Transfer.Kind.STRATEGY,
    MashDecision.Outcome.IMMEDIATE_PROTECTION: Transfer.Kind.IMMEDIATE_PROTECTION,
}


def _decision_effects(*, user, contact: Contact, decision: MashDecision) -> None:
    if decision.outcome in MashDecision.EARLY_HELP:
        _episode_request(contact=contact, decision=decision)
    elif decision.outcome in MashDecision.STEP_UP:
        Transfer.objects.create(
            family=contact.family,
            direction=Transfer.Direction.STEP_UP,
            kind=_TRANSFER_KINDS[decision.outcome],
            contact=contact,
            created_by=user,
        )
        _disclosure_log(
            user=user,
            family=contact.family,
            consent=decision.consent,
            what=f"Step-up to children's social care ({contact})",
        )
    else:
        if decision.outcome == MashDecision.Outcome.OPEN_CASE:
            _open_case_notify(contact=contact)
        elif decision.outcome == MashDecision.Outcome.ANOTHER_AUTHORITY and contact.family is not None:
            _disclosure_log(
                user=user,
                family=contact.family,
                consent=decision.consent,
                what=f"Passed to another authority ({contact})",
            )
        _move(contact, Contact.Status.CLOSED)
        contact.save(update_fields=["status", "updated_at"])


def _open_case_notify(*, contact: Contact) -> None:
    """Pass the contact to the family's open early help: its lead practitioner (or the team's managers) is told."""
    from cases.selectors import team_managers

    episode = contact.family.episodes.filter(status__in=Episode.OPEN).select_related("lead_practitioner").first()
    if episode is None:
        return  # open to children's social care, which the MASH tells through its own channels
    people = (
        [episode.lead_practitioner]
        if episode.lead_practitioner
        else team_managers(local_area_team=episode.local_area_team)
    )
    for person in people:
        notify(
            user=person,
            message=f"The MASH passed a new contact ({contact.reference}) to the {contact.family.name} family's "
            "early help",
            url=reverse("cases:family_detail", kwargs={"uuid": contact.family.uuid}),
        )


def _episode_request(*, contact: Contact, decision: MashDecision) -> Episode:
    """A requested episode in the team's allocation queue; the family moves to that team if it was elsewhere."""
    family = contact.family
    team = decision.local_area_team
    if family.local_area_team_id != team.pk:
        family.local_area_team = team
        family.team_overridden = True
        family.save(update_fields=["local_area_team", "team_overridden", "updated_at"])
    episode = Episode(
        family=family,
        local_area_team=team,
        route=Episode.Route.MASH,
        pathway=Episode.Pathway.TARGETED
        if decision.outcome == MashDecision.Outcome.TARGETED
        else Episode.Pathway.PARTNER_LED,
        level=decision.level,
        contact=contact,
    )
    episode.full_clean()
    try:
        with transaction.atomic():
            episode.save()
    except IntegrityError:  # another decision opened early help for this family at the same moment
        raise ValidationError({"outcome": "The family already has open early help. Choose pass to open case"}) from None
    from cases.selectors import team_managers

    restricted = ". It is about a restricted record: ask to be added to its allow-list" if family.restricted else ""
    for manager in team_managers(local_area_team=team):
        notify(
            user=manager,
            message=f"New early help request from the MASH ({contact.reference}) to allocate{restricted}",
            url=reverse("cases:allocation_queue"),
        )
    return episode


@transaction.atomic
def contact_close_after_action(*, contact: Contact) -> None:
    """A decided contact closes once what it implied has been acted on (allocated, or the transfer referenced)."""
    contact = _locked(contact)
    if contact.status == Contact.Status.DECIDED:
        _move(contact, Contact.Status.CLOSED)
        contact.save(update_fields=["status", "updated_at"])


@transaction.atomic
def referrer_feedback_send(*, decision_id: int) -> bool:
    """Tell the referrer the decision and next steps, once. Returns whether anyone was told this time."""
    # Lock only the decision row: PostgreSQL refuses FOR UPDATE on the nullable side of the referrer join.
    decision = (
        MashDecision.objects.select_for_update(of=("self",))
        .select_related("contact__referrer_user")
        .get(pk=decision_id)
    )
    if decision.referrer_told_at is not None:
        return False
    contact = decision.contact
    outcome = decision.get_outcome_display()
    if contact.referrer_user is not None:
        # The e-mail names no one: the referrer signs in to read the next steps.
        notify(
            user=contact.referrer_user,
            message=f"The MASH has decided your referral {contact.reference}: {outcome}",
            url=reverse("referrals:referral_detail", kwargs={"uuid": contact.uuid}),
        )
    elif contact.referrer_email:
        _email_external_referrer(contact=contact, decision=decision)
    else:
        return False
    decision.referrer_told_at = timezone.now()
    decision.save(update_fields=["referrer_told_at", "updated_at"])
    return True


@transaction.atomic
def referrer_told_record(*, user, contact: Contact) -> MashDecision:
    """Record that the MASH told the referrer itself (by telephone, say): the feedback job then stops."""
    decision = MashDecision.objects.select_for_update().filter(contact=contact).first()
    if decision is None:
        raise ContactError("This contact has not been decided yet, so there is nothing to tell the referrer")
    if decision.referrer_told_at is not None:
        raise ContactError(f"The referrer was already told on {timezone.localtime(decision.referrer_told_at):%d %B %Y}")
    decision.referrer_told_at = timezone.now()
    decision.save(update_fields=["referrer_told_at", "updated_at"])
    return decision


def _email_external_referrer(*, contact: Contact, decision: MashDecision) -> None:
    """Someone outside the service (perhaps a neighbour) is told the contact was considered, never what was
    decided or anything about the family: that would be a disclosure."""
    from django.conf import settings
    from django.core.mail import send_mail

    send_mail(
        f"Your contact with York's MASH, reference {contact.reference}",
        (
            f"Thank you for contacting the Multi-Agency Safeguarding Hub on "
            f"{timezone.localtime(contact.received_at):%d %B %Y}.\n\n"
            "We have considered the information you gave us and decided what should happen next. "
            "We cannot share details about a family, but your call has been acted on.\n\n"
            f"If you have new worries, contact the MASH again and quote {contact.reference}. "
            "If a child is in immediate danger, call 999."
        ),
        settings.DEFAULT_FROM_EMAIL,
        [contact.referrer_email],
        fail_silently=False,
    )


@transaction.atomic
def contacts_flag_overdue(*, now: datetime) -> int:
    """Flag open contacts past their decision time, once each, and tell the MASH managers."""
    from cases.selectors import users_with_role

    managers = list(users_with_role(role=perms.MASH_MANAGER))
    flagged = 0
    for contact in selectors.contacts_newly_overdue(now=now).select_for_update():
        contact.overdue_flagged_at = now
        contact.save(update_fields=["overdue_flagged_at", "updated_at"])
        for manager in managers:
            notify(
                user=manager,
                message=f"Contact {contact.reference} is past its decision time",
                url=reverse("referrals:contact_detail", kwargs={"uuid": contact.uuid}),
                email=False,
            )
        flagged += 1
    return flagged


@transaction.atomic
def concern_flag_raise(*, user, person: Person, category: str, raised_on: date | None = None) -> ConcernFlag:
    """Flag a concern about a child for the user's agency. The third agency within a year raises one review task."""
    if user.agency_id is None:
        raise ContactError(
            "Your account has no agency recorded, so a flag cannot say who raised it. Ask an administrator"
        )
    Person.objects.select_for_update().get(pk=person.pk)  # one review task, even when two agencies flag at once
    flag = ConcernFlag(
        person=person,
        agency_id=user.agency_id,
        category=category,
        raised_on=raised_on or timezone.localdate(),
        raised_by=user,
    )
    flag.full_clean()
    flag.save()
    today = timezone.localdate()
    agencies = selectors.flag_agencies_in_window(person=person, today=today)
    window_start = today - timedelta(days=selectors.FLAG_WINDOW_DAYS)
    already = ConcernFlag.objects.filter(person=person, raised_on__gt=window_start, review_task__isnull=False).exists()
    if agencies >= selectors.FLAG_AGENCIES_FOR_REVIEW and not already:
        flag.review_task = _flag_review_task(person=person)
        flag.save(update_fields=["review_task", "updated_at"])
    return flag


def _flag_review_task(*, person: Person) -> Task | None:
    # The child's current, unrestricted family where there is one; a restricted family keeps the task to its
    # allow-list, which is still better than no review.
    membership = (
        person.memberships.select_related("family__local_area_team")
        .order_by("family__restricted", "-created_at")
        .first()
    )
    if membership is None:
        return None
    family = membership.family
    return Task.objects.create(
        family=family,
        title=f"Review: {selectors.FLAG_AGENCIES_FOR_REVIEW} agencies have flagged concerns about a child this year",
        team=family.local_area_team,
        due_on=timezone.localdate() + timedelta(days=FLAG_REVIEW_DUE_DAYS),
    )
