"""Reads for the Team Around the Family: its members, the practitioners who may join, and its meetings.

Every read starts from the families a user may see, so a record outside their scope is a 404.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet
from django.http import Http404

from cases.models import Episode, FamilyPlan, Goal, GoalScore, TafAttendance, TafMeeting, TafMember
from cases.selectors import families_visible_to, family_people_visible
from cases.selectors.episodes import episode_get
from cases.selectors.plans import person_is_hidden, visible_person_ids
from earlyhelp.core import perms

# Roles that do casework: the practitioners who can be asked to join a family's team.
CASEWORK_ROLES = tuple(slug for slug, role in perms.ROLES.items() if perms.EDIT_PLAN in role.permissions)


@dataclass
class TafPage:
    """What the Team Around the Family page shows, read in a fixed number of queries."""

    episode: Episode
    members: list[TafMember] = field(default_factory=list)
    former: list[TafMember] = field(default_factory=list)
    planned: list[TafMeeting] = field(default_factory=list)
    held: list[TafMeeting] = field(default_factory=list)
    cancelled: list[TafMeeting] = field(default_factory=list)

    @property
    def next_review_due(self) -> date | None:
        return self.episode.next_review_due


def taf_page(*, user, uuid) -> TafPage:
    """An episode's team and meetings, for a user who may see its family (404 otherwise). Four queries."""
    episode = episode_get(user=user, uuid=uuid)
    page = TafPage(episode=episode)
    for member in (
        TafMember.objects.filter(episode=episode).select_related("user", "agency").order_by("created_at", "id")
    ):
        (page.members if member.status == TafMember.Status.ACTIVE else page.former).append(member)
    page.former.sort(key=lambda m: (m.left_on or date.min, m.id), reverse=True)
    for meeting in TafMeeting.objects.filter(episode=episode).order_by("due_on", "held_on", "id"):
        {
            TafMeeting.Status.PLANNED: page.planned,
            TafMeeting.Status.HELD: page.held,
            TafMeeting.Status.CANCELLED: page.cancelled,
        }[meeting.status].append(meeting)
    page.held.sort(key=lambda m: (m.held_on or date.min, m.id), reverse=True)
    return page


def taf_member_get(*, user, uuid) -> TafMember:
    """One team member of a family `user` may see, or 404."""
    try:
        return TafMember.objects.select_related("episode", "family", "user", "agency").get(
            family__in=families_visible_to(user), uuid=uuid
        )
    except (TafMember.DoesNotExist, ValueError):
        raise Http404("No such team member") from None


def taf_members_active(*, episode: Episode) -> QuerySet[TafMember]:
    return TafMember.objects.filter(episode=episode, status=TafMember.Status.ACTIVE).select_related("user", "agency")


def taf_invitees(*, episode: Episode) -> QuerySet:
    """Practitioners who may be invited: active people holding a casework role who are not already in the team,
    by agency then name."""
    from earlyhelp.accounts.models import User

    in_team = taf_members_active(episode=episode).values("user_id")
    return (
        User.objects.filter(is_active=True, is_service_account=False, memberships__role__in=CASEWORK_ROLES)
        .exclude(pk__in=in_team)
        .distinct()
        .select_related("agency")
        .order_by("agency__name", "full_name", "id")
    )


def meeting_get(*, user, uuid) -> TafMeeting:
    """One TAF meeting of a family `user` may see, or 404."""
    try:
        return TafMeeting.objects.select_related("episode", "episode__lead_practitioner", "family", "recorded_by").get(
            family__in=families_visible_to(user), uuid=uuid
        )
    except (TafMeeting.DoesNotExist, ValueError):
        raise Http404("No such meeting") from None


def meeting_page(*, user, uuid) -> TafMeeting:
    """A meeting with who came and how each goal scaled, in a fixed number of queries. A family member `user` may
    not see is marked hidden (`person_hidden` on the attendance row or the goal), never named."""
    meeting = meeting_get(user=user, uuid=uuid)
    visible = visible_person_ids(user=user, family=meeting.family)
    meeting.attendance_list = list(
        TafAttendance.objects.filter(meeting=meeting).select_related("user", "user__agency", "person")
    )
    for row in meeting.attendance_list:
        row.person_hidden = person_is_hidden(row.person_id, visible)
    meeting.score_list = list(
        GoalScore.objects.filter(meeting=meeting)
        .select_related("goal", "goal__person")
        .order_by("goal__position", "id")
    )
    for score in meeting.score_list:
        score.goal.person_hidden = person_is_hidden(score.goal.person_id, visible)
    return meeting


def meeting_last_held(*, episode: Episode) -> TafMeeting | None:
    return TafMeeting.objects.filter(episode=episode, status=TafMeeting.Status.HELD).order_by("-held_on", "-id").first()


def plan_agreed(*, episode: Episode) -> FamilyPlan | None:
    """The episode's current agreed plan, if it has one."""
    return FamilyPlan.objects.filter(episode=episode, status=FamilyPlan.Status.AGREED).first()


def goals_to_scale(*, episode: Episode, user=None) -> list[Goal]:
    """The open goals of the episode's agreed plan: each is scaled at a meeting. Given `user`, a goal about a family
    member they may not see is kept (every open goal is scaled) but marked `person_hidden`, so it is never named."""
    goals = list(
        Goal.objects.filter(plan__episode=episode, plan__status=FamilyPlan.Status.AGREED, status=Goal.Status.OPEN)
        .select_related("person")
        .order_by("position", "id")
    )
    if user is not None:
        visible = visible_person_ids(user=user, family=episode.family)
        for goal in goals:
            goal.person_hidden = person_is_hidden(goal.person_id, visible)
    return goals


def meeting_practitioners(*, episode: Episode) -> list:
    """The practitioners whose attendance is recorded: the lead practitioner, then each active team member."""
    people = [episode.lead_practitioner] if episode.lead_practitioner_id else []
    for member in taf_members_active(episode=episode):
        if member.user_id != episode.lead_practitioner_id:
            people.append(member.user)
    return people


def meeting_family_members(*, user, episode: Episode) -> list:
    """The family members `user` may see, whose attendance is recorded."""
    return list(family_people_visible(user=user, family=episode.family))
