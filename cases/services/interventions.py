"""Writes for targeted Child and Family Support: starting an intervention, its sessions, extensions and its end.

The rules, in one place so the pages and their tests say the same thing:
- An intervention is part of targeted early help: it starts only on a targeted episode that a Local Area Team has
  allocated and is still working (allocated, assessing, plan active or reviewing). Partner-led early help is led by
  the partner agency; if the family needs Child and Family Support the episode is taken on as targeted help first.
- The start date is at most START_PAST_DAYS ago (work is recorded as it starts) and at most START_FUTURE_DAYS ahead,
  and never before the episode was allocated.
- It is planned for MIN_WEEKS to MAX_WEEKS. A length in weeks ends on the last working day on or before the start
  plus that many weeks; a chosen end date must be a working day in the same window. Beyond 12 weeks needs a
  manager's approved extension, up to EXTENSION_MAX_WEEKS from the start, one request waiting at a time.
- Every write refuses an episode that has ended (`episode_require_open`).
- Only workers of the episode's Local Area Team (`team_workers`, managers included) start, record sessions of,
  ask to extend or end an intervention: a worker elsewhere who was granted the family may look, not work.
- A restricted family's name goes only to people who may see it (`notify_about_family`).
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import Episode, Intervention, InterventionExtension, InterventionSession, Task
from cases.models.families import FamilyMember
from cases.models.interventions import MAX_WEEKS, MIN_WEEKS
from cases.selectors import family_people_visible, team_managers, team_workers
from cases.services.episodes import EpisodeError, episode_require_open, notify_about_family, notify_team_managers
from cases.services.work import task_close, task_raise
from earlyhelp.core.states import status_move
from earlyhelp.core.working_time import is_working_day, working_day_on_or_before, working_days_after

START_PAST_DAYS = 14
START_FUTURE_DAYS = 28
EXTENSION_MAX_WEEKS = 16
EXTENSION_DECISION_WORKING_DAYS = 3
BEYOND_12_WEEKS = "An intervention can run beyond 12 weeks only with a manager's approved extension"


class InterventionError(Exception):
    """A change to an intervention that the rules refuse; the message is shown to the user."""


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def intervention_planned_end(started_on: date, weeks: int) -> date:
    """The planned end `weeks` weeks after the start, moved back to the last working day on or before it."""
    return working_day_on_or_before(started_on + timedelta(weeks=weeks))


def planned_end_validate(*, started_on: date, planned_end_on: date, extended_to: date | None = None) -> None:
    """Refuse a planned end outside 6 to 12 weeks from the start, unless an approved extension reaches it."""
    earliest = intervention_planned_end(started_on, MIN_WEEKS)
    latest = max(started_on + timedelta(weeks=MAX_WEEKS), extended_to or started_on)
    if planned_end_on < earliest:
        raise ValidationError(
            {
                "planned_end_on": f"The planned end must be at least {MIN_WEEKS} weeks after the start: "
                f"{_long(earliest)} or later"
            }
        )
    if planned_end_on > latest:
        raise ValidationError(
            {"planned_end_on": f"{BEYOND_12_WEEKS}: plan it to end by {_long(latest)}, and ask for more time later"}
        )
    if not is_working_day(planned_end_on):
        before = working_day_on_or_before(planned_end_on)
        raise ValidationError(
            {
                "planned_end_on": f"{_long(planned_end_on)} is a weekend or bank holiday: choose a working day, "
                f"such as {_long(before)}"
            }
        )


def _start_date_validate(*, episode: Episode, started_on: date) -> None:
    today = timezone.localdate()
    if started_on < today - timedelta(days=START_PAST_DAYS):
        raise ValidationError(
            {
                "started_on": f"The start date cannot be more than {START_PAST_DAYS} days ago: record an intervention "
                "when it starts"
            }
        )
    if started_on > today + timedelta(days=START_FUTURE_DAYS):
        raise ValidationError({"started_on": f"The start date must be within the next {START_FUTURE_DAYS} days"})
    if episode.allocated_at and started_on < timezone.localdate(episode.allocated_at):
        allocated = _long(timezone.localdate(episode.allocated_at))
        raise ValidationError(
            {"started_on": f"The start date cannot be before the episode was allocated, on {allocated}"}
        )


def team_work_refusal(*, user, episode: Episode, action: str) -> str:
    """Why `user` may not `action` (not a worker of the episode's Local Area Team), or "" when they may."""
    if user is None or team_workers(local_area_team=episode.local_area_team).filter(pk=user.pk).exists():
        return ""
    return f"Only workers of {episode.local_area_team} can {action}"


def intervention_may_start(episode: Episode, user=None) -> str:
    """Why an intervention cannot start on this episode now (for `user`, when given), or "" when it can."""
    try:
        episode_require_open(episode)
    except EpisodeError as error:
        return str(error)
    refusal = team_work_refusal(user=user, episode=episode, action="start an intervention for this family")
    if refusal:
        return refusal
    if episode.pathway != Episode.Pathway.TARGETED:
        return (
            "Child and Family Support is part of targeted early help. This episode is partner-led early help, so "
            "ask the Local Area Team to take it on as targeted help first"
        )
    if episode.status not in Episode.WORKING:
        status = episode.get_status_display().lower()
        return f"This episode is {status}: an intervention can start once a Local Area Team manager has allocated it"
    return ""


def _planned_end_from(*, started_on: date, weeks: int | None, planned_end_on: date | None) -> date:
    if weeks is None and planned_end_on is None:
        raise ValidationError({"weeks": "Enter the planned length in weeks, or a planned end date"})
    if weeks is not None and planned_end_on is not None:
        raise ValidationError({"weeks": "Enter either the planned length in weeks or a planned end date, not both"})
    if weeks is None:
        planned_end_validate(started_on=started_on, planned_end_on=planned_end_on)
        return planned_end_on
    if weeks > MAX_WEEKS:
        raise ValidationError({"weeks": f"{BEYOND_12_WEEKS}: plan {MAX_WEEKS} weeks or fewer now"})
    if weeks < MIN_WEEKS:
        raise ValidationError({"weeks": f"An intervention is planned for at least {MIN_WEEKS} weeks"})
    return intervention_planned_end(started_on, weeks)


@transaction.atomic
def intervention_start(
    *,
    user,
    episode: Episode,
    worker,
    kind: str,
    aims: str,
    started_on: date,
    weeks: int | None = None,
    planned_end_on: date | None = None,
) -> Intervention:
    """Start targeted Child and Family Support for a family, planned for 6 to 12 weeks."""
    episode = Episode.objects.select_for_update().select_related("family").get(pk=episode.pk)
    refusal = intervention_may_start(episode, user=user)
    if refusal:
        raise InterventionError(refusal)
    if not team_workers(local_area_team=episode.local_area_team).filter(pk=worker.pk).exists():
        raise ValidationError({"worker": f"Choose someone who works in {episode.local_area_team}"})
    _start_date_validate(episode=episode, started_on=started_on)
    planned_end = _planned_end_from(started_on=started_on, weeks=weeks, planned_end_on=planned_end_on)
    if episode.interventions.filter(kind=kind, status=Intervention.Status.ACTIVE).exists():
        label = Intervention.Kind(kind).label.lower() if kind in Intervention.Kind.values else kind
        raise ValidationError({"kind": f"The family already has an active intervention for {label}"})
    intervention = Intervention(
        episode=episode,
        family=episode.family,
        worker=worker,
        kind=kind,
        aims=aims.strip(),
        started_on=started_on,
        planned_end_on=planned_end,
    )
    intervention.full_clean()
    intervention.save()
    if worker.pk != user.pk:
        notify_about_family(
            user=worker,
            family=episode.family,
            message=f"You are the worker for {intervention.get_kind_display().lower()} with the "
            f"{episode.family.name} family, from {_long(started_on)}",
            url=reverse("cases:intervention_detail", kwargs={"uuid": intervention.uuid}),
            nameless=f"You are the worker for an intervention with a restricted family (reference "
            f"{episode.family.reference}), from {_long(started_on)}: ask to be added to its allow-list",
        )
    return intervention


CHANGE = "record sessions of, extend or end this intervention"
SESSION = "record a session of this intervention"
EXTEND = "ask to extend this intervention"
END = "end this intervention"


def intervention_require_active(intervention: Intervention, user=None, action: str = CHANGE) -> None:
    """Refuse changes to an intervention that has ended, or whose episode has, and (when `user` is given) changes by
    anyone who is not a worker of the episode's Local Area Team."""
    episode_require_open(intervention.episode)
    refusal = team_work_refusal(user=user, episode=intervention.episode, action=action)
    if refusal:
        raise InterventionError(refusal)
    if intervention.status != Intervention.Status.ACTIVE:
        raise InterventionError(
            f"This intervention is {intervention.get_status_display().lower()}, so it can no longer be changed"
        )


def _locked(intervention: Intervention) -> Intervention:
    return (
        Intervention.objects.select_for_update(of=("self",))
        .select_related("episode", "family", "episode__local_area_team")
        .get(pk=intervention.pk)
    )


@transaction.atomic
def session_record(
    *,
    user,
    intervention: Intervention,
    held_on: date,
    kind: str,
    people_seen: list,
    child_seen_alone: bool,
    notes: str,
) -> InterventionSession:
    """Record one session of an active intervention: when, how, who was seen, and what was done."""
    intervention = _locked(intervention)
    intervention_require_active(intervention, user=user, action=SESSION)
    errors: dict[str, str] = {}
    if held_on > timezone.localdate():
        errors["held_on"] = "The date of the session cannot be in the future"
    elif held_on < intervention.started_on:
        errors["held_on"] = (
            f"The date of the session cannot be before the intervention started, on {_long(intervention.started_on)}"
        )
    visible = family_people_visible(user=user, family=intervention.family)
    if len(people_seen) != visible.filter(pk__in=[p.pk for p in people_seen]).count():
        errors["people_seen"] = "Choose people from this family"
    elif kind == InterventionSession.Kind.NOT_ATTENDED and people_seen:
        errors["people_seen"] = "No one can have been seen at a session the family did not attend"
    children_seen = FamilyMember.objects.filter(
        family=intervention.family, role=FamilyMember.Role.CHILD, person__in=[p.pk for p in people_seen]
    ).exists()
    if child_seen_alone and not children_seen:
        errors["child_seen_alone"] = "A child can be seen alone only if a child was seen: choose who was seen"
    if not notes.strip():
        errors["notes"] = "Enter notes of the session"
    if errors:
        raise ValidationError(errors)
    session = InterventionSession(
        intervention=intervention,
        held_on=held_on,
        kind=kind,
        child_seen_alone=child_seen_alone,
        notes=notes.strip(),
        recorded_by=user,
    )
    session.full_clean()
    session.save()
    session.people_seen.set(people_seen)
    return session


def extension_waiting(intervention: Intervention) -> InterventionExtension | None:
    """The extension request still waiting for a manager's decision, if there is one."""
    return intervention.extensions.filter(status=InterventionExtension.Status.REQUESTED).first()


def _extension_end_validate(*, intervention: Intervention, new_end_on: date) -> None:
    twelve_weeks = intervention.started_on + timedelta(weeks=MAX_WEEKS)
    latest = intervention.started_on + timedelta(weeks=EXTENSION_MAX_WEEKS)
    if new_end_on <= intervention.planned_end_on:
        message = f"The new planned end must be after the current one, {_long(intervention.planned_end_on)}"
    elif new_end_on <= twelve_weeks:
        message = (
            f"Up to 12 weeks from the start ({_long(twelve_weeks)}) needs no extension: an extension is for "
            "a planned end beyond that"
        )
    elif new_end_on > latest:
        message = (
            f"An intervention can be extended to at most {EXTENSION_MAX_WEEKS} weeks from its start: "
            f"{_long(latest)} or earlier. If the family needs more, plan a new intervention with a review"
        )
    elif not is_working_day(new_end_on):
        message = (
            f"{_long(new_end_on)} is a weekend or bank holiday: choose a working day, such as "
            f"{_long(working_day_on_or_before(new_end_on))}"
        )
    else:
        return
    raise ValidationError({"new_end_on": message})


@transaction.atomic
def extension_request(*, user, intervention: Intervention, new_end_on: date, reason: str) -> InterventionExtension:
    """Ask a manager of the family's Local Area Team to let an intervention run beyond 12 weeks."""
    intervention = _locked(intervention)
    intervention_require_active(intervention, user=user, action=EXTEND)
    if extension_waiting(intervention) is not None:
        raise InterventionError("An extension request is already waiting for a manager's decision")
    _extension_end_validate(intervention=intervention, new_end_on=new_end_on)
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the family needs more time"})
    extension = InterventionExtension(
        intervention=intervention, new_end_on=new_end_on, reason=reason.strip(), requested_by=user
    )
    extension.full_clean()
    extension.save()
    today = timezone.localdate()
    episode = intervention.episode
    task_raise(
        family=intervention.family,
        episode=episode,
        kind=Task.Kind.EXTENSION_DECISION,
        key=f"extension:{extension.uuid}",
        title=f"Decide an extension of {intervention.get_kind_display().lower()} to {_long(new_end_on)}",
        team=episode.local_area_team,
        due_on=max(today, min(working_days_after(today, EXTENSION_DECISION_WORKING_DAYS), intervention.planned_end_on)),
    )
    url = reverse("cases:extension_decide", kwargs={"uuid": extension.uuid})
    notify_team_managers(
        family=intervention.family,
        message=f"{user.full_name} asks to extend an intervention with the {intervention.family.name} family",
        url=url,
        besides=user,
        local_area_team=episode.local_area_team,
    )
    return extension


def extension_may_decide(*, user, extension: InterventionExtension) -> str:
    """Why `user` cannot decide this extension now, or "" when they can."""
    intervention = extension.intervention
    if extension.status != InterventionExtension.Status.REQUESTED:
        return f"This extension was {extension.get_status_display().lower()}, so it cannot be decided again"
    try:
        intervention_require_active(intervention)
    except (EpisodeError, InterventionError) as error:
        return str(error)
    if not team_managers(local_area_team=intervention.episode.local_area_team).filter(pk=user.pk).exists():
        return f"Only a manager of {intervention.episode.local_area_team} can decide this extension"
    if extension.requested_by_id == user.pk:
        return "You asked for this extension, so another manager must decide it"
    return ""


@transaction.atomic
def extension_decide(*, user, extension: InterventionExtension, approve: bool, reason: str) -> InterventionExtension:
    """A manager of the family's team approves or refuses an extension; approval moves the planned end."""
    extension = (
        InterventionExtension.objects.select_for_update(of=("self",))
        .select_related("intervention__episode__local_area_team", "intervention__family", "requested_by")
        .get(pk=extension.pk)
    )
    intervention = _locked(extension.intervention)
    extension.intervention = intervention
    refusal = extension_may_decide(user=user, extension=extension)
    if refusal:
        raise InterventionError(refusal)
    if not approve and not reason.strip():
        raise ValidationError({"reason": "Enter why the extension is refused"})
    target = InterventionExtension.Status.APPROVED if approve else InterventionExtension.Status.REFUSED
    status_move(extension, target, error=InterventionError, noun="An extension")
    extension.decided_by = user
    extension.decided_at = timezone.now()
    extension.decision_reason = reason.strip()
    extension.full_clean()
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"])
    if approve:
        planned_end_validate(
            started_on=intervention.started_on, planned_end_on=extension.new_end_on, extended_to=extension.new_end_on
        )
        intervention.planned_end_on = extension.new_end_on
        intervention.full_clean()
        intervention.save(update_fields=["planned_end_on", "updated_at"])
    task_close(key=f"extension:{extension.uuid}")
    outcome = f"approved to {_long(extension.new_end_on)}" if approve else "refused"
    url = reverse("cases:intervention_detail", kwargs={"uuid": intervention.uuid})
    for person in {extension.requested_by, intervention.worker} - {user}:
        notify_about_family(
            user=person,
            family=intervention.family,
            message=f"The extension of an intervention with the {intervention.family.name} family was {outcome}",
            url=url,
            nameless=f"The extension of an intervention with a restricted family (reference "
            f"{intervention.family.reference}) was {outcome}",
        )
    return extension


ENDINGS = (Intervention.Status.COMPLETED, Intervention.Status.ENDED_EARLY)


@transaction.atomic
def intervention_end(*, user, intervention: Intervention, status: str, ended_on: date, outcome: str) -> Intervention:
    """Complete an intervention, or end it early, with the date and what changed for the family."""
    intervention = _locked(intervention)
    intervention_require_active(intervention, user=user, action=END)
    errors: dict[str, str] = {}
    if status not in ENDINGS:
        errors["status"] = "Choose whether the intervention was completed or ended early"
    if ended_on > timezone.localdate():
        errors["ended_on"] = "The end date cannot be in the future"
    elif ended_on < intervention.started_on:
        errors["ended_on"] = (
            f"The end date cannot be before the intervention started, on {_long(intervention.started_on)}"
        )
    if not outcome.strip():
        errors["outcome"] = "Enter the outcome: what changed for the family"
    if errors:
        raise ValidationError(errors)
    status_move(intervention, status, error=InterventionError, noun="An intervention")
    intervention.ended_on = ended_on
    intervention.outcome = outcome.strip()
    intervention.full_clean()
    intervention.save(update_fields=["status", "ended_on", "outcome", "updated_at"])
    waiting = extension_waiting(intervention)
    if waiting is not None:
        # No one is left to decide: the request closes, saying why, and leaves the managers' task list.
        status_move(waiting, InterventionExtension.Status.REFUSED, error=InterventionError, noun="An extension")
        waiting.decided_at = timezone.now()
        waiting.decision_reason = f"Not decided: the intervention ended on {_long(ended_on)}"
        waiting.save(update_fields=["status", "decided_at", "decision_reason", "updated_at"])
        task_close(key=f"extension:{waiting.uuid}")
    task_close(key=f"intervention_ending:{intervention.uuid}")  # the reminder the daily sweep raises near the end
    return intervention
