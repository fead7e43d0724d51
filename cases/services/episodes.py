"""Writes for an episode of early help: starting it, closing it with the family's feedback, reopening it, stepping
up to children's social care and down from it. Also the guards every part of an episode's work shares."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import get_users_with_perms

from cases.models import Closure, Episode, Family, SocialCareOutcome, TafMeeting, TafMember, Task, Transfer
from cases.selectors import episodes as selectors
from cases.selectors import families_visible_to, team_managers, team_workers
from cases.services.work import task_close, task_raise
from earlyhelp.accounts.services import notify
from earlyhelp.core import perms
from earlyhelp.core.codes import LevelOfNeed
from earlyhelp.core.states import status_move

TEAM_TASK_DUE_DAYS = 5  # allocation and closure decisions: a working week for the team's managers
START_LEVELS = (LevelOfNeed.ADDITIONAL, LevelOfNeed.TARGETED)
LEVEL_MESSAGE = "Choose level 2 (additional needs) or level 3 (targeted or complex)"
STEP_UP_KINDS = (Transfer.Kind.SOCIAL_CARE, Transfer.Kind.STRATEGY, Transfer.Kind.IMMEDIATE_PROTECTION)


class EpisodeError(Exception):
    """A change to an episode's work that the rules refuse; the message is shown to the user."""


def episode_require_open(episode: Episode) -> None:
    """Refuse any change to the work of an episode that has closed (or was declined, stepped up or transferred):
    a closed episode is read-only until a manager reopens it."""
    if not episode.is_open:
        raise EpisodeError(
            f"This episode is {episode.get_status_display().lower()}, so its records can no longer be changed"
        )


def episode_move(*, episode: Episode, status: str) -> Episode:
    """Move an episode along its state machine and save it (the caller holds the transaction)."""
    status_move(episode, status, error=EpisodeError, noun="An episode")
    episode.save(update_fields=["status", "updated_at"])
    return episode


def _refuse_if(message: str) -> None:
    if message:
        raise EpisodeError(message)


def _locked(episode: Episode) -> Episode:
    """The episode row, locked for this transaction, so two people cannot move it at once."""
    return (
        Episode.objects.select_for_update(of=("self",))
        .select_related("family", "family__local_area_team", "local_area_team", "lead_practitioner")
        .get(pk=episode.pk)
    )


def _family_status(family: Family, status: str) -> None:
    from cases.services import family_status_change

    if family.status != status:
        family_status_change(family=family, status=status)


def allocation_task_key(episode: Episode) -> str:
    return f"allocation:{episode.uuid}"


def closure_task_key(closure: Closure) -> str:
    return f"closure:{closure.uuid}"


def _team_task_raise(*, episode: Episode, kind: str, key: str, title: str) -> Task:
    return task_raise(
        key=key,
        kind=kind,
        family=episode.family,
        episode=episode,
        title=title,
        team=episode.family.local_area_team,
        due_on=timezone.localdate() + timedelta(days=TEAM_TASK_DUE_DAYS),
    )


def nameless_message(family: Family) -> str:
    """What someone who may not see `family` is told instead of its name: its reference, never who it is."""
    return f"A restricted family (reference {family.reference}) needs a manager's decision"


def notify_about_family(*, user, family: Family, message: str, url: str, nameless: str = "") -> None:
    """Tell `user` about work for `family`; if they may not see it (a restricted family they are not allow-listed
    on), they are told only `nameless` (or the reference), so the family's name never reaches them."""
    if not families_visible_to(user).filter(pk=family.pk).exists():
        message = nameless or nameless_message(family)
    notify(user=user, message=message, url=url)


def notify_team_managers(
    *, family: Family, message: str, url: str, besides=None, nameless: str = "", local_area_team=None
) -> None:
    """Tell every manager of the Local Area Team (the family's unless given), except `besides`, naming the family
    only to those who may see it."""
    for manager in team_managers(local_area_team=local_area_team or family.local_area_team):
        if besides is None or manager.pk != besides.pk:
            notify_about_family(user=manager, family=family, message=message, url=url, nameless=nameless)


def _episode_save_new(episode: Episode) -> Episode:
    episode.full_clean()
    try:
        with transaction.atomic():
            episode.save()
    except IntegrityError:  # someone opened early help for this family at the same moment
        raise EpisodeError(selectors.episode_start_blocked(family=episode.family)) from None
    return episode


@transaction.atomic
def episode_start(*, user, family: Family, pathway: str, level: int) -> Episode:
    """Start early help without the MASH: partner-led with `user` as lead practitioner, or a request for targeted
    help that waits in the Local Area Team's allocation queue."""
    _refuse_if(selectors.episode_start_blocked(family=family))
    if level not in START_LEVELS:
        raise ValidationError({"level": LEVEL_MESSAGE})
    if pathway not in Episode.Pathway.values:
        raise ValidationError({"pathway": "Choose who will lead early help"})
    episode = Episode(
        family=family,
        local_area_team=family.local_area_team,
        route=Episode.Route.PARTNER,
        pathway=pathway,
        level=level,
        assessment=selectors.latest_authorised_assessment(family=family),
    )
    if pathway == Episode.Pathway.PARTNER_LED:
        status_move(episode, Episode.Status.ALLOCATED, error=EpisodeError, noun="An episode")
        episode.lead_practitioner = user
        episode.lead_agency = user.agency
        episode.allocated_by = user
        episode.allocated_at = timezone.now()
    _episode_save_new(episode)
    _family_status(family, Family.Status.ACTIVE)
    if pathway == Episode.Pathway.TARGETED:
        _team_task_raise(
            episode=episode,
            kind=Task.Kind.ALLOCATION_WAITING,
            key=allocation_task_key(episode),
            title="Allocate the request for targeted early help",
        )
        restricted = ". It is about a restricted record: ask to be added to its allow-list" if family.restricted else ""
        notify_team_managers(
            family=family,
            message=f"New request for targeted early help for the {family.name} family to allocate{restricted}",
            url=reverse("cases:allocation_queue"),
            nameless=f"New request for targeted early help for a restricted family (reference {family.reference}) "
            "to allocate: ask to be added to its allow-list",
        )
    return episode


def _closure_fields_check(*, episode: Episode, reason: str, reason_detail: str, summary: str, satisfaction, meeting):
    errors = {}
    if reason not in Closure.Reason.values:
        errors["reason"] = "Choose why early help is closing"
    if reason == Closure.Reason.OTHER and not reason_detail.strip():
        errors["reason_detail"] = "Say why early help is closing"
    if not summary.strip():
        errors["summary"] = "Say what changed for the family, and what support continues"
    if satisfaction is not None and not (1 <= satisfaction <= 5):
        errors["satisfaction"] = "Choose how satisfied the family was, from 1 to 5, or that they did not say"
    if meeting is not None and not selectors.closure_meetings(episode=episode).filter(pk=meeting.pk).exists():
        errors["meeting"] = "Choose a closure meeting of this episode that was held and decided to close"
    if errors:
        raise ValidationError(errors)


def _episode_close(*, closure: Closure) -> None:
    """The closure takes effect: the episode and the family close; partners' access ends after the grace period."""
    episode = closure.episode
    status_move(episode, Episode.Status.CLOSED, error=EpisodeError, noun="An episode")
    episode.closed_at = timezone.now()
    episode.save(update_fields=["status", "closed_at", "updated_at"])
    closure.grants_end_on = timezone.localdate() + timedelta(days=settings.CASE_CLOSURE_GRACE_DAYS)
    closure.save(update_fields=["grants_end_on", "updated_at"])
    _family_status(episode.family, Family.Status.CLOSED)


@transaction.atomic
def closure_request(
    *,
    user,
    episode: Episode,
    reason: str,
    summary: str,
    reason_detail: str = "",
    satisfaction: int | None = None,
    made_difference: str = Closure.Difference.NOT_ASKED,
    family_comments: str = "",
    meeting: TafMeeting | None = None,
) -> Closure:
    """Propose closing an episode, with what the family said. A held closure meeting that decided to close makes it
    take effect at once; otherwise it waits for a Local Area Team manager's approval."""
    episode = _locked(episode)
    episode_require_open(episode)
    _refuse_if(selectors.closure_request_blocked(episode=episode))
    _closure_fields_check(
        episode=episode,
        reason=reason,
        reason_detail=reason_detail,
        summary=summary,
        satisfaction=satisfaction,
        meeting=meeting,
    )
    closure = Closure(
        episode=episode,
        family=episode.family,
        reason=reason,
        reason_detail=reason_detail.strip(),
        summary=summary.strip(),
        satisfaction=satisfaction,
        made_difference=made_difference,
        family_comments=family_comments.strip(),
        meeting=meeting,
        requested_by=user,
    )
    closure.full_clean()
    closure.save()
    episode_move(episode=episode, status=Episode.Status.CLOSING)
    if meeting is not None:  # the Team Around the Family agreed it: no manager's approval needed
        status_move(closure, Closure.Status.APPROVED, error=EpisodeError, noun="A closure")
        closure.decided_at = timezone.now()
        closure.save(update_fields=["status", "decided_at", "updated_at"])
        _episode_close(closure=closure)
        return closure
    _team_task_raise(
        episode=episode,
        kind=Task.Kind.CLOSURE_DECISION,
        key=closure_task_key(closure),
        title="Approve or refuse the closure of early help",
    )
    notify_team_managers(
        family=episode.family,
        message=f"The closure of early help for the {episode.family.name} family is waiting for your decision",
        url=reverse("cases:closure_decide", kwargs={"uuid": closure.uuid}),
        besides=user,
    )
    return closure


@transaction.atomic
def closure_decide(*, user, closure: Closure, approve: bool, refusal_reason: str = "") -> Closure:
    """A manager of the family's team approves a closure (the episode closes) or refuses it with a reason (the plan
    carries on). Nobody decides a closure they asked for."""
    closure = (
        Closure.objects.select_for_update(of=("self",))
        .select_related("episode", "family", "family__local_area_team", "requested_by")
        .get(pk=closure.pk)
    )
    closure.episode = _locked(closure.episode)
    _refuse_if(selectors.closure_decide_blocked(user=user, closure=closure))
    if not approve and not refusal_reason.strip():
        raise ValidationError({"refusal_reason": "Say why the closure is refused: the practitioner is told"})
    status_move(
        closure, Closure.Status.APPROVED if approve else Closure.Status.REFUSED, error=EpisodeError, noun="A closure"
    )
    closure.decided_by = user
    closure.decided_at = timezone.now()
    closure.refusal_reason = "" if approve else refusal_reason.strip()
    closure.full_clean()
    closure.save(update_fields=["status", "decided_by", "decided_at", "refusal_reason", "updated_at"])
    if approve:
        _episode_close(closure=closure)
    else:
        episode_move(episode=closure.episode, status=Episode.Status.PLAN_ACTIVE)
    task_close(key=closure_task_key(closure))
    outcome = "approved: early help is closed" if approve else f"refused: {closure.refusal_reason}"
    notify(
        user=closure.requested_by,
        message=f"The closure of early help for the {closure.family.name} family was {outcome}",
        url=reverse("cases:episode_detail", kwargs={"uuid": closure.episode.uuid}),
    )
    return closure


@transaction.atomic
def closure_grants_end(*, today: date) -> int:
    """After the grace period, partners lose sight of a closed family: their per-family grants go (the restricted
    allow-list stays) and the Team Around the Family's members leave. Returns how many closures were done; running
    it again changes nothing."""
    from cases.services import family_access_revoke

    done = 0
    for closure in selectors.grants_end_due(today=today).select_for_update(of=("self",)):
        family = closure.family
        for user in get_users_with_perms(family, only_with_perms_in=[perms.ACCESS_FAMILY], with_group_users=False):
            family_access_revoke(family=family, user=user)
        for member in TafMember.objects.filter(episode=closure.episode, status=TafMember.Status.ACTIVE):
            status_move(member, TafMember.Status.LEFT, error=EpisodeError, noun="A TAF member")
            member.left_on = today
            member.save(update_fields=["status", "left_on", "updated_at"])
        closure.grants_ended_at = timezone.now()
        closure.save(update_fields=["grants_ended_at", "updated_at"])
        done += 1
    return done


@transaction.atomic
def episode_reopen(*, user, episode: Episode, reason: str) -> Episode:
    """A manager of the family's team reopens a closed episode within the reopen window: the plan is active again
    and partners keep their access (the grace period is cancelled)."""
    episode = _locked(episode)
    _refuse_if(selectors.episode_reopen_blocked(user=user, episode=episode))
    if not reason.strip():
        raise ValidationError({"reason": "Say why the episode is being reopened"})
    status_move(episode, Episode.Status.PLAN_ACTIVE, error=EpisodeError, noun="An episode")
    episode.reopened_at = timezone.now()
    episode.reopened_by = user
    episode.reopen_reason = reason.strip()
    episode.full_clean()
    episode.save(update_fields=["status", "reopened_at", "reopened_by", "reopen_reason", "updated_at"])
    for closure in episode.closures.filter(status=Closure.Status.APPROVED, grants_ended_at__isnull=True):
        closure.grants_end_on = None
        closure.save(update_fields=["grants_end_on", "updated_at"])
    _family_status(episode.family, Family.Status.ACTIVE)
    return episode


def _step_up_disclosure_log(*, user, episode: Episode, transfer: Transfer) -> None:
    """Stepping up discloses the family's information to children's social care. It is logged on the consent or
    override in force; with neither, on the safeguarding step-up itself: protecting a child does not wait for
    consent."""
    from consent.models import ConsentRecord, DisclosureLog

    active = list(ConsentRecord.objects.filter(family=episode.family, status__in=ConsentRecord.ACTIVE))
    consent = next((c for c in active if c.is_override), None) or next(iter(active), None)
    if consent is None:
        basis = DisclosureLog.Basis.STEP_UP
    else:
        basis = DisclosureLog.Basis.OVERRIDE if consent.is_override else DisclosureLog.Basis.CONSENT
    DisclosureLog.objects.create(
        family=episode.family,
        what=f"Step-up to children's social care from early help ({transfer.get_kind_display().lower()})",
        basis=basis,
        consent=consent,
        disclosed_by=user,
    )


@transaction.atomic
def step_up(*, user, episode: Episode, kind: str, reason: str, external_reference: str = "") -> Transfer:
    """Step a family up to children's social care: the episode ends as stepped up, the disclosure is logged and the
    team's managers are told."""
    episode = _locked(episode)
    episode_require_open(episode)
    _refuse_if(selectors.step_up_blocked(episode=episode))
    errors = {}
    if kind not in STEP_UP_KINDS:
        errors["kind"] = "Choose what children's social care is asked for"
    if not reason.strip():
        errors["reason"] = "Say why the family is being stepped up"
    if errors:
        raise ValidationError(errors)
    reference = external_reference.strip()
    transfer = Transfer(
        family=episode.family,
        episode=episode,
        direction=Transfer.Direction.STEP_UP,
        kind=kind,
        reason=reason.strip(),
        external_reference=reference,
        reference_recorded_at=timezone.now() if reference else None,
        created_by=user,
    )
    transfer.full_clean()
    transfer.save()
    episode_move(episode=episode, status=Episode.Status.STEPPED_UP)
    _step_up_disclosure_log(user=user, episode=episode, transfer=transfer)
    notify_team_managers(
        family=episode.family,
        message=f"The {episode.family.name} family was stepped up to children's social care "
        f"({transfer.get_kind_display().lower()})",
        url=reverse("cases:episode_detail", kwargs={"uuid": episode.uuid}),
        besides=user,
    )
    return transfer


@transaction.atomic
def step_down(
    *,
    user,
    family: Family,
    external_reference: str,
    reason: str,
    lead_practitioner,
    handover_on: date,
    level: int = LevelOfNeed.TARGETED,
) -> Episode:
    """A Local Area Team manager records a step-down from children's social care: a new allocated episode with its
    lead practitioner, and the handover meeting planned."""
    _refuse_if(selectors.step_down_blocked(user=user, family=family))
    errors = {}
    if not external_reference.strip():
        errors["external_reference"] = "Enter children's social care's case reference"
    if not reason.strip():
        errors["reason"] = "Say why the family is stepped down to early help"
    if level not in START_LEVELS:
        errors["level"] = LEVEL_MESSAGE
    if not team_workers(local_area_team=family.local_area_team).filter(pk=lead_practitioner.pk).exists():
        errors["lead_practitioner"] = f"Choose someone who works in {family.local_area_team}"
    if handover_on < timezone.localdate():
        errors["handover_on"] = "The handover meeting date must be today or in the future"
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    episode = Episode(
        family=family,
        local_area_team=family.local_area_team,
        route=Episode.Route.STEP_DOWN,
        pathway=Episode.Pathway.TARGETED,
        level=level,
        lead_practitioner=lead_practitioner,
        allocated_by=user,
        allocated_at=now,
        assessment=selectors.latest_authorised_assessment(family=family),
    )
    status_move(episode, Episode.Status.ALLOCATED, error=EpisodeError, noun="An episode")
    _episode_save_new(episode)
    transfer = Transfer(
        family=family,
        episode=episode,
        direction=Transfer.Direction.STEP_DOWN,
        kind=Transfer.Kind.STEP_DOWN,
        external_reference=external_reference.strip(),
        reference_recorded_at=now,
        reason=reason.strip(),
        created_by=user,
    )
    transfer.full_clean()
    transfer.save()
    meeting = TafMeeting(episode=episode, family=family, kind=TafMeeting.Kind.STEP_DOWN, due_on=handover_on)
    meeting.full_clean()
    meeting.save()
    _family_status(family, Family.Status.ACTIVE)
    notify_about_family(
        user=lead_practitioner,
        family=family,
        message=f"You are the lead practitioner for the {family.name} family, stepped down from children's social "
        f"care. The handover meeting is due by {handover_on:%d %B %Y}",
        url=reverse("cases:episode_detail", kwargs={"uuid": episode.uuid}),
        nameless=f"You are the lead practitioner for a restricted family (reference {family.reference}), stepped "
        f"down from children's social care: ask to be added to its allow-list. The handover meeting is due by "
        f"{handover_on:%d %B %Y}",
    )
    return episode


@transaction.atomic
def transfer_outcome_record(*, user, transfer: Transfer, outcome: str, outcome_on: date) -> Transfer:
    """Record what children's social care did with a step-up, and when (indicators d and f). Recording it again
    corrects it; the change history keeps every version and who recorded it."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.direction != Transfer.Direction.STEP_UP:
        raise EpisodeError("Only a step-up to children's social care has an outcome to record")
    stepped_up_on = timezone.localdate(transfer.created_at)
    errors = {}
    if outcome not in SocialCareOutcome.values:
        errors["outcome"] = "Choose what children's social care decided"
    if outcome_on is None:
        errors["outcome_on"] = "Enter the date of the outcome"
    elif outcome_on > timezone.localdate():
        errors["outcome_on"] = "The date of the outcome must be today or in the past"
    elif outcome_on < stepped_up_on:
        errors["outcome_on"] = (
            f"The date of the outcome must be on or after the step-up, {stepped_up_on.day} {stepped_up_on:%B %Y}"
        )
    if errors:
        raise ValidationError(errors)
    transfer.social_care_outcome = outcome
    transfer.outcome_on = outcome_on
    transfer.outcome_recorded_by = user
    transfer.save(update_fields=["social_care_outcome", "outcome_on", "outcome_recorded_by", "updated_at"])
    return transfer
