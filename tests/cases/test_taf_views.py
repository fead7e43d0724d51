"""Team Around the Family pages: the team page, inviting and removing members, planning, recording, showing and
cancelling meetings. Allowed, outsider (404) and wrong role (403), errors shown, and what a success leaves."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from cases.models import Episode, GoalScore, TafAttendance, TafMeeting, TafMember
from consent.models import ConsentRecord, DisclosureLog
from earlyhelp.audit.models import AccessEvent
from locality.models import Agency
from tests.factories import (
    AllocatedEpisodeFactory,
    ConsentRecordFactory,
    ConsentShareFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    MembershipFactory,
    PersonFactory,
    TafMeetingFactory,
    TafMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
TODAY = datetime(2026, 6, 10, 12, tzinfo=LONDON)
ERROR_SUMMARY = 'class="govuk-error-summary"'


@pytest.fixture
def episode(own_family, cfs_worker_user):
    return AllocatedEpisodeFactory(
        family=own_family, lead_practitioner=cfs_worker_user, requested_at=datetime(2026, 1, 5, 9, tzinfo=LONDON)
    )


@pytest.fixture
def school_consent(own_family):
    consent = ConsentRecordFactory(family=own_family, status=ConsentRecord.Status.GIVEN)
    ConsentShareFactory(consent=consent, agency=None, agency_type=Agency.Type.SCHOOL)
    return consent


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# The team page -----------------------------------------------------------------------------------------------------


def test_taf_shows_lead_members_former_members_and_meetings(cfs_worker_client, episode, partner_user):
    TafMemberFactory(
        episode=episode, family=episode.family, user=partner_user, agency=partner_user.agency, role="Class teacher"
    )
    TafMemberFactory(
        episode=episode, family=episode.family, role="School nurse", status="left", left_on=date(2026, 3, 2)
    )
    TafMeetingFactory(episode=episode, kind="initial", status="held", held_on=date(2026, 2, 2), decision="continue")
    TafMeetingFactory(episode=episode, kind="review", due_on=date(2026, 3, 16))
    response = cfs_worker_client.get(reverse("cases:taf", kwargs={"uuid": episode.uuid}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Chris Worker" in page  # the lead practitioner
    assert "Pat Partner" in page and "Class teacher" in page and "Test Primary School" in page
    assert "Former members" in page and "School nurse" in page and "2 March 2026" in page
    assert "Initial TAF meeting" in page and "Continue the plan" in page and "16 March 2026" in page
    assert reverse("cases:taf_invite", kwargs={"uuid": episode.uuid}) in page
    assert reverse("cases:meeting_new", kwargs={"uuid": episode.uuid}) in page
    event = AccessEvent.objects.get(object_uuid=episode.uuid)
    assert (event.action, event.user.full_name) == ("view", "Chris Worker")


def test_taf_outside_scope_is_404(other_lat_client, episode):
    assert other_lat_client.get(reverse("cases:taf", kwargs={"uuid": episode.uuid})).status_code == 404


def test_taf_wrong_role_is_403(analyst_client, episode):
    assert analyst_client.get(reverse("cases:taf", kwargs={"uuid": episode.uuid})).status_code == 403


def test_taf_of_a_closed_episode_says_why_nothing_can_change(cfs_worker_client, episode):
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.CLOSED)
    response = cfs_worker_client.get(reverse("cases:taf", kwargs={"uuid": episode.uuid}))
    assert response.status_code == 200
    assert "This episode is closed" in response.content.decode()
    assert reverse("cases:taf_invite", kwargs={"uuid": episode.uuid}) not in response.content.decode()


# Session, user and the permission checks, the episode (its family in scope), members, meetings, and the access
# event (chain head, insert, update). The session is not saved (it was saved at sign-in, less than a minute ago).
# The same at 2 and at 20 members and meetings.
TAF_QUERIES = 10


@pytest.mark.parametrize("count", [2, 20])
def test_taf_query_count_is_constant(cfs_worker_client, episode, count, django_assert_num_queries):
    for n in range(count):
        TafMemberFactory(episode=episode, family=episode.family, status="left" if n % 2 else "active")
        TafMeetingFactory(episode=episode, status="held" if n % 2 else "planned", held_on=date(2026, 2, 2))
    url = reverse("cases:taf", kwargs={"uuid": episode.uuid})
    cfs_worker_client.get(url)  # the access log's chain has its head from here on, as in any running service
    with django_assert_num_queries(TAF_QUERIES):
        response = cfs_worker_client.get(url)
    assert response.status_code == 200
    assert len(response.context["page"].members) + len(response.context["page"].former) == count


# Inviting and removing ---------------------------------------------------------------------------------------------


def test_taf_invite_lists_practitioners_by_agency_then_name(cfs_worker_client, episode, partner_user):
    response = cfs_worker_client.get(reverse("cases:taf_invite", kwargs={"uuid": episode.uuid}))
    assert response.status_code == 200
    options = [label for _, label in response.context["form"].fields["practitioner"].choices][1:]
    assert "Pat Partner, Practitioner, Test Primary School" in options
    assert options.index("Chris Worker, Practitioner, City of York Council (test)") < options.index(
        "Pat Partner, Practitioner, Test Primary School"
    )


def test_taf_invite_adds_the_member(cfs_worker_client, episode, partner_user, school_consent):
    url = reverse("cases:taf_invite", kwargs={"uuid": episode.uuid})
    response = cfs_worker_client.post(url, {"practitioner": partner_user.pk, "role": "Class teacher"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:taf", kwargs={"uuid": episode.uuid})
    assert "Pat Partner is now in the Team Around the Family and has been told." in _messages(response)
    member = TafMember.objects.get()
    assert (member.user, member.role, member.status) == (partner_user, "Class teacher", "active")
    assert DisclosureLog.objects.filter(recipient_user=partner_user).count() == 1


def test_taf_invite_outside_consent_shows_why(cfs_worker_client, episode, partner_user):
    url = reverse("cases:taf_invite", kwargs={"uuid": episode.uuid})
    response = cfs_worker_client.post(url, {"practitioner": partner_user.pk, "role": "Class teacher"})
    assert response.status_code == 200
    page = response.content.decode()
    assert ERROR_SUMMARY in page
    assert "consent does not cover sharing with Test Primary School (school)" in page
    assert 'value="Class teacher"' in page  # nothing typed is lost
    assert not TafMember.objects.exists()


def test_taf_invite_form_errors_are_shown(cfs_worker_client, episode):
    response = cfs_worker_client.post(reverse("cases:taf_invite", kwargs={"uuid": episode.uuid}), {})
    page = response.content.decode()
    assert "Choose the practitioner to invite" in page
    assert "Enter their role in the team" in page


def test_taf_invite_of_a_closed_episode_says_why(cfs_worker_client, episode):
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.CLOSED)
    response = cfs_worker_client.get(reverse("cases:taf_invite", kwargs={"uuid": episode.uuid}))
    assert response.status_code == 200
    assert "so no one can join its team" in response.content.decode()


def test_taf_invite_outsider_404_and_wrong_role_403(other_lat_client, analyst_client, episode):
    url = reverse("cases:taf_invite", kwargs={"uuid": episode.uuid})
    assert other_lat_client.get(url).status_code == 404
    assert analyst_client.get(url).status_code == 403


def test_taf_member_remove_takes_away_the_partners_sight_of_the_family(
    cfs_worker_client, partner_client, episode, partner_user, school_consent
):
    cfs_worker_client.post(
        reverse("cases:taf_invite", kwargs={"uuid": episode.uuid}),
        {"practitioner": partner_user.pk, "role": "Class teacher"},
    )
    family_url = reverse("cases:family_detail", kwargs={"uuid": episode.family.uuid})
    assert partner_client.get(family_url).status_code == 200
    member = TafMember.objects.get()
    response = cfs_worker_client.post(reverse("cases:taf_member_remove", kwargs={"uuid": member.uuid}), follow=True)
    assert "Pat Partner has left the Team Around the Family and has been told." in _messages(response)
    member.refresh_from_db()
    assert member.status == TafMember.Status.LEFT
    assert partner_client.get(family_url).status_code == 404
    assert partner_client.get(reverse("cases:taf", kwargs={"uuid": episode.uuid})).status_code == 404


def test_taf_member_remove_twice_says_why(cfs_worker_client, episode):
    member = TafMemberFactory(episode=episode, family=episode.family, status="left")
    response = cfs_worker_client.post(reverse("cases:taf_member_remove", kwargs={"uuid": member.uuid}), follow=True)
    assert "A team member that is left cannot become left" in _messages(response)


def test_taf_member_remove_needs_post(cfs_worker_client, episode):
    member = TafMemberFactory(episode=episode, family=episode.family)
    assert cfs_worker_client.get(reverse("cases:taf_member_remove", kwargs={"uuid": member.uuid})).status_code == 405


def test_taf_member_remove_outsider_404(other_lat_client, episode):
    member = TafMemberFactory(episode=episode, family=episode.family)
    response = other_lat_client.post(reverse("cases:taf_member_remove", kwargs={"uuid": member.uuid}))
    assert response.status_code == 404
    member.refresh_from_db()
    assert member.status == TafMember.Status.ACTIVE


# Planning a meeting ------------------------------------------------------------------------------------------------


def test_meeting_new_shows_the_due_dates(cfs_worker_client, own_family):
    episode = AllocatedEpisodeFactory(family=own_family, allocated_at=datetime(2026, 12, 18, 11, tzinfo=LONDON))
    response = cfs_worker_client.get(reverse("cases:meeting_new", kwargs={"uuid": episode.uuid}))
    assert response.status_code == 200
    assert "13 January 2027" in response.content.decode()


def test_meeting_new_plans_a_review(cfs_worker_client, episode):
    response = cfs_worker_client.post(
        reverse("cases:meeting_new", kwargs={"uuid": episode.uuid}),
        {"kind": "review", "due_on_0": "20", "due_on_1": "7", "due_on_2": "2026"},
        follow=True,
    )
    meeting = TafMeeting.objects.get()
    assert response.redirect_chain[-1][0] == reverse("cases:meeting_detail", kwargs={"uuid": meeting.uuid})
    assert "Review planned, due 20 July 2026." in _messages(response)
    episode.refresh_from_db()
    assert episode.status == Episode.Status.REVIEWING


def test_meeting_new_errors_are_shown(cfs_worker_client, episode):
    response = cfs_worker_client.post(
        reverse("cases:meeting_new", kwargs={"uuid": episode.uuid}),
        {"kind": "party", "due_on_0": "30", "due_on_1": "2", "due_on_2": "2026"},
    )
    page = response.content.decode()
    assert ERROR_SUMMARY in page
    assert "Select the type of meeting" in page
    assert "must be a real date" in page
    assert not TafMeeting.objects.exists()


def test_meeting_new_wrong_role_403_and_outsider_404(analyst_client, other_lat_client, episode):
    url = reverse("cases:meeting_new", kwargs={"uuid": episode.uuid})
    assert analyst_client.get(url).status_code == 403
    assert other_lat_client.post(url, {"kind": "review"}).status_code == 404


# Recording a meeting -----------------------------------------------------------------------------------------------


@pytest.fixture
def review(episode, cfs_worker_user, partner_user):
    """A planned review of a family with a mother, a partner in the team, and an agreed plan with one goal."""
    TafMemberFactory(episode=episode, family=episode.family, user=partner_user)
    episode.mother = FamilyMemberFactory(family=episode.family).person
    plan = FamilyPlanFactory(episode=episode, family=episode.family, status="agreed", created_by=cfs_worker_user)
    episode.goal = GoalFactory(plan=plan, baseline=2, target=8, latest=3)
    return TafMeetingFactory(episode=episode, kind="review", due_on=date(2026, 6, 12))


def _record_post(review, **fields) -> dict:
    episode = review.episode
    data = {
        "held_on_0": "9",
        "held_on_1": "6",
        "held_on_2": "2026",
        f"practitioner_{episode.lead_practitioner_id}": "attended",
        f"practitioner_{TafMember.objects.get(episode=episode).user_id}": "apologies",
        f"person_{episode.mother.pk}": "attended",
        f"goal_{episode.goal.pk}": "6",
        "family_present": "on",
        "others": "Gran Smith",
        "result": "improved",
        "decision": "amend",
        "notes": "Mornings are calmer",
        "next_review_due_0": "21",
        "next_review_due_1": "7",
        "next_review_due_2": "2026",
    }
    return data | fields


@time_machine.travel(TODAY)
def test_meeting_record_form_asks_about_each_person_and_goal(cfs_worker_client, review):
    response = cfs_worker_client.get(reverse("cases:meeting_record", kwargs={"uuid": review.uuid}))
    assert response.status_code == 200
    form = response.context["form"]
    episode = review.episode
    assert f"goal_{episode.goal.pk}" in form.fields
    assert f"person_{episode.mother.pk}" in form.fields
    assert form.initial["next_review_due"] == date(2026, 7, 22)  # six weeks on from today, a Wednesday


@time_machine.travel(TODAY)
def test_meeting_record_saves_and_points_to_the_next_step(cfs_worker_client, review):
    response = cfs_worker_client.post(
        reverse("cases:meeting_record", kwargs={"uuid": review.uuid}), _record_post(review), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("cases:meeting_detail", kwargs={"uuid": review.uuid})
    review.refresh_from_db()
    assert (review.status, review.held_on, review.decision) == ("held", date(2026, 6, 9), "amend")
    assert GoalScore.objects.get(meeting=review).score == 6
    try:
        plan_new = reverse("cases:plan_new", kwargs={"uuid": review.episode.uuid})
    except NoReverseMatch:
        plan_new = ""
    messages = _messages(response)
    page = response.content.decode()
    if plan_new:
        assert "Review recorded. Next: draft the amended plan." in messages
        assert plan_new in page
    else:
        assert "Review recorded." in messages
    assert "Gran Smith" in page and "Sent apologies" in page
    assert "Every morning the children are up" in page  # the scaling snapshot


@time_machine.travel(TODAY)
def test_meeting_record_refuses_a_future_date_and_keeps_what_was_typed(cfs_worker_client, review):
    data = _record_post(review, held_on_0="11", notes="Kept: O'Brien came <b>late</b>")
    response = cfs_worker_client.post(reverse("cases:meeting_record", kwargs={"uuid": review.uuid}), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "A meeting cannot be recorded as held on a date in the future" in page
    assert "Kept: O&#x27;Brien came &lt;b&gt;late&lt;/b&gt;" in page
    review.refresh_from_db()
    assert review.status == TafMeeting.Status.PLANNED


@time_machine.travel(TODAY)
def test_meeting_record_needs_each_attendance_and_score(cfs_worker_client, review):
    episode = review.episode
    data = _record_post(review)
    del data[f"person_{episode.mother.pk}"]
    del data[f"goal_{episode.goal.pk}"]
    response = cfs_worker_client.post(reverse("cases:meeting_record", kwargs={"uuid": review.uuid}), data)
    page = response.content.decode()
    assert f"Select whether {episode.mother.full_name} attended" in page
    assert "a score from 0 to 10" in page


@time_machine.travel(TODAY)
def test_meeting_record_needs_the_next_review_unless_closing(cfs_worker_client, review):
    data = _record_post(review, decision="continue", next_review_due_0="", next_review_due_1="", next_review_due_2="")
    response = cfs_worker_client.post(reverse("cases:meeting_record", kwargs={"uuid": review.uuid}), data)
    assert "Enter when the next review is due (6 weeks after this meeting is 21 July 2026)" in response.content.decode()


def test_meeting_record_of_a_held_meeting_says_why(cfs_worker_client, episode):
    meeting = TafMeetingFactory(episode=episode, status="held", held_on=date(2026, 2, 2))
    url = reverse("cases:meeting_record", kwargs={"uuid": meeting.uuid})
    response = cfs_worker_client.get(url)
    assert response.status_code == 200
    assert "This meeting is held, so it cannot be recorded again" in response.content.decode()
    response = cfs_worker_client.post(url, {"held_on_0": "1"}, follow=True)
    assert "This meeting is held, so it cannot be recorded again" in _messages(response)


def test_meeting_record_wrong_role_403_and_outsider_404(analyst_client, other_lat_client, episode):
    meeting = TafMeetingFactory(episode=episode)
    url = reverse("cases:meeting_record", kwargs={"uuid": meeting.uuid})
    assert analyst_client.get(url).status_code == 403
    assert other_lat_client.get(url).status_code == 404


# Showing and cancelling a meeting ----------------------------------------------------------------------------------


def test_meeting_detail_shows_the_record_and_logs_the_view(partner_client, granted_family, partner_user):
    episode = AllocatedEpisodeFactory(family=granted_family)
    meeting = TafMeetingFactory(
        episode=episode, status="held", held_on=date(2026, 2, 2), result="worse", decision="continue"
    )
    response = partner_client.get(reverse("cases:meeting_detail", kwargs={"uuid": meeting.uuid}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 February 2026" in page and "Worse" in page
    assert AccessEvent.objects.filter(object_uuid=meeting.uuid, user=partner_user).exists()


def test_meeting_detail_outsider_404_and_wrong_role_403(other_lat_client, analyst_client, episode):
    url = reverse("cases:meeting_detail", kwargs={"uuid": TafMeetingFactory(episode=episode).uuid})
    assert other_lat_client.get(url).status_code == 404
    assert analyst_client.get(url).status_code == 403


def test_meeting_cancel_cancels_a_planned_meeting(cfs_worker_client, episode):
    meeting = TafMeetingFactory(episode=episode, kind="closure")
    response = cfs_worker_client.post(reverse("cases:meeting_cancel", kwargs={"uuid": meeting.uuid}), follow=True)
    assert "Closure meeting cancelled." in _messages(response)
    meeting.refresh_from_db()
    assert meeting.status == TafMeeting.Status.CANCELLED


def test_meeting_cancel_of_a_held_meeting_says_why(cfs_worker_client, episode):
    meeting = TafMeetingFactory(episode=episode, status="held", held_on=date(2026, 2, 2))
    response = cfs_worker_client.post(reverse("cases:meeting_cancel", kwargs={"uuid": meeting.uuid}), follow=True)
    assert "A meeting that is held cannot become cancelled" in _messages(response)


def test_meeting_cancel_needs_post_and_scope(cfs_worker_client, other_lat_client, episode):
    meeting = TafMeetingFactory(episode=episode)
    url = reverse("cases:meeting_cancel", kwargs={"uuid": meeting.uuid})
    assert cfs_worker_client.get(url).status_code == 405
    assert other_lat_client.post(url).status_code == 404
    meeting.refresh_from_db()
    assert meeting.status == TafMeeting.Status.PLANNED


def test_taf_invite_is_not_offered_to_someone_already_in_the_team(cfs_worker_client, episode, partner_user):
    TafMemberFactory(episode=episode, family=episode.family, user=partner_user)
    MembershipFactory(user=UserFactory(full_name="Rita Retired", is_active=False), role="cfs_worker")
    response = cfs_worker_client.get(reverse("cases:taf_invite", kwargs={"uuid": episode.uuid}))
    labels = " ".join(label for _, label in response.context["form"].fields["practitioner"].choices)
    assert "Pat Partner" not in labels and "Rita Retired" not in labels


# A restricted family member ----------------------------------------------------------------------------------------


@time_machine.travel(TODAY)
def test_meetings_do_not_name_a_restricted_person_but_still_scale_their_goal(cfs_worker_client, review):
    """A restricted member of an ordinary family, and the team's worker not on their allow-list: their goal is still
    scaled (every open goal must be) but they are never named, on the form or on the record."""
    episode = review.episode
    hidden = PersonFactory(first_name="Quill", last_name="Hiddenstone", restricted=True)
    FamilyMemberFactory(family=episode.family, person=hidden)
    goal = GoalFactory(plan=episode.goal.plan, person=hidden, baseline=1, target=7, position=1)
    record = reverse("cases:meeting_record", kwargs={"uuid": review.uuid})
    response = cfs_worker_client.get(record)
    page = response.content.decode()
    assert f"goal_{goal.pk}" in response.context["form"].fields and f"person_{hidden.pk}" not in page
    assert "Hiddenstone" not in page and "For someone in the family" in page
    response = cfs_worker_client.post(record, _record_post(review, **{f"goal_{goal.pk}": "5"}))
    assert response.status_code == 302
    assert GoalScore.objects.get(meeting=review, goal=goal).score == 5
    TafAttendance.objects.create(meeting=review, person=hidden, attended="attended")
    page = cfs_worker_client.get(reverse("cases:meeting_detail", kwargs={"uuid": review.uuid})).content.decode()
    assert "Hiddenstone" not in page and "Someone in the family" in page
    assert escape(episode.mother.full_name) in page  # a made-up name may hold an apostrophe
