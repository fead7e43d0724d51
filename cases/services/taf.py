"""Writes for the Team Around the Family: inviting practitioners (within consent), their leaving, and planning,
recording and cancelling TAF meetings and reviews, with the goals' scaling at each meeting.

Due dates: the initial meeting within settings.TAF_INITIAL_MEETING_WORKING_DAYS working days of the assessment's
authorisation (or of allocation), then a review settings.TAF_REVIEW_WEEKS weeks after each meeting held, moved to
the next working day when that falls on a weekend or an England and Wales bank holiday.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import Episode, Goal, GoalScore, TafAttendance, TafMeeting, TafMember
from cases.selectors import families_visible_to
from cases.selectors.taf import goals_to_scale, meeting_last_held, meeting_practitioners, taf_invitees
from cases.services import family_access_grant, family_access_revoke
from cases.services.episodes import episode_move, episode_require_open
from cases.services.work import REVIEW_DUE, task_close, task_key
from consent.selectors import agency_may_receive
from consent.services import disclosure_record
from earlyhelp.accounts.services import notify
from earlyhelp.core.states import status_move
from earlyhelp.core.working_time import working_day_on_or_after, working_days_after
from locality.selectors import team_ids_with_case_access

DISCLOSURE_WHAT = "Team Around the Family membership"
ENDING_DECISIONS = (TafMeeting.Decision.CLOSE, TafMeeting.Decision.STEP_UP)
FUTURE_HELD = "A meeting cannot be recorded as held on a date in the future"
PLAN_AHEAD_DAYS = 366  # meetings and reviews are planned at most a year ahead


class TafError(Exception):
    """A change to the Team Around the Family that the rules refuse; the message is shown to the user."""


# Due dates -----------------------------------------------------------------------------------------------------


def long_date(day: date) -> str:
    """A date as GOV.UK writes it: 3 March 2027."""
    return f"{day.day} {day:%B %Y}"


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def review_due_after(held_on: date) -> date:
    """When the next review is due after a meeting held on `held_on`: TAF_REVIEW_WEEKS weeks later, on a working
    day."""
    return working_day_on_or_after(held_on + timedelta(weeks=settings.TAF_REVIEW_WEEKS))


def initial_meeting_due(*, episode: Episode) -> date:
    """When the initial TAF meeting is due: TAF_INITIAL_MEETING_WORKING_DAYS working days after the assessment was
    authorised, or after allocation (or the request) when the episode has no authorised assessment."""
    assessment = episode.assessment
    authorised = None
    if assessment is not None and assessment.status in (assessment.Status.AUTHORISED, assessment.Status.SUPERSEDED):
        authorised = assessment.decided_at
    start = _local_date(authorised) or _local_date(episode.allocated_at) or _local_date(episode.requested_at)
    return working_days_after(start, settings.TAF_INITIAL_MEETING_WORKING_DAYS)


def meeting_due_default(*, episode: Episode, kind: str) -> date | None:
    """The due date a new meeting of `kind` is offered: the initial meeting's deadline, or the next review due."""
    if kind == TafMeeting.Kind.INITIAL:
        return initial_meeting_due(episode=episode)
    if episode.next_review_due:
        return episode.next_review_due
    last = meeting_last_held(episode=episode)
    if last is not None and last.held_on:
        return review_due_after(last.held_on)
    return initial_meeting_due(episode=episode) if kind == TafMeeting.Kind.REVIEW else None


# Members -------------------------------------------------------------------------------------------------------


def _sees_family_by_team(*, family, user) -> bool:
    return team_ids_with_case_access(user).filter(pk=family.local_area_team_id).exists()


def _type_name(agency) -> str:
    """The agency's type inside a sentence: "school", "early years", but "GP practice"."""
    label = agency.get_type_display()
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _consent_refusal(*, family, agency) -> str | None:
    """Why the family's consent does not cover `agency`, or None when it does."""
    decision = agency_may_receive(family=family, agency=agency)
    if decision.allowed:
        return None
    if agency is None:
        return decision.message
    return (
        f"The family's consent does not cover sharing with {agency} ({_type_name(agency)}). "
        "Ask the family for consent to share with this agency, or, if asking would put a child at risk, ask a "
        "manager to record a safeguarding override"
    )


@transaction.atomic
def taf_member_invite(*, user, episode: Episode, invitee, role: str) -> TafMember:
    """Add a practitioner to the family's team, within consent: their per-family grant, a disclosure row, and a
    notification. Staff of the family's own Local Area Team already see it, so they need neither."""
    episode_require_open(episode)
    family = episode.family
    role = " ".join(role.split())
    if not role:
        raise ValidationError({"role": "Enter their role in the team, for example school nurse"})
    if not taf_invitees(episode=episode).filter(pk=invitee.pk).exists():
        if TafMember.objects.filter(episode=episode, user=invitee, status=TafMember.Status.ACTIVE).exists():
            raise TafError(f"{invitee} is already a member of the team")
        raise TafError(f"{invitee} cannot be invited: they do not hold a casework role in this service")
    if invitee.pk == episode.lead_practitioner_id:
        raise TafError(f"{invitee} is the lead practitioner, so is already in the team")
    if not _sees_family_by_team(family=family, user=invitee):
        refusal = _consent_refusal(family=family, agency=invitee.agency)
        if refusal:
            raise TafError(refusal)
        disclosure_record(user=user, family=family, what=DISCLOSURE_WHAT, agency=invitee.agency, recipient_user=invitee)
        family_access_grant(family=family, user=invitee)
    if not families_visible_to(invitee).filter(pk=family.pk).exists():
        raise TafError(f"{invitee} cannot see this family's record (it is restricted), so cannot join its team")
    member = TafMember(episode=episode, family=family, user=invitee, agency=invitee.agency, role=role, invited_by=user)
    member.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        raise TafError(f"{invitee} is already a member of the team") from None
    notify(
        user=invitee,
        message=f"You have been added to the Team Around the Family for the {family.name} family",
        url=reverse("cases:family_detail", kwargs={"uuid": family.uuid}),
    )
    return member


@transaction.atomic
def taf_member_remove(*, user, member: TafMember) -> TafMember:
    """A member leaves the team: their per-family grant ends (unless they lead the episode) and they are told."""
    episode = member.episode
    episode_require_open(episode)
    member = TafMember.objects.select_for_update().select_related("family", "user").get(pk=member.pk)
    status_move(member, TafMember.Status.LEFT, error=TafError, noun="A team member")
    member.left_on = timezone.localdate()
    member.save(update_fields=["status", "left_on", "updated_at"])
    if member.user_id != episode.lead_practitioner_id:
        family_access_revoke(family=member.family, user=member.user)
    notify(
        user=member.user, message=f"You are no longer in the Team Around the Family for the {member.family.name} family"
    )
    return member


# Meetings ------------------------------------------------------------------------------------------------------


@transaction.atomic
def meeting_plan(*, user, episode: Episode, kind: str, due_on: date | None = None) -> TafMeeting:
    """Plan a TAF meeting due by `due_on` (by default, when the rules say it is due). Planning a review moves an
    episode with an active plan to reviewing."""
    episode_require_open(episode)
    if kind not in TafMeeting.Kind.values:
        raise ValidationError({"kind": "Select the type of meeting"})
    due_on = due_on or meeting_due_default(episode=episode, kind=kind)
    if due_on is None:
        raise ValidationError({"due_on": "Enter the date the meeting is due"})
    if due_on < timezone.localdate(episode.requested_at):
        raise ValidationError({"due_on": "The meeting cannot be due before early help was requested"})
    if due_on > timezone.localdate() + timedelta(days=PLAN_AHEAD_DAYS):
        raise ValidationError({"due_on": "Plan meetings no more than a year ahead"})
    meetings = TafMeeting.objects.filter(episode=episode)
    label = TafMeeting.Kind(kind).label
    already = meetings.filter(kind=kind, status=TafMeeting.Status.PLANNED).first()
    if already is not None:
        due = f", due {long_date(already.due_on)}" if already.due_on else ""
        raise TafError(f"{label} is already planned{due}. Record or cancel it first")
    if kind == TafMeeting.Kind.INITIAL and meetings.filter(kind=kind, status=TafMeeting.Status.HELD).exists():
        raise TafError("The initial meeting has already been held. Plan a review instead")
    meeting = TafMeeting(episode=episode, family=episode.family, kind=kind, due_on=due_on)
    meeting.full_clean()
    meeting.save()
    if kind == TafMeeting.Kind.REVIEW:
        episode.next_review_due = due_on
        episode.save(update_fields=["next_review_due", "updated_at"])
        if episode.status == Episode.Status.PLAN_ACTIVE:
            episode_move(episode=episode, status=Episode.Status.REVIEWING)
    return meeting


def _review_finished(*, episode: Episode) -> None:
    """Back to the active plan once no review is waiting."""
    waiting = TafMeeting.objects.filter(episode=episode, kind=TafMeeting.Kind.REVIEW, status=TafMeeting.Status.PLANNED)
    if episode.status == Episode.Status.REVIEWING and not waiting.exists():
        episode_move(episode=episode, status=Episode.Status.PLAN_ACTIVE)


@transaction.atomic
def meeting_cancel(*, user, meeting: TafMeeting) -> TafMeeting:
    """Cancel a planned meeting; a cancelled review returns the episode to its active plan."""
    episode_require_open(meeting.episode)
    meeting = TafMeeting.objects.select_for_update().get(pk=meeting.pk)
    status_move(meeting, TafMeeting.Status.CANCELLED, error=TafError, noun="A meeting")
    meeting.save(update_fields=["status", "updated_at"])
    _review_finished(episode=meeting.episode)
    return meeting


def _review_hint(held_on: date) -> str:
    return f"{settings.TAF_REVIEW_WEEKS} weeks after this meeting is {long_date(review_due_after(held_on))}"


def _validate_record(
    *, meeting: TafMeeting, held_on: date, result: str, decision: str, next_review_due: date | None
) -> None:
    errors = {}
    if not result:
        errors["result"] = "Select how things have changed for the family"
    if not decision:
        errors["decision"] = "Select what the meeting decided"
    if held_on > timezone.localdate():
        errors["held_on"] = FUTURE_HELD
    elif held_on < timezone.localdate(meeting.episode.requested_at):
        errors["held_on"] = "The meeting cannot have been held before early help was requested"
    if decision not in ENDING_DECISIONS:
        if next_review_due is None:
            hint = "" if "held_on" in errors else f" ({_review_hint(held_on)})"
            errors["next_review_due"] = f"Enter when the next review is due{hint}"
        elif next_review_due <= held_on:
            errors["next_review_due"] = "The next review must be after the date the meeting was held"
        elif next_review_due > held_on + timedelta(days=PLAN_AHEAD_DAYS):
            errors["next_review_due"] = "The next review must be within a year of the meeting"
    if errors:
        raise ValidationError(errors)


def _attendance_save(*, meeting: TafMeeting, practitioners: dict, people: dict, others: list[str]) -> None:
    expected = {p.pk for p in meeting_practitioners(episode=meeting.episode)}
    if not {u.pk for u in practitioners} <= expected:
        raise TafError("Record attendance only for the lead practitioner and the team's members")
    family_ids = set(meeting.family.members.values_list("person_id", flat=True))
    if not {p.pk for p in people} <= family_ids:
        raise TafError("Record attendance only for members of this family")
    rows = [TafAttendance(meeting=meeting, user=u, attended=a) for u, a in practitioners.items()]
    rows += [TafAttendance(meeting=meeting, person=p, attended=a) for p, a in people.items()]
    rows += [TafAttendance(meeting=meeting, name=" ".join(n.split())) for n in others if n.strip()]
    for row in rows:
        row.full_clean()
        row.save()  # one by one, so each keeps its history row


def _scores_save(*, user, meeting: TafMeeting, scores: dict) -> None:
    """The scaling snapshot: one GoalScore per open goal of the agreed plan, and each goal's latest scale."""
    given = {goal.pk: score for goal, score in scores.items()}
    open_goals = {g.pk for g in goals_to_scale(episode=meeting.episode)}
    if not set(given) <= open_goals:
        raise TafError("Scale only the open goals of the family's agreed plan")
    if open_goals - set(given):
        raise ValidationError("Scale every open goal of the plan from 0 to 10")
    for goal in Goal.objects.select_for_update().filter(pk__in=given).order_by("pk"):
        score = given[goal.pk]
        row = GoalScore(goal=goal, score=score, scored_on=meeting.held_on, meeting=meeting, recorded_by=user)
        row.full_clean()
        row.save()
        goal.latest = score
        goal.lock_version += 1  # someone editing the goal meanwhile is told it changed
        goal.save(update_fields=["latest", "lock_version", "updated_at"])


@transaction.atomic
def meeting_record(
    *,
    user,
    meeting: TafMeeting,
    held_on: date,
    family_present: bool,
    result: str,
    decision: str,
    notes: str = "",
    next_review_due: date | None = None,
    practitioners: dict | None = None,
    people: dict | None = None,
    others: list[str] | None = None,
    scores: dict | None = None,
) -> TafMeeting:
    """Record a planned meeting as held: who came, each open goal's scale, the result, the decision and when the
    next review is due. A held review returns the episode to its active plan and closes its review reminder."""
    episode = meeting.episode
    episode_require_open(episode)
    _validate_record(
        meeting=meeting, held_on=held_on, result=result, decision=decision, next_review_due=next_review_due
    )
    meeting = TafMeeting.objects.select_for_update().select_related("family").get(pk=meeting.pk)
    meeting.episode = episode
    status_move(meeting, TafMeeting.Status.HELD, error=TafError, noun="A meeting")
    ending = decision in ENDING_DECISIONS
    meeting.held_on = held_on
    meeting.family_present = family_present
    meeting.result = result
    meeting.decision = decision
    meeting.notes = notes.strip()
    meeting.next_review_due = None if ending else next_review_due
    meeting.recorded_by = user
    meeting.full_clean()
    meeting.save()
    _attendance_save(meeting=meeting, practitioners=practitioners or {}, people=people or {}, others=others or [])
    _scores_save(user=user, meeting=meeting, scores=scores or {})
    episode.next_review_due = meeting.next_review_due
    episode.save(update_fields=["next_review_due", "updated_at"])
    if meeting.kind == TafMeeting.Kind.REVIEW:
        _review_finished(episode=episode)
    task_close(key=task_key(REVIEW_DUE, episode))
    return meeting
