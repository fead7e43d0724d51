"""Reads of interventions, their sessions and extensions, always through the families a user may see."""

from dataclasses import dataclass
from datetime import date

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404

from cases.models import FamilyMember, Intervention, InterventionExtension, InterventionSession, Person
from cases.selectors import families_visible_to, family_people_visible, people_visible_to


def interventions_visible_to(user) -> QuerySet[Intervention]:
    """Interventions of the families `user` may see."""
    return Intervention.objects.filter(family__in=families_visible_to(user))


def intervention_get(*, user, uuid) -> Intervention:
    """An intervention of a family `user` may see, with its episode, family and worker, or 404."""
    try:
        return (
            interventions_visible_to(user)
            .select_related("episode", "episode__local_area_team", "family", "worker")
            .get(uuid=uuid)
        )
    except (Intervention.DoesNotExist, ValueError):
        raise Http404("No such intervention") from None


def extension_get(*, user, uuid) -> InterventionExtension:
    """An extension request on an intervention of a family `user` may see, or 404."""
    try:
        return (
            InterventionExtension.objects.filter(intervention__family__in=families_visible_to(user))
            .select_related(
                "intervention",
                "intervention__episode",
                "intervention__episode__local_area_team",
                "intervention__family",
                "intervention__worker",
                "requested_by",
                "decided_by",
            )
            .get(uuid=uuid)
        )
    except (InterventionExtension.DoesNotExist, ValueError):
        raise Http404("No such extension") from None


def intervention_sessions(*, user, intervention: Intervention) -> QuerySet[InterventionSession]:
    """Sessions newest first, each with who was seen, leaving out people `user` may not see."""
    seen = people_visible_to(user).order_by("last_name", "first_name")
    return (
        intervention.sessions.select_related("recorded_by")
        .prefetch_related(Prefetch("people_seen", queryset=seen, to_attr="visible_people_seen"))
        .order_by("-held_on", "-id")
    )


def intervention_extensions(*, intervention: Intervention) -> list[InterventionExtension]:
    """Every extension request of an intervention, newest first, with who asked and who decided."""
    return list(intervention.extensions.select_related("requested_by", "decided_by").order_by("-created_at", "-id"))


def session_people(*, user, family) -> QuerySet[Person]:
    """The family's members `user` may see, each with their role in the family, for "who was seen"."""
    role = FamilyMember.objects.filter(family=family, person=OuterRef("pk")).values("role")[:1]
    return family_people_visible(user=user, family=family).annotate(family_role=Subquery(role))


@dataclass(frozen=True)
class InterventionProgress:
    """Where an intervention is in its weeks: "Week 3 of 8" and "ends in 36 days", "ended", or "starts in"."""

    week: int | None
    weeks: int
    days_left: int
    ended: bool

    @property
    def week_text(self) -> str:
        if self.ended:
            return "Ended"
        if self.week is None:
            return f"Not started: {self.weeks} weeks planned"
        return f"Week {self.week} of {self.weeks}"

    @property
    def end_text(self) -> str:
        if self.ended:
            return "Ended"
        if self.days_left > 1:
            return f"Ends in {self.days_left} days"
        if self.days_left == 1:
            return "Ends tomorrow"
        if self.days_left == 0:
            return "Ends today"
        overdue = -self.days_left
        return f"The planned end was {overdue} day{'s' if overdue != 1 else ''} ago: end it or ask for an extension"


def intervention_progress(*, intervention: Intervention, today: date) -> InterventionProgress:
    """Which week of its plan an intervention is in on `today`, and how long it has left."""
    weeks = -(-(intervention.planned_end_on - intervention.started_on).days // 7)  # part weeks count as a week
    ended = intervention.status != Intervention.Status.ACTIVE
    week = None if today < intervention.started_on else (today - intervention.started_on).days // 7 + 1
    return InterventionProgress(
        week=week, weeks=weeks, days_left=(intervention.planned_end_on - today).days, ended=ended
    )
