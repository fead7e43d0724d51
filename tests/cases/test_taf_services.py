"""The Team Around the Family's rules: who may join (within consent), leaving, meeting due dates in working days,
recording a meeting (attendance, the scaling snapshot, the decision) and the episode's review cycle."""

from datetime import date, datetime
from itertools import product
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cases.models import Episode, FamilyUserObjectPermission, GoalScore, TafAttendance, TafMeeting, TafMember, Task
from cases.selectors import families_visible_to
from cases.services import family_restricted_allow
from cases.services.episodes import EpisodeError
from cases.services.taf import (
    FUTURE_HELD,
    TafError,
    initial_meeting_due,
    meeting_cancel,
    meeting_due_default,
    meeting_plan,
    meeting_record,
    review_due_after,
    taf_member_invite,
    taf_member_remove,
)
from consent.models import ConsentRecord, DisclosureLog
from earlyhelp.accounts.models import Notification
from earlyhelp.core import perms
from earlyhelp.core.states import status_move
from earlyhelp.core.working_time import _bank_holidays, is_working_day
from locality.models import Agency
from tests.conftest import _persona
from tests.factories import (
    AgencyFactory,
    AllocatedEpisodeFactory,
    AssessmentFactory,
    ConsentRecordFactory,
    ConsentShareFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    TafMeetingFactory,
    TafMemberFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def episode(own_family, cfs_worker_user):
    return AllocatedEpisodeFactory(
        family=own_family, lead_practitioner=cfs_worker_user, requested_at=datetime(2026, 1, 5, 9, tzinfo=LONDON)
    )


def consent_for(family, *, agency=None, agency_type="", status=ConsentRecord.Status.GIVEN) -> ConsentRecord:
    """Consent given by the family to share with one agency or one type of agency."""
    consent = ConsentRecordFactory(family=family, status=status)
    if agency is not None or agency_type:
        ConsentShareFactory(consent=consent, agency=agency, agency_type=agency_type)
    return consent


def invite(episode, invitee, *, by, role="Class teacher"):
    return taf_member_invite(user=by, episode=episode, invitee=invitee, role=role)


def visible(user, family) -> bool:
    return families_visible_to(user).filter(pk=family.pk).exists()


# State machines -------------------------------------------------------------------------------------------------

MEMBER_MOVES = {("active", "left")}
MEETING_MOVES = {("planned", "held"), ("planned", "cancelled")}


@pytest.mark.parametrize(("current", "target"), list(product(TafMember.Status.values, repeat=2)))
def test_taf_member_status_moves_only_from_active_to_left(current, target):
    member = TafMember(status=current)
    if (current, target) in MEMBER_MOVES:
        status_move(member, target, error=TafError, noun="A team member")
        assert member.status == target
    else:
        with pytest.raises(TafError):
            status_move(member, target, error=TafError, noun="A team member")


@pytest.mark.parametrize(("current", "target"), list(product(TafMeeting.Status.values, repeat=2)))
def test_taf_meeting_status_moves_only_from_planned(current, target):
    meeting = TafMeeting(status=current)
    if (current, target) in MEETING_MOVES:
        status_move(meeting, target, error=TafError, noun="A meeting")
        assert meeting.status == target
    else:
        with pytest.raises(TafError):
            status_move(meeting, target, error=TafError, noun="A meeting")


# Inviting, within consent ------------------------------------------------------------------------------------------


def test_taf_member_invite_refused_for_an_agency_outside_consent(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.HEALTH)
    with pytest.raises(TafError, match=r"consent does not cover sharing with Test Primary School \(school\)"):
        invite(episode, partner_user, by=cfs_worker_user)
    assert not TafMember.objects.exists()
    assert not DisclosureLog.objects.exists()
    assert not visible(partner_user, episode.family)


def test_taf_member_invite_refused_while_consent_is_only_requested(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL, status=ConsentRecord.Status.REQUESTED)
    with pytest.raises(TafError, match="consent does not cover"):
        invite(episode, partner_user, by=cfs_worker_user)


def test_taf_member_invite_refused_after_consent_for_the_agency_was_withdrawn(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency=partner_user.agency, status=ConsentRecord.Status.WITHDRAWN)
    with pytest.raises(TafError, match="consent does not cover"):
        invite(episode, partner_user, by=cfs_worker_user)


@pytest.mark.parametrize("scope", ["agency", "agency_type", "override"])
def test_taf_member_invite_allowed_within_consent(scope, episode, partner_user, cfs_worker_user):
    if scope == "agency":
        consent = consent_for(episode.family, agency=partner_user.agency)
    elif scope == "agency_type":
        consent = consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    else:
        consent = ConsentRecordFactory(
            family=episode.family,
            status=ConsentRecord.Status.DISPENSED,
            override_reason=ConsentRecord.OverrideReason.values[0],
        )
    member = invite(episode, partner_user, by=cfs_worker_user, role="  Class   teacher ")
    assert member.status == TafMember.Status.ACTIVE
    assert member.role == "Class teacher"
    assert member.agency == partner_user.agency
    assert member.invited_by == cfs_worker_user
    disclosure = DisclosureLog.objects.get()
    assert disclosure.consent == consent
    assert disclosure.basis == ("override" if scope == "override" else "consent")


def test_taf_member_invite_grants_access_logs_the_disclosure_and_tells_the_invitee(
    episode, partner_user, cfs_worker_user
):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    assert not visible(partner_user, episode.family)
    invite(episode, partner_user, by=cfs_worker_user)
    assert visible(partner_user, episode.family)
    disclosure = DisclosureLog.objects.get()
    assert disclosure.what == "Team Around the Family membership"
    assert (disclosure.recipient_user, disclosure.recipient_agency) == (partner_user, partner_user.agency)
    assert disclosure.disclosed_by == cfs_worker_user
    notice = Notification.objects.get(user=partner_user)
    assert episode.family.name in notice.message
    assert str(episode.family.uuid) in notice.url


def test_taf_member_invite_refuses_someone_already_in_the_team(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    invite(episode, partner_user, by=cfs_worker_user)
    with pytest.raises(TafError, match="already a member of the team"):
        invite(episode, partner_user, by=cfs_worker_user)
    assert TafMember.objects.count() == 1


def test_taf_member_invite_allows_a_former_member_back(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    taf_member_remove(user=cfs_worker_user, member=invite(episode, partner_user, by=cfs_worker_user))
    invite(episode, partner_user, by=cfs_worker_user)
    assert list(TafMember.objects.values_list("status", flat=True).order_by("id")) == ["left", "active"]
    assert visible(partner_user, episode.family)


def test_taf_member_invite_own_team_staff_need_no_grant_or_disclosure(episode, lats, council, cfs_worker_user):
    colleague = _persona(perms.LEAD_PRACTITIONER, lat=lats["tang-hall"], agency=council, name="Lee Colleague")
    member = invite(episode, colleague, by=cfs_worker_user, role="Family worker")
    assert member.status == TafMember.Status.ACTIVE
    assert not DisclosureLog.objects.exists()
    assert not FamilyUserObjectPermission.objects.filter(user=colleague).exists()
    assert visible(colleague, episode.family)


def test_taf_member_invite_refuses_the_lead_practitioner(episode, cfs_worker_user):
    with pytest.raises(TafError, match="lead practitioner"):
        invite(episode, cfs_worker_user, by=cfs_worker_user)


def test_taf_member_invite_refuses_someone_without_a_casework_role(episode, mash_screener_user, cfs_worker_user):
    consent_for(episode.family, agency=mash_screener_user.agency)
    with pytest.raises(TafError, match="casework role"):
        invite(episode, mash_screener_user, by=cfs_worker_user)


def test_taf_member_invite_refuses_an_inactive_practitioner(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    partner_user.is_active = False
    partner_user.save()
    with pytest.raises(TafError, match="casework role"):
        invite(episode, partner_user, by=cfs_worker_user)


def test_taf_member_invite_to_a_restricted_family_needs_the_allow_list(
    restricted_family, partner_user, lat_manager_user
):
    episode = AllocatedEpisodeFactory(family=restricted_family, lead_practitioner=lat_manager_user)
    consent_for(restricted_family, agency_type=Agency.Type.SCHOOL)
    with pytest.raises(TafError, match="restricted"):
        invite(episode, partner_user, by=lat_manager_user)
    assert not TafMember.objects.exists()
    assert not DisclosureLog.objects.exists()
    family_restricted_allow(family=restricted_family, user=partner_user)
    assert invite(episode, partner_user, by=lat_manager_user).status == TafMember.Status.ACTIVE


def test_taf_member_invite_needs_a_role(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    with pytest.raises(ValidationError) as error:
        invite(episode, partner_user, by=cfs_worker_user, role="   ")
    assert "role" in error.value.message_dict


def test_taf_member_invite_refused_once_the_episode_has_closed(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.CLOSED)
    episode.refresh_from_db()
    with pytest.raises(EpisodeError, match="closed"):
        invite(episode, partner_user, by=cfs_worker_user)


# Leaving ----------------------------------------------------------------------------------------------------------


def test_taf_member_remove_ends_membership_and_revokes_the_grant(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    member = invite(episode, partner_user, by=cfs_worker_user)
    with time_machine.travel(datetime(2026, 6, 10, 12, tzinfo=LONDON)):
        taf_member_remove(user=cfs_worker_user, member=member)
    member.refresh_from_db()
    assert (member.status, member.left_on) == (TafMember.Status.LEFT, date(2026, 6, 10))
    assert not visible(partner_user, episode.family)
    assert Notification.objects.filter(user=partner_user, message__contains="no longer in the Team").exists()


def test_taf_member_remove_keeps_the_lead_practitioners_grant(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    member = invite(episode, partner_user, by=cfs_worker_user)
    Episode.objects.filter(pk=episode.pk).update(lead_practitioner=partner_user)
    member.episode.refresh_from_db()
    taf_member_remove(user=cfs_worker_user, member=member)
    assert visible(partner_user, episode.family)


def test_taf_member_remove_twice_is_refused(episode, partner_user, cfs_worker_user):
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    member = invite(episode, partner_user, by=cfs_worker_user)
    taf_member_remove(user=cfs_worker_user, member=member)
    with pytest.raises(TafError, match="left cannot become left"):
        taf_member_remove(user=cfs_worker_user, member=member)


# Due dates in working days ----------------------------------------------------------------------------------------

# England and Wales bank holidays these tests lean on, checked against the data working_time uses.
BANK_HOLIDAYS = [date(2026, 4, 3), date(2026, 4, 6), date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)]
BANK_HOLIDAYS += [date(2027, 12, 27), date(2027, 12, 28)]


def test_taf_due_dates_lean_on_the_bundled_bank_holidays():
    assert set(BANK_HOLIDAYS) <= _bank_holidays()
    assert not any(is_working_day(day) for day in BANK_HOLIDAYS)


@pytest.mark.parametrize(
    ("held_on", "due"),
    [
        (date(2026, 1, 12), date(2026, 2, 23)),  # Monday to Monday, six weeks on
        (date(2026, 1, 10), date(2026, 2, 23)),  # six weeks on is a Saturday: the Monday after
        (date(2026, 2, 20), date(2026, 4, 7)),  # Good Friday, the weekend and Easter Monday: the Tuesday
        (date(2027, 11, 15), date(2027, 12, 29)),  # the Christmas and Boxing Day substitutes: the Wednesday
    ],
)
def test_review_due_after_is_six_weeks_on_a_working_day(held_on, due):
    assert review_due_after(held_on) == due


def test_review_due_after_follows_the_setting(settings):
    settings.TAF_REVIEW_WEEKS = 8
    assert review_due_after(date(2026, 1, 12)) == date(2026, 3, 9)


def test_initial_meeting_due_counts_working_days_from_the_assessments_authorisation(own_family):
    assessment = AssessmentFactory(
        family=own_family, status="authorised", decided_at=datetime(2026, 3, 20, 16, tzinfo=LONDON)
    )
    episode = AllocatedEpisodeFactory(
        family=own_family, assessment=assessment, allocated_at=datetime(2026, 1, 5, 10, tzinfo=LONDON)
    )
    # 15 working days from Friday 20 March 2026, skipping Good Friday and Easter Monday.
    assert initial_meeting_due(episode=episode) == date(2026, 4, 14)


def test_initial_meeting_due_counts_from_allocation_without_an_authorised_assessment(own_family):
    draft = AssessmentFactory(family=own_family, status="submitted")
    episode = AllocatedEpisodeFactory(
        family=own_family, assessment=draft, allocated_at=datetime(2026, 12, 18, 11, tzinfo=LONDON)
    )
    # 15 working days from Friday 18 December 2026, skipping Christmas, the Boxing Day substitute and New Year.
    assert initial_meeting_due(episode=episode) == date(2027, 1, 13)


def test_initial_meeting_due_follows_the_setting(own_family, settings):
    settings.TAF_INITIAL_MEETING_WORKING_DAYS = 5
    episode = AllocatedEpisodeFactory(family=own_family, allocated_at=datetime(2026, 4, 1, 9, tzinfo=LONDON))
    assert initial_meeting_due(episode=episode) == date(2026, 4, 10)  # Wed 1 April: 2, 7, 8, 9, 10


def test_meeting_due_default_for_a_review_follows_the_last_meeting(episode):
    TafMeetingFactory(episode=episode, status=TafMeeting.Status.HELD, held_on=date(2026, 2, 20))
    assert meeting_due_default(episode=episode, kind=TafMeeting.Kind.REVIEW) == date(2026, 4, 7)
    Episode.objects.filter(pk=episode.pk).update(next_review_due=date(2026, 4, 1))
    episode.refresh_from_db()
    assert meeting_due_default(episode=episode, kind=TafMeeting.Kind.REVIEW) == date(2026, 4, 1)


# Planning and cancelling -------------------------------------------------------------------------------------------


def test_meeting_plan_review_moves_the_episode_to_reviewing(episode, cfs_worker_user):
    meeting = meeting_plan(user=cfs_worker_user, episode=episode, kind="review", due_on=date(2026, 5, 1))
    episode.refresh_from_db()
    assert meeting.status == TafMeeting.Status.PLANNED
    assert (episode.status, episode.next_review_due) == (Episode.Status.REVIEWING, date(2026, 5, 1))


def test_meeting_plan_initial_leaves_the_episode_status(episode, cfs_worker_user):
    meeting_plan(user=cfs_worker_user, episode=episode, kind="initial", due_on=date(2026, 5, 1))
    episode.refresh_from_db()
    assert episode.status == Episode.Status.PLAN_ACTIVE


def test_meeting_plan_uses_the_due_date_by_the_rules_when_none_is_given(own_family, cfs_worker_user):
    episode = AllocatedEpisodeFactory(
        family=own_family,
        requested_at=datetime(2026, 12, 10, 9, tzinfo=LONDON),
        allocated_at=datetime(2026, 12, 18, 11, tzinfo=LONDON),
    )
    meeting = meeting_plan(user=cfs_worker_user, episode=episode, kind="initial")
    assert meeting.due_on == date(2027, 1, 13)


def test_meeting_plan_refuses_a_second_planned_meeting_of_the_same_kind(episode, cfs_worker_user):
    meeting_plan(user=cfs_worker_user, episode=episode, kind="review", due_on=date(2026, 5, 1))
    with pytest.raises(TafError, match="already planned, due 1 May 2026"):
        meeting_plan(user=cfs_worker_user, episode=episode, kind="review", due_on=date(2026, 5, 8))


def test_meeting_plan_refuses_a_second_initial_meeting(episode, cfs_worker_user):
    TafMeetingFactory(episode=episode, kind="initial", status=TafMeeting.Status.HELD, held_on=date(2026, 1, 5))
    with pytest.raises(TafError, match="initial meeting has already been held"):
        meeting_plan(user=cfs_worker_user, episode=episode, kind="initial", due_on=date(2026, 5, 1))


def test_meeting_plan_refused_once_the_episode_has_closed(episode, cfs_worker_user):
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.CLOSED)
    episode.refresh_from_db()
    with pytest.raises(EpisodeError):
        meeting_plan(user=cfs_worker_user, episode=episode, kind="review", due_on=date(2026, 5, 1))
    assert not TafMeeting.objects.exists()


def test_meeting_cancel_of_a_review_returns_the_episode_to_its_plan(episode, cfs_worker_user):
    meeting = meeting_plan(user=cfs_worker_user, episode=episode, kind="review", due_on=date(2026, 5, 1))
    meeting_cancel(user=cfs_worker_user, meeting=meeting)
    meeting.refresh_from_db()
    episode.refresh_from_db()
    assert meeting.status == TafMeeting.Status.CANCELLED
    assert episode.status == Episode.Status.PLAN_ACTIVE


@pytest.mark.parametrize("status", [TafMeeting.Status.HELD, TafMeeting.Status.CANCELLED])
def test_meeting_cancel_refused_unless_planned(status, episode, cfs_worker_user):
    meeting = TafMeetingFactory(episode=episode, status=status)
    with pytest.raises(TafError, match="cannot become cancelled"):
        meeting_cancel(user=cfs_worker_user, meeting=meeting)


# Recording a meeting -----------------------------------------------------------------------------------------------

TODAY = datetime(2026, 6, 10, 12, tzinfo=LONDON)


@pytest.fixture
def plan(episode, cfs_worker_user):
    return FamilyPlanFactory(episode=episode, family=episode.family, status="agreed", created_by=cfs_worker_user)


def record(meeting, *, by, **fields):
    values = {
        "held_on": date(2026, 6, 9),
        "family_present": True,
        "result": "improved",
        "decision": "continue",
        "notes": "Mornings are calmer",
        "next_review_due": date(2026, 7, 21),
    }
    return meeting_record(user=by, meeting=meeting, **(values | fields))


@time_machine.travel(TODAY)
def test_meeting_record_refuses_a_held_date_in_the_future(episode, cfs_worker_user):
    meeting = TafMeetingFactory(episode=episode)
    with pytest.raises(ValidationError) as error:
        record(meeting, by=cfs_worker_user, held_on=date(2026, 6, 11))
    assert error.value.message_dict["held_on"] == [FUTURE_HELD]
    meeting.refresh_from_db()
    assert meeting.status == TafMeeting.Status.PLANNED


@time_machine.travel(TODAY)
def test_meeting_record_allows_today(episode, cfs_worker_user):
    meeting = record(TafMeetingFactory(episode=episode), by=cfs_worker_user, held_on=date(2026, 6, 10))
    assert meeting.held_on == date(2026, 6, 10)


@time_machine.travel(TODAY)
def test_meeting_record_saves_the_scaling_snapshot(episode, plan, cfs_worker_user):
    first = GoalFactory(plan=plan, baseline=2, target=8, latest=3, position=1)
    second = GoalFactory(plan=plan, baseline=1, target=6, latest=1, position=2)
    GoalFactory(plan=plan, status="achieved", position=3)  # not scaled: no longer open
    GoalFactory(plan=FamilyPlanFactory(episode=episode, family=episode.family, version=2))  # a draft's goal
    meeting = TafMeetingFactory(episode=episode)
    record(meeting, by=cfs_worker_user, scores={first: 6, second: 4})
    scores = GoalScore.objects.filter(meeting=meeting).order_by("goal__position")
    assert [(s.goal, s.score, s.scored_on, s.recorded_by) for s in scores] == [
        (first, 6, date(2026, 6, 9), cfs_worker_user),
        (second, 4, date(2026, 6, 9), cfs_worker_user),
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.latest, second.latest) == (6, 4)
    assert first.lock_version == 1  # an edit started before the meeting is told the goal changed


@time_machine.travel(TODAY)
def test_meeting_record_needs_every_open_goal_scaled(episode, plan, cfs_worker_user):
    first = GoalFactory(plan=plan)
    GoalFactory(plan=plan)
    meeting = TafMeetingFactory(episode=episode)
    with pytest.raises(ValidationError, match="Scale every open goal"):
        record(meeting, by=cfs_worker_user, scores={first: 5})
    assert not GoalScore.objects.exists()


@time_machine.travel(TODAY)
def test_meeting_record_refuses_scores_for_goals_not_in_the_agreed_plan(episode, plan, cfs_worker_user):
    other = GoalFactory()  # another family's plan
    with pytest.raises(TafError, match="open goals"):
        record(TafMeetingFactory(episode=episode), by=cfs_worker_user, scores={other: 5})


@time_machine.travel(TODAY)
def test_meeting_record_saves_attendance(episode, partner_user, cfs_worker_user):
    TafMemberFactory(episode=episode, family=episode.family, user=partner_user)
    mother = FamilyMemberFactory(family=episode.family).person
    meeting = TafMeetingFactory(episode=episode)
    record(
        meeting,
        by=cfs_worker_user,
        practitioners={cfs_worker_user: "attended", partner_user: "apologies"},
        people={mother: "absent"},
        others=["Gran  Smith", "  "],
    )
    rows = {(a.user, a.person, a.name, a.attended) for a in TafAttendance.objects.filter(meeting=meeting)}
    assert rows == {
        (cfs_worker_user, None, "", "attended"),
        (partner_user, None, "", "apologies"),
        (None, mother, "", "absent"),
        (None, None, "Gran Smith", "attended"),
    }


@time_machine.travel(TODAY)
def test_meeting_record_refuses_attendance_for_someone_outside_the_team(episode, partner_user, cfs_worker_user):
    with pytest.raises(TafError, match="lead practitioner and the team"):
        record(TafMeetingFactory(episode=episode), by=cfs_worker_user, practitioners={partner_user: "attended"})


@time_machine.travel(TODAY)
def test_meeting_record_refuses_attendance_for_someone_outside_the_family(episode, other_family, cfs_worker_user):
    stranger = FamilyMemberFactory(family=other_family).person
    with pytest.raises(TafError, match="members of this family"):
        record(TafMeetingFactory(episode=episode), by=cfs_worker_user, people={stranger: "attended"})


@time_machine.travel(TODAY)
def test_meeting_record_sets_the_next_review_and_the_review_cycle(episode, cfs_worker_user):
    meeting = meeting_plan(user=cfs_worker_user, episode=episode, kind="review", due_on=date(2026, 6, 12))
    episode.refresh_from_db()
    assert episode.status == Episode.Status.REVIEWING
    record(meeting, by=cfs_worker_user, next_review_due=date(2026, 7, 24))
    episode.refresh_from_db()
    meeting.refresh_from_db()
    assert episode.status == Episode.Status.PLAN_ACTIVE
    assert episode.next_review_due == meeting.next_review_due == date(2026, 7, 24)
    assert (meeting.status, meeting.recorded_by, meeting.result) == ("held", cfs_worker_user, "improved")


@time_machine.travel(TODAY)
def test_meeting_record_needs_a_next_review_unless_closing_or_stepping_up(episode, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        record(TafMeetingFactory(episode=episode), by=cfs_worker_user, next_review_due=None)
    # Held on Tuesday 9 June 2026: six weeks on is Tuesday 21 July.
    assert error.value.message_dict["next_review_due"] == [
        "Enter when the next review is due (6 weeks after this meeting is 21 July 2026)"
    ]
    for decision in ("close", "step_up"):
        meeting = record(
            TafMeetingFactory(episode=episode), by=cfs_worker_user, decision=decision, next_review_due=None
        )
        assert meeting.next_review_due is None
    episode.refresh_from_db()
    assert episode.next_review_due is None


@time_machine.travel(TODAY)
def test_meeting_record_refuses_a_next_review_before_the_meeting(episode, cfs_worker_user):
    with pytest.raises(ValidationError, match="next review must be after"):
        record(TafMeetingFactory(episode=episode), by=cfs_worker_user, next_review_due=date(2026, 6, 9))


@time_machine.travel(TODAY)
def test_meeting_record_closes_the_review_reminder(episode, cfs_worker_user):
    reminder = TaskFactory(
        family=episode.family, episode=episode, kind=Task.Kind.REVIEW_DUE, key=f"review_due:{episode.uuid}"
    )
    unrelated = TaskFactory(family=episode.family, key="review_due:someone-else")
    record(TafMeetingFactory(episode=episode), by=cfs_worker_user)
    reminder.refresh_from_db()
    unrelated.refresh_from_db()
    assert (reminder.status, reminder.completed_on) == (Task.Status.DONE, date(2026, 6, 10))
    assert unrelated.status == Task.Status.OPEN


@time_machine.travel(TODAY)
@pytest.mark.parametrize("status", [TafMeeting.Status.HELD, TafMeeting.Status.CANCELLED])
def test_meeting_record_refused_unless_planned(status, episode, cfs_worker_user):
    meeting = TafMeetingFactory(episode=episode, status=status)
    with pytest.raises(TafError, match="cannot become held"):
        record(meeting, by=cfs_worker_user)


@time_machine.travel(TODAY)
def test_meeting_record_refused_once_the_episode_has_closed(episode, cfs_worker_user):
    meeting = TafMeetingFactory(episode=episode)
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.CLOSED)
    meeting.episode.refresh_from_db()
    with pytest.raises(EpisodeError):
        record(meeting, by=cfs_worker_user)


def test_taf_services_refuse_a_member_of_another_agency_type(episode, cfs_worker_user, lats):
    police = AgencyFactory(name="Test Police", type=Agency.Type.POLICE)
    officer = _persona(perms.PARTNER_PRACTITIONER, agency=police, name="Pip Police")
    consent_for(episode.family, agency_type=Agency.Type.SCHOOL)
    with pytest.raises(TafError, match=r"Test Police \(police\)"):
        invite(episode, officer, by=cfs_worker_user)
    consent_for(episode.family, agency=police)
    assert invite(episode, officer, by=cfs_worker_user).agency == police


def test_meeting_plan_refuses_a_due_date_before_the_request_or_over_a_year_ahead(episode, cfs_worker_user):
    with pytest.raises(ValidationError, match="before early help was requested"):
        meeting_plan(user=cfs_worker_user, episode=episode, kind="review", due_on=date(2025, 12, 31))
    with time_machine.travel(TODAY), pytest.raises(ValidationError, match="no more than a year ahead"):
        meeting_plan(user=cfs_worker_user, episode=episode, kind="review", due_on=date(2027, 6, 12))
    assert not TafMeeting.objects.exists()


@time_machine.travel(TODAY)
def test_meeting_record_refuses_a_next_review_over_a_year_on(episode, cfs_worker_user):
    with pytest.raises(ValidationError, match="within a year of the meeting"):
        record(TafMeetingFactory(episode=episode), by=cfs_worker_user, next_review_due=date(2027, 6, 11))


@time_machine.travel(TODAY)
def test_meeting_record_refuses_a_date_before_the_request(episode, cfs_worker_user):
    with pytest.raises(ValidationError, match="before early help was requested"):
        record(TafMeetingFactory(episode=episode), by=cfs_worker_user, held_on=date(2026, 1, 4))
