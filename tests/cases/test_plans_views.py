"""Family plan pages: starting and agreeing versions, goals and scores, actions, the stale-save conflict, and
My actions. Allowed, outsider (404) and wrong role (403), form errors shown, success."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Action, Episode, FamilyPlan, Goal, GoalScore
from cases.services.plans import action_overdue_key
from earlyhelp.audit.models import AccessEvent
from tests.cases.test_plans_services import agreed_plan, make_assessment, make_episode
from tests.factories import (
    ActionFactory,
    AgencyFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    GoalScoreFactory,
    NeedFactory,
    PersonFactory,
    ScalingFactory,
    TafMeetingFactory,
    TafMemberFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
ERROR_SUMMARY = 'class="govuk-error-summary"'

# Session, user, user and group permissions (4); the plan with its family, episode, lead and authors joined, goals,
# their scores (author and meeting joined), actions (owners joined), the family members the user may see, TAF
# members, versions (7); the access event: the chain head read, the event written, the head moved (3). The session
# is not saved (it was saved at sign-in, less than a minute ago).
PLAN_DETAIL_QUERIES = 14
# Session, user, user and group permissions (4); the page count and the page of actions, with plan, family, goal
# and owners joined (2). The session is not saved (it was saved at sign-in, less than a minute ago).
MY_ACTIONS_QUERIES = 6


def url(name: str, record) -> str:
    return reverse(f"cases:{name}", kwargs={"uuid": record.uuid})


def date_post(prefix: str, day) -> dict:
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


@pytest.fixture
def episode(own_family, cfs_worker_user):
    return make_episode(own_family, cfs_worker_user)


@pytest.fixture
def plan(episode, cfs_worker_user):
    return FamilyPlanFactory(episode=episode, family=episode.family, created_by=cfs_worker_user)


@pytest.fixture
def child(own_family):
    return FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Zoë", last_name="Nguyễn")).person


# ------------------------------------------------------------------ starting a plan


def test_plan_new_offers_each_need_as_a_goal_with_the_persons_baseline(cfs_worker_client, episode, child):
    assessment = make_assessment(episode.family)
    ScalingFactory(assessment=assessment, person=child, score=3)
    NeedFactory(assessment=assessment, person=child, headline="education", description="Misses school <often>")
    page = cfs_worker_client.get(url("plan_new", episode)).content.decode()
    assert "Need 1: Getting a good education, for Zoë Nguyễn" in page
    assert "Misses school &lt;often&gt;" in page
    assert 'name="goal_1_baseline" value="3"' in page


def test_plan_new_creates_a_draft_from_the_confirmed_needs(cfs_worker_client, episode, child):
    assessment = make_assessment(episode.family)
    kept = NeedFactory(assessment=assessment, person=child, headline="education")
    NeedFactory(assessment=assessment, person=None, headline="housing")
    post = {
        "summary": "Everyone on time",
        "goal_1_include": "on",
        "goal_1_text": "Zoë in school by 8:50 every day for six weeks",
        "goal_1_baseline": "3",
        "goal_1_target": "8",
        "goal_2_text": "Left out",
    }
    response = cfs_worker_client.post(url("plan_new", episode), post)
    plan = FamilyPlan.objects.get(episode=episode)
    assert response.status_code == 302 and response["Location"] == url("plan_detail", plan)
    goal = plan.goals.get()
    assert (goal.need, goal.person, goal.baseline, goal.target) == (kept, child, 3, 8)
    page = cfs_worker_client.get(response["Location"]).content.decode()
    assert "Draft plan version 1 started" in page


def test_plan_new_refuses_a_goal_without_a_target_and_keeps_what_was_typed(cfs_worker_client, episode, child):
    NeedFactory(assessment=make_assessment(episode.family), person=child)
    post = {"goal_1_include": "on", "goal_1_text": "My careful SMART wording", "goal_1_baseline": "3"}
    response = cfs_worker_client.post(url("plan_new", episode), post)
    page = response.content.decode()
    assert response.status_code == 200 and ERROR_SUMMARY in page
    assert "Enter the target for goal 1 on the scale from 0 to 10" in page
    assert "My careful SMART wording" in page
    assert not FamilyPlan.objects.exists()


def test_plan_new_with_a_draft_says_so(cfs_worker_client, plan):
    response = cfs_worker_client.get(url("plan_new", plan.episode))
    assert response.status_code == 200
    assert "There is already a draft of this plan" in response.content.decode()
    response = cfs_worker_client.post(url("plan_new", plan.episode), {"summary": "x"})
    assert response.status_code == 200 and "There is already a draft" in response.content.decode()
    assert FamilyPlan.objects.count() == 1


def test_plan_new_later_version_copies_the_agreed_plan(cfs_worker_client, episode, cfs_worker_user):
    old = agreed_plan(episode, cfs_worker_user, goals=2)
    page = cfs_worker_client.get(url("plan_new", episode)).content.decode()
    assert "2 goals still in progress" in page
    response = cfs_worker_client.post(url("plan_new", episode), {"summary": ""})
    new = FamilyPlan.objects.get(version=2)
    assert response["Location"] == url("plan_detail", new)
    assert {g.carried_from.plan for g in new.goals.all()} == {old}


def test_plan_new_on_a_closed_episode_says_why_and_saves_nothing(cfs_worker_client, own_family, cfs_worker_user):
    episode = make_episode(own_family, cfs_worker_user, status=Episode.Status.CLOSED)
    response = cfs_worker_client.get(url("plan_new", episode))
    assert response.status_code == 200
    assert "This episode is closed, so its plan can no longer be changed" in response.content.decode()
    response = cfs_worker_client.post(url("plan_new", episode), {"summary": "x"})
    assert "can no longer be changed" in response.content.decode()
    assert not FamilyPlan.objects.exists()


def test_plan_pages_outsider_404_and_wrong_role_403(other_lat_client, analyst_client, plan):
    goal = GoalFactory(plan=plan)
    action = ActionFactory(plan=plan)
    pages = [
        url("plan_new", plan.episode),
        url("plan_detail", plan),
        url("plan_edit", plan),
        url("plan_agree", plan),
        url("goal_add", plan),
        url("goal_edit", goal),
        url("goal_score", goal),
        url("action_add", plan),
        url("action_edit", action),
    ]
    for page in pages:
        assert other_lat_client.get(page).status_code == 404, page
        assert other_lat_client.post(page, {"summary": "x"}).status_code == 404, page
        assert analyst_client.get(page).status_code == 403, page
    assert analyst_client.get(reverse("cases:my_actions")).status_code == 403


# ------------------------------------------------------------------ the plan page


def _plan_with(plan, goals: int, user) -> None:
    meeting = TafMeetingFactory(episode=plan.episode, family=plan.family)
    for number in range(goals):
        goal = GoalFactory(plan=plan, position=number, person=FamilyMemberFactory(family=plan.family).person)
        GoalScoreFactory(goal=goal, score=4, recorded_by=user)
        GoalScoreFactory(goal=goal, score=6, recorded_by=user, meeting=meeting)
        ActionFactory(plan=plan, goal=goal, owner_user=user)
        ActionFactory(plan=plan, goal=goal, owner_user=None, owner_agency=AgencyFactory())
        ActionFactory(plan=plan, owner_user=None, owner_person=goal.person)
    TafMemberFactory(episode=plan.episode, family=plan.family, user=UserFactory(), agency=AgencyFactory())


@pytest.mark.parametrize("goals", [1, 10])
def test_plan_detail_query_count_is_constant(
    cfs_worker_client, cfs_worker_user, plan, goals, django_assert_num_queries
):
    _plan_with(plan, goals, cfs_worker_user)
    with django_assert_num_queries(PLAN_DETAIL_QUERIES):
        response = cfs_worker_client.get(url("plan_detail", plan))
    assert response.status_code == 200
    assert len(response.context["plan"].goal_list) == goals


def test_plan_detail_shows_goals_history_actions_team_and_versions(cfs_worker_client, cfs_worker_user, episode, child):
    old = agreed_plan(episode, cfs_worker_user, goals=0)
    old.status = FamilyPlan.Status.SUPERSEDED
    old.save()
    plan = agreed_plan(episode, cfs_worker_user, goals=0, version=2)
    episode.next_review_due = TODAY() + timedelta(days=20)
    episode.save()
    goal = GoalFactory(plan=plan, person=child, text="Zoë <b>sleeps</b> by 9pm", baseline=2, target=8, latest=6)
    meeting = TafMeetingFactory(episode=episode, family=episode.family, held_on=TODAY())
    GoalScoreFactory(goal=goal, score=6, recorded_by=cfs_worker_user, meeting=meeting, comment="Much better")
    ActionFactory(plan=plan, goal=goal, what="Bedtime chart", owner_user=cfs_worker_user, due_on=TODAY() - timedelta(1))
    ActionFactory(plan=plan, what="Benefits check", owner_user=None, owner_agency=AgencyFactory(name="Advice York"))
    TafMemberFactory(episode=episode, family=episode.family, user=UserFactory(full_name="Tess Teacher"))
    TafMemberFactory(episode=episode, family=episode.family, user=UserFactory(full_name="Lee Left"), status="left")
    page = cfs_worker_client.get(url("plan_detail", plan)).content.decode()
    assert "Zoë &lt;b&gt;sleeps&lt;/b&gt; by 9pm" in page
    assert "Started at 2, target 8, latest 6 out of 10" in page
    assert "Much better" in page and "Review on" in page and "Chris Worker" in page
    assert "Bedtime chart" in page and "eh-row--overdue" in page and "govuk-tag--red" in page
    assert "Benefits check" in page and "Advice York" in page
    assert "Tess Teacher" in page and "Lee Left" not in page
    assert (TODAY() + timedelta(days=20)).strftime("%-d %B %Y") in page
    assert url("plan_detail", old) in page and "Version 1" in page
    assert url("goal_score", goal) in page and url("plan_new", episode) in page
    event = AccessEvent.objects.get()
    assert (event.user, event.action, event.object_uuid) == (cfs_worker_user, "view", plan.uuid)


def test_plan_detail_of_a_superseded_version_is_read_only(cfs_worker_client, cfs_worker_user, episode):
    plan = FamilyPlanFactory(episode=episode, family=episode.family, status=FamilyPlan.Status.SUPERSEDED)
    goal = GoalFactory(plan=plan)
    page = cfs_worker_client.get(url("plan_detail", plan)).content.decode()
    assert "replaced by a later one" in page and url("goal_edit", goal) not in page
    response = cfs_worker_client.get(url("goal_edit", goal))
    assert response.status_code == 200 and "replaced by a later one" in response.content.decode()
    post = {"text": "x", "baseline": "1", "target": "5", "status": "open", "lock_version": "0"}
    response = cfs_worker_client.post(url("goal_edit", goal), post)
    assert "replaced by a later one" in response.content.decode()
    goal.refresh_from_db()
    assert goal.text != "x"


# ------------------------------------------------------------------ agreeing and editing the plan


def test_plan_agree_view_agrees_the_draft(cfs_worker_client, cfs_worker_user, plan):
    GoalFactory(plan=plan)
    response = cfs_worker_client.post(
        url("plan_agree", plan), {**date_post("agreed_on", TODAY()), "family_agreed": "on"}
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.agreed_by, plan.family_agreed) == ("agreed", cfs_worker_user, True)


def test_plan_agree_view_says_why_a_plan_without_goals_cannot_be_agreed(cfs_worker_client, plan):
    response = cfs_worker_client.get(url("plan_agree", plan))
    assert response.status_code == 200
    assert "Add at least one goal before the plan is agreed" in response.content.decode()
    response = cfs_worker_client.post(
        url("plan_agree", plan), {**date_post("agreed_on", TODAY()), "family_agreed": "on"}
    )
    assert "Add at least one goal before the plan is agreed" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_plan_agree_view_needs_the_familys_agreement(cfs_worker_client, plan):
    GoalFactory(plan=plan)
    response = cfs_worker_client.post(url("plan_agree", plan), date_post("agreed_on", TODAY()))
    assert "Confirm that the family agreed the plan" in response.content.decode()


def test_plan_edit_saves_the_summary(cfs_worker_client, plan):
    response = cfs_worker_client.post(url("plan_edit", plan), {"summary": "New words", "lock_version": "0"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.summary, plan.lock_version) == ("New words", 1)


def test_stale_plan_save_names_who_changed_it_and_keeps_the_second_persons_text(
    cfs_worker_client, lat_manager_client, plan
):
    # Both open the edit page on the same version.
    for client in (cfs_worker_client, lat_manager_client):
        assert 'name="lock_version" value="0"' in client.get(url("plan_edit", plan)).content.decode()
    first = lat_manager_client.post(url("plan_edit", plan), {"summary": "The manager's summary", "lock_version": "0"})
    assert first.status_code == 302
    second = cfs_worker_client.post(url("plan_edit", plan), {"summary": "My long careful summary", "lock_version": "0"})
    page = second.content.decode()
    assert second.status_code == 200
    assert "Mel Manager changed this at" in page
    assert timezone.localtime().strftime("%d %B %Y") in page
    assert "My long careful summary" in page  # their own text, shown back
    assert "The manager&#x27;s summary" in page  # the current version, in the form
    assert 'name="lock_version" value="1"' in page
    plan.refresh_from_db()
    assert plan.summary == "The manager's summary"


def test_stale_goal_and_action_saves_are_refused(cfs_worker_client, lat_manager_client, plan, cfs_worker_user):
    goal = GoalFactory(plan=plan)
    goal_post = {"text": "Worded by {}", "baseline": "3", "target": "8", "status": "open", "lock_version": "0"}
    assert lat_manager_client.post(url("goal_edit", goal), goal_post | {"text": "Manager"}).status_code == 302
    page = cfs_worker_client.post(url("goal_edit", goal), goal_post | {"text": "Worker's goal"}).content.decode()
    assert "Mel Manager changed this" in page and "Worker&#x27;s goal" in page
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user)
    action_post = {
        "what": "x",
        "owner_kind": "user",
        "owner_user": str(cfs_worker_user.pk),
        **date_post("due_on", action.due_on),
        "status": "not_started",
        "lock_version": "0",
    }
    assert lat_manager_client.post(url("action_edit", action), action_post | {"what": "Manager"}).status_code == 302
    page = cfs_worker_client.post(
        url("action_edit", action), action_post | {"what": "Worker's action"}
    ).content.decode()
    assert "Mel Manager changed this" in page and "Worker&#x27;s action" in page
    goal.refresh_from_db()
    action.refresh_from_db()
    assert (goal.text, action.what) == ("Manager", "Manager")


# ------------------------------------------------------------------ goals and scores


def test_goal_add_refuses_a_goal_without_a_target(cfs_worker_client, plan):
    response = cfs_worker_client.post(url("goal_add", plan), {"text": "Sleep well", "baseline": "2"})
    page = response.content.decode()
    assert ERROR_SUMMARY in page and "Enter a target on the scale from 0 to 10" in page and "Sleep well" in page
    response = cfs_worker_client.post(url("goal_add", plan), {"text": "Sleep well", "baseline": "6", "target": "4"})
    assert "The target must be higher on the scale than where the family starts" in response.content.decode()
    assert not Goal.objects.exists()


def test_goal_add_adds_a_goal_for_a_family_member(cfs_worker_client, plan, child):
    post = {"text": "Sleep well", "person": str(child.pk), "baseline": "2", "target": "7"}
    response = cfs_worker_client.post(url("goal_add", plan), post)
    assert response.status_code == 302
    goal = plan.goals.get()
    assert (goal.person, goal.latest) == (child, 2)


def test_goal_add_offers_only_visible_family_members(cfs_worker_client, plan, child, restricted_family):
    restricted = PersonFactory(restricted=True)
    FamilyMemberFactory(family=plan.family, person=restricted)
    page = cfs_worker_client.get(url("goal_add", plan)).content.decode()
    assert child.full_name in page and restricted.full_name not in page


def test_goal_score_records_a_score_and_refuses_a_future_date(cfs_worker_client, cfs_worker_user, plan):
    goal = GoalFactory(plan=plan, baseline=2, target=8, latest=2)
    tomorrow = TODAY() + timedelta(days=1)
    response = cfs_worker_client.post(url("goal_score", goal), {"score": "5", **date_post("scored_on", tomorrow)})
    assert "The date of the score must be today or in the past" in response.content.decode()
    response = cfs_worker_client.post(url("goal_score", goal), {"score": "11", **date_post("scored_on", TODAY())})
    assert "Enter the score as a whole number from 0 to 10" in response.content.decode()
    post = {"score": "5", "comment": "Calmer <mornings>", **date_post("scored_on", TODAY())}
    assert cfs_worker_client.post(url("goal_score", goal), post).status_code == 302
    goal.refresh_from_db()
    assert goal.latest == 5
    assert GoalScore.objects.get(goal=goal).recorded_by == cfs_worker_user
    page = cfs_worker_client.get(url("goal_score", goal)).content.decode()
    assert "Calmer &lt;mornings&gt;" in page


# ------------------------------------------------------------------ actions


def test_action_add_offers_owner_kinds_then_a_labelled_list_for_each(cfs_worker_client, plan):
    page = cfs_worker_client.get(url("action_add", plan)).content.decode()
    assert "<legend" in page and "Who owns the action?" in page
    assert "govuk-radios__conditional" not in page, "no reveal script: it puts aria-expanded on radio buttons"
    for label in (
        "If a practitioner: which practitioner",
        "If an agency: which agency",
        "If someone in the family: who",
    ):
        assert label in page


def test_action_add_refuses_no_owner_and_no_due_date(cfs_worker_client, plan):
    response = cfs_worker_client.post(url("action_add", plan), {"what": "Call the school"})
    page = response.content.decode()
    assert "Choose who owns the action: a practitioner, an agency or a family member" in page
    assert "Enter the date the action is due" in page and "Call the school" in page
    response = cfs_worker_client.post(url("action_add", plan), {"what": "Call the school", "owner_kind": "agency"})
    assert "Choose the agency who owns the action" in response.content.decode()
    assert not Action.objects.exists()


def test_action_add_saves_an_agency_owned_action(cfs_worker_client, plan):
    agency = AgencyFactory()
    goal = GoalFactory(plan=plan)
    post = {
        "what": "Benefits check",
        "goal": str(goal.pk),
        "owner_kind": "agency",
        "owner_agency": str(agency.pk),
        "owner_user": "",  # a select left over from another kind is ignored
        **date_post("due_on", TODAY() + timedelta(days=7)),
    }
    assert cfs_worker_client.post(url("action_add", plan), post).status_code == 302
    action = plan.actions.get()
    assert (action.owner, action.goal, action.owner_user) == (agency, goal, None)


def test_action_edit_done_closes_the_overdue_task(cfs_worker_client, cfs_worker_user, plan):
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user, due_on=TODAY() - timedelta(days=2))
    task = TaskFactory(family=plan.family, key=action_overdue_key(action))
    post = {
        "what": action.what,
        "owner_kind": "user",
        "owner_user": str(cfs_worker_user.pk),
        **date_post("due_on", action.due_on),
        "status": "done",
        "lock_version": "0",
    }
    assert cfs_worker_client.post(url("action_edit", action), post).status_code == 302
    action.refresh_from_db()
    task.refresh_from_db()
    assert (action.status, action.completed_on, task.status) == ("done", TODAY(), "done")


def test_action_edit_refuses_a_move_outside_the_table(cfs_worker_client, cfs_worker_user, plan):
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user, status="done", completed_on=TODAY())
    post = {
        "what": action.what,
        "owner_kind": "user",
        "owner_user": str(cfs_worker_user.pk),
        **date_post("due_on", action.due_on),
        "status": "not_done",
        "lock_version": "0",
    }
    response = cfs_worker_client.post(url("action_edit", action), post)
    assert "An action that is done cannot become not done" in response.content.decode()


# ------------------------------------------------------------------ My actions


@pytest.fixture
def school_partner(partner_user, granted_family):
    """The partner practitioner, in the Team Around the Family of the family granted to them."""
    episode = make_episode(granted_family, UserFactory())
    TafMemberFactory(episode=episode, family=granted_family, user=partner_user, agency=partner_user.agency)
    return partner_user, episode


def test_my_actions_lists_mine_and_my_agencys_in_teams_i_belong_to(partner_client, school_partner):
    user, episode = school_partner
    plan = FamilyPlanFactory(episode=episode, family=episode.family)
    mine = ActionFactory(plan=plan, owner_user=user, what="Mine", due_on=TODAY() + timedelta(days=5))
    agency = ActionFactory(plan=plan, owner_user=None, owner_agency=user.agency, what="The school's")
    late = ActionFactory(plan=plan, owner_user=user, what="Late", due_on=TODAY() - timedelta(days=1))
    ActionFactory(plan=plan, owner_user=user, status="done")
    ActionFactory(plan=plan, what="Someone else's")
    response = partner_client.get(reverse("cases:my_actions"))
    assert list(response.context["page"].object_list) == [late, mine, agency]  # soonest due first
    assert "eh-row--overdue" in response.content.decode()


def test_my_actions_not_after_leaving_the_team(partner_client, school_partner):
    user, episode = school_partner
    plan = FamilyPlanFactory(episode=episode, family=episode.family)
    ActionFactory(plan=plan, owner_user=None, owner_agency=user.agency)
    member = episode.taf_members.get()
    member.status = "left"
    member.save()
    response = partner_client.get(reverse("cases:my_actions"))
    assert list(response.context["page"].object_list) == []
    assert "You have no actions to do" in response.content.decode()


def test_my_actions_not_another_teams_family_superseded_plans_or_closed_episodes(
    cfs_worker_client, cfs_worker_user, other_family, own_family
):
    elsewhere = make_episode(other_family, cfs_worker_user)
    ActionFactory(plan=FamilyPlanFactory(episode=elsewhere, family=other_family), owner_user=cfs_worker_user)
    closed = make_episode(own_family, cfs_worker_user, status=Episode.Status.CLOSED)
    ActionFactory(plan=FamilyPlanFactory(episode=closed, family=own_family), owner_user=cfs_worker_user)
    open_episode = make_episode(own_family, cfs_worker_user)
    old = FamilyPlanFactory(episode=open_episode, family=own_family, status="superseded")
    ActionFactory(plan=old, owner_user=cfs_worker_user)
    current = ActionFactory(
        plan=FamilyPlanFactory(episode=open_episode, family=own_family, version=2), owner_user=cfs_worker_user
    )
    response = cfs_worker_client.get(reverse("cases:my_actions"))
    assert list(response.context["page"].object_list) == [current]


@pytest.mark.parametrize("count", [2, 30])
def test_my_actions_query_count_is_constant(cfs_worker_client, cfs_worker_user, plan, count, django_assert_num_queries):
    goal = GoalFactory(plan=plan)
    for number in range(count):
        ActionFactory(plan=plan, goal=goal, owner_user=cfs_worker_user, due_on=TODAY() + timedelta(days=number))
    with django_assert_num_queries(MY_ACTIONS_QUERIES):
        response = cfs_worker_client.get(reverse("cases:my_actions"))
    assert len(response.context["page"].object_list) == min(count, 25)
    assert response.context["page"].paginator.count == count


# ------------------------------------------------------------------ restricted family members


@pytest.fixture
def hidden(plan):
    """A restricted member of an ordinary family: the team's worker is not on their allow-list."""
    person = PersonFactory(first_name="Quill", last_name="Hiddenstone", restricted=True)
    FamilyMemberFactory(family=plan.family, person=person)
    return person


def test_plan_detail_does_not_name_a_restricted_person(cfs_worker_client, cfs_worker_user, plan, hidden, child):
    goal = GoalFactory(plan=plan, person=hidden, text="Sleeps well")
    GoalFactory(plan=plan, person=child, text="Goes to school", position=1)
    ActionFactory(plan=plan, goal=goal, what="Bedtime chart", owner_user=None, owner_person=hidden)
    page = cfs_worker_client.get(url("plan_detail", plan)).content.decode()
    assert "Hiddenstone" not in page
    assert "Goal 1: for someone in the family" in page and "Someone in the family" in page
    assert "Bedtime chart" in page and child.full_name in page


def test_goal_edit_keeps_a_restricted_person_and_does_not_name_them(cfs_worker_client, plan, hidden):
    goal = GoalFactory(plan=plan, person=hidden, baseline=2, target=8)
    page = cfs_worker_client.get(url("goal_edit", goal)).content.decode()
    assert "Hiddenstone" not in page and 'name="person"' not in page
    post = {
        "text": "Sleeps by 9pm",
        "person": "",
        "baseline": "3",
        "target": "8",
        "status": "open",
        "lock_version": "0",
    }
    assert cfs_worker_client.post(url("goal_edit", goal), post).status_code == 302
    goal.refresh_from_db()
    assert (goal.text, goal.person, goal.baseline) == ("Sleeps by 9pm", hidden, 3)


def test_action_edit_keeps_a_restricted_owner_and_does_not_name_them(cfs_worker_client, cfs_worker_user, plan, hidden):
    action = ActionFactory(plan=plan, what="Bedtime chart", owner_user=None, owner_person=hidden)
    page = cfs_worker_client.get(url("action_edit", action)).content.decode()
    assert "Hiddenstone" not in page
    post = {
        "what": "Bedtime chart on the fridge",
        "owner_kind": "person",
        "owner_person": "",
        **date_post("due_on", action.due_on),
        "status": "in_progress",
        "lock_version": "0",
    }
    response = cfs_worker_client.post(url("action_edit", action), post)
    assert response.status_code == 302, response.content.decode()
    action.refresh_from_db()
    assert (action.what, action.owner_person, action.status) == ("Bedtime chart on the fridge", hidden, "in_progress")
    # Choosing another owner still moves the action to them.
    post |= {"owner_kind": "user", "owner_user": str(cfs_worker_user.pk), "lock_version": "1"}
    assert cfs_worker_client.post(url("action_edit", action), post).status_code == 302
    action.refresh_from_db()
    assert (action.owner_user, action.owner_person) == (cfs_worker_user, None)
