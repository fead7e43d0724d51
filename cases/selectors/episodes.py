"""Reads of episodes, always through the families a user may see, and the rules that say why an action on an
episode is not possible now (services refuse with the same words the pages show)."""

from datetime import date, datetime

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import Closure, Episode, FamilyPlan, Intervention, TafMeeting, TafMember, Transfer
from cases.selectors import families_visible_to, team_managers


def episode_get(*, user, uuid) -> Episode:
    """An episode of a family `user` may see, or 404."""
    try:
        return (
            Episode.objects.filter(family__in=families_visible_to(user))
            .select_related("family", "local_area_team", "lead_practitioner", "lead_agency")
            .get(uuid=uuid)
        )
    except (Episode.DoesNotExist, ValueError):
        raise Http404("No such episode") from None


def episode_open_for(*, family) -> Episode | None:
    """The family's one open episode, if it has one."""
    return Episode.objects.filter(family=family, status__in=Episode.OPEN).first()


def episode_page(*, user, uuid) -> Episode:
    """An episode with everything its overview page shows, in a fixed number of queries."""
    try:
        episode = (
            Episode.objects.filter(family__in=families_visible_to(user))
            .select_related(
                "family",
                "local_area_team",
                "lead_practitioner",
                "lead_agency",
                "allocated_by",
                "reopened_by",
                "assessment",
            )
            .prefetch_related(
                Prefetch("plans", queryset=FamilyPlan.objects.exclude(status=FamilyPlan.Status.SUPERSEDED)),
                Prefetch(
                    "taf_members",
                    queryset=TafMember.objects.filter(status=TafMember.Status.ACTIVE).select_related("user", "agency"),
                ),
                Prefetch("interventions", queryset=Intervention.objects.select_related("worker")),
                Prefetch("closures", queryset=Closure.objects.select_related("requested_by", "decided_by", "meeting")),
                Prefetch("transfers", queryset=Transfer.objects.select_related("created_by")),
            )
            .get(uuid=uuid)
        )
    except (Episode.DoesNotExist, ValueError):
        raise Http404("No such episode") from None
    plans = list(episode.plans.all())  # newest version first
    episode.current_plan = plans[0] if plans else None
    episode.closure_list = list(episode.closures.all())
    episode.awaiting_closure = next(
        (c for c in episode.closure_list if c.status == Closure.Status.AWAITING_APPROVAL), None
    )
    episode.step_up = next((t for t in episode.transfers.all() if t.direction == Transfer.Direction.STEP_UP), None)
    episode.days_open = ((episode.closed_at or timezone.now()) - episode.requested_at).days
    return episode


def closure_get(*, user, uuid) -> Closure:
    """A closure of a family `user` may see, or 404."""
    try:
        return (
            Closure.objects.filter(family__in=families_visible_to(user))
            .select_related("episode", "family", "family__local_area_team", "requested_by", "decided_by", "meeting")
            .get(uuid=uuid)
        )
    except (Closure.DoesNotExist, ValueError):
        raise Http404("No such closure") from None


def closure_meetings(*, episode: Episode) -> QuerySet[TafMeeting]:
    """Closure TAF meetings of this episode that were held and decided to close: any one lets closure happen at
    once, without a manager's approval."""
    return TafMeeting.objects.filter(
        episode=episode,
        kind=TafMeeting.Kind.CLOSURE,
        status=TafMeeting.Status.HELD,
        decision=TafMeeting.Decision.CLOSE,
    ).order_by("-held_on", "-id")


def step_up_transfer(*, episode: Episode) -> Transfer | None:
    """The step-up to children's social care that ended this episode, if there was one."""
    return episode.transfers.filter(direction=Transfer.Direction.STEP_UP).order_by("-created_at").first()


def latest_authorised_assessment(*, family):
    """The family's newest authorised whole-family assessment, which a new episode's plan is built on."""
    from assessments.models import EarlyHelpAssessment

    return family.assessments.filter(status=EarlyHelpAssessment.Status.AUTHORISED).order_by("-version").first()


def manages_team(*, user, local_area_team) -> bool:
    """Whether `user` is a manager of this Local Area Team."""
    return team_managers(local_area_team=local_area_team).filter(pk=user.pk).exists()


def add_months(day: date | datetime, months: int):
    """The same day `months` later, or the last day of that month when it is shorter (31 May + 1 = 30 June)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def reopen_until(*, episode: Episode) -> datetime | None:
    """The last moment a closed episode can be reopened."""
    if episode.closed_at is None:
        return None
    return add_months(episode.closed_at, settings.CASE_REOPEN_MONTHS)


# Why an action is not possible now. Each returns "" when it is; the service raises the same words.


def episode_start_blocked(*, family) -> str:
    """Early help can be started only for a family with no open episode."""
    open_episode = episode_open_for(family=family)
    if open_episode is None:
        return ""
    return (
        f"The {family.name} family already has early help ({open_episode.get_status_display().lower()}, "
        f"{open_episode.local_area_team}). A family has one open episode at a time: work within that one"
    )


def closure_request_blocked(*, episode: Episode) -> str:
    if episode.status == Episode.Status.CLOSING:
        return "A closure of this episode is already waiting for a Local Area Team manager's decision"
    if not episode.is_open:
        return f"This episode is {episode.get_status_display().lower()}, so its records can no longer be changed"
    if episode.status == Episode.Status.REQUESTED:
        return (
            "This request for early help has not been allocated yet, so it cannot be closed. "
            "A Local Area Team manager allocates or declines it"
        )
    # Read through the episode's interventions, so the episode page's prefetched list answers without a query.
    active = next((i for i in episode.interventions.all() if i.status == Intervention.Status.ACTIVE), None)
    if active is not None:
        return (
            f"End the {active.get_kind_display().lower()} intervention before closing the episode: "
            "an episode closes only once its interventions have ended"
        )
    return ""


def closure_decide_blocked(*, user, closure: Closure) -> str:
    if closure.status != Closure.Status.AWAITING_APPROVAL:
        return f"This closure has already been decided: {closure.get_status_display().lower()}"
    if closure.episode.status != Episode.Status.CLOSING:
        return (
            f"This closure can no longer be decided: the episode is "
            f"{closure.episode.get_status_display().lower()}, not closing"
        )
    team = closure.family.local_area_team
    if not manages_team(user=user, local_area_team=team):
        return f"Only a manager of the {team} Local Area Team can decide this closure"
    if closure.requested_by_id == user.pk:
        return "You asked for this closure, so another manager must decide it"
    return ""


def episode_reopen_blocked(*, user, episode: Episode) -> str:
    if episode.status != Episode.Status.CLOSED:
        return f"Only a closed episode can be reopened. This one is {episode.get_status_display().lower()}"
    team = episode.family.local_area_team
    if not manages_team(user=user, local_area_team=team):
        return f"Only a manager of the {team} Local Area Team can reopen this episode"
    until = reopen_until(episode=episode)
    if until is not None and timezone.now() > until:
        months = settings.CASE_REOPEN_MONTHS
        return (
            f"This episode closed on {timezone.localtime(episode.closed_at):%d %B %Y}, more than {months} months "
            "ago, so it can no longer be reopened. Start early help again instead"
        )
    other = Episode.objects.filter(family=episode.family, status__in=Episode.OPEN).exclude(pk=episode.pk).first()
    if other is not None:
        return (
            f"The family has other open early help ({other.get_status_display().lower()}), "
            "so this episode cannot be reopened"
        )
    return ""


def step_up_blocked(*, episode: Episode) -> str:
    if not episode.is_open:
        return f"This episode is {episode.get_status_display().lower()}, so its records can no longer be changed"
    if episode.status not in Episode.WORKING:
        state = episode.get_status_display().lower()
        return f"An episode that is {state} cannot be stepped up. Ask the MASH, or decide the closure first"
    return ""


def step_down_blocked(*, user, family) -> str:
    team = family.local_area_team
    if not manages_team(user=user, local_area_team=team):
        return f"Only a manager of the {team} Local Area Team can record a step-down for this family"
    return episode_start_blocked(family=family)


def grants_end_due(*, today: date) -> QuerySet[Closure]:
    """Approved closures whose grace period has run out, whose episode is still closed, and whose family has no
    open early help again: partners' access to the family is due to end."""
    return (
        Closure.objects.filter(
            status=Closure.Status.APPROVED,
            grants_end_on__lte=today,
            grants_ended_at__isnull=True,
            episode__status=Episode.Status.CLOSED,
        )
        .exclude(family__episodes__status__in=Episode.OPEN)
        .select_related("episode", "family")
    )
