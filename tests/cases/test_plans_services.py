"""Family plan services: versions, agreement, goals and their scaling, actions, locking and read-only episodes."""

from datetime import timedelta
from itertools import product

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import EarlyHelpAssessment
from cases.models import Action, Episode, FamilyPlan, Goal, GoalScore, Task
from cases.selectors.plans import plan_goal_suggestions, plan_source_assessment
from cases.services.episodes import EpisodeError
from cases.services.plans import (
    DRAFT_EXISTS,
    GoalDraft,
    PlanError,
    action_add,
    action_edit,
    action_overdue_key,
    goal_add,
    goal_edit,
    goal_score,
    plan_agree,
    plan_create,
    plan_edit,
)
from earlyhelp.audit.context import acting_as
from earlyhelp.core.locking import StaleEdit
from tests.factories import (
    ActionFactory,
    AgencyFactory,
    AllocatedEpisodeFactory,
    AssessmentFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    NeedFactory,
    PersonFactory,
    ScalingFactory,
    TafMemberFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def make_episode(family, lead, status=Episode.Status.ALLOCATED) -> Episode:
    return AllocatedEpisodeFactory(family=family, lead_practitioner=lead, status=status)


def make_assessment(family, **fields) -> EarlyHelpAssessment:
    return AssessmentFactory(family=family, status=EarlyHelpAssessment.Status.AUTHORISED, **fields)


def agreed_plan(episode, user, goals: int = 1, version: int = 1) -> FamilyPlan:
    plan = FamilyPlanFactory(
        episode=episode,
        family=episode.family,
        version=version,
        status=FamilyPlan.Status.AGREED,
        agreed_on=TODAY(),
        agreed_by=user,
        family_agreed=True,
        created_by=user,
    )
    for _ in range(goals):
        GoalFactory(plan=plan)
    return plan


@pytest.fixture
def episode(own_family, cfs_worker_user):
    return make_episode(own_family, cfs_worker_user)


@pytest.fixture
def child(own_family):
    return FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Zoë", last_name="O'Brien")).person


# ------------------------------------------------------------------ state machines


@pytest.mark.parametrize(
    ("start", "end"), list(product(FamilyPlan.Status.values, FamilyPlan.Status.values)), ids=lambda s: s
)
def test_family_plan_status_moves_only_along_its_table(start, end):
    from earlyhelp.core.states import status_move

    plan = FamilyPlan(status=start)
    if end in FamilyPlan.TRANSITIONS[start]:
        status_move(plan, end, error=PlanError, noun="A plan")
        assert plan.status == end
    else:
        with pytest.raises(PlanError, match="cannot become"):
            status_move(plan, end, error=PlanError, noun="A plan")


@pytest.mark.parametrize(("start", "end"), list(product(Action.Status.values, Action.Status.values)), ids=str)
def test_action_edit_moves_status_only_along_its_table(start, end, episode, cfs_worker_user):
    plan = FamilyPlanFactory(episode=episode, family=episode.family)
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user, status=start)
    fields = {"what": action.what, "due_on": action.due_on, "owner_user": cfs_worker_user, "lock_version": 0}
    if start == end or end in Action.TRANSITIONS[start]:
        action_edit(user=cfs_worker_user, action=action, status=end, **fields)
        action.refresh_from_db()
        assert action.status == end
        # Saving without a move leaves the dates alone; a move to done dates it, any other move clears it.
        assert action.completed_on == (TODAY() if start != end and end == Action.Status.DONE else None)
    else:
        with pytest.raises(PlanError, match="cannot become"):
            action_edit(user=cfs_worker_user, action=action, status=end, **fields)
        action.refresh_from_db()
        assert action.status == start


@pytest.mark.parametrize(("start", "end"), list(product(Goal.Status.values, Goal.Status.values)), ids=str)
def test_goal_edit_moves_status_only_along_its_table(start, end, episode, cfs_worker_user):
    plan = FamilyPlanFactory(episode=episode, family=episode.family)
    goal = GoalFactory(plan=plan, status=start)
    fields = {"text": goal.text, "baseline": goal.baseline, "target": goal.target, "lock_version": 0}
    if start == end or end in Goal.TRANSITIONS[start]:
        goal_edit(user=cfs_worker_user, goal=goal, status=end, **fields)
        goal.refresh_from_db()
        assert goal.status == end
    else:
        with pytest.raises(PlanError, match="cannot become"):
            goal_edit(user=cfs_worker_user, goal=goal, status=end, **fields)
        goal.refresh_from_db()
        assert goal.status == start


def test_goal_transitions_close_an_open_goal_and_reopen_a_closed_one():
    closed = {Goal.Status.ACHIEVED, Goal.Status.NOT_ACHIEVED, Goal.Status.DROPPED}
    assert Goal.TRANSITIONS[Goal.Status.OPEN] == closed
    assert all(Goal.TRANSITIONS[status] == {Goal.Status.OPEN} for status in closed)


# ------------------------------------------------------------------ versions


def test_plan_create_first_version_is_a_draft_with_confirmed_goals(episode, cfs_worker_user, child):
    assessment = make_assessment(episode.family)
    need = NeedFactory(assessment=assessment, person=child)
    plan = plan_create(
        user=cfs_worker_user,
        episode=episode,
        summary="  Calm mornings  ",
        goals=[GoalDraft(text="Zoë at school by 8:50 daily", baseline=3, target=8, person=child, need=need)],
    )
    assert (plan.version, plan.status, plan.summary, plan.created_by) == (1, "draft", "Calm mornings", cfs_worker_user)
    goal = plan.goals.get()
    assert (goal.person, goal.need, goal.baseline, goal.target, goal.latest) == (child, need, 3, 8, 3)
    assert list(goal.scores.values_list("score", "comment")) == [(3, "Baseline")]


def test_plan_create_refuses_a_second_draft(episode, cfs_worker_user):
    plan_create(user=cfs_worker_user, episode=episode)
    with pytest.raises(PlanError, match="already a draft"):
        plan_create(user=cfs_worker_user, episode=episode)
    assert episode.plans.count() == 1


def test_plan_one_draft_per_episode_is_held_by_the_database(episode, cfs_worker_user):
    from django.db import IntegrityError, transaction

    FamilyPlanFactory(episode=episode, family=episode.family, version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        FamilyPlan.objects.create(episode=episode, family=episode.family, version=2, created_by=cfs_worker_user)
    assert DRAFT_EXISTS.startswith("There is already a draft")


def test_plan_create_later_version_copies_open_goals_and_unfinished_actions(episode, cfs_worker_user, child):
    old = agreed_plan(episode, cfs_worker_user, goals=0)
    open_goal = GoalFactory(plan=old, person=child, baseline=2, target=7, latest=5, position=1)
    GoalFactory(plan=old, status=Goal.Status.ACHIEVED, position=2)
    agency = AgencyFactory()
    started = ActionFactory(plan=old, goal=open_goal, owner_user=cfs_worker_user, status="in_progress")
    ActionFactory(plan=old, owner_user=None, owner_agency=agency)
    ActionFactory(plan=old, status="done", completed_on=TODAY())
    ActionFactory(plan=old, status="not_done")
    new = plan_create(user=cfs_worker_user, episode=episode)
    assert (new.version, new.status, new.summary) == (2, "draft", old.summary)
    goal = new.goals.get()
    assert (goal.carried_from, goal.text, goal.latest, goal.baseline, goal.person) == (
        open_goal,
        open_goal.text,
        5,
        2,
        child,
    )
    copied = {a.carried_from_id: a for a in new.actions.all()}
    assert set(copied) == {started.pk, old.actions.get(owner_agency=agency).pk}
    assert copied[started.pk].goal == goal and copied[started.pk].status == "in_progress"
    old.refresh_from_db()
    assert old.status == "agreed"  # stays the family's plan until the new one is agreed


def test_plan_agree_supersedes_the_previous_version_and_activates_the_episode(episode, cfs_worker_user):
    old = agreed_plan(episode, cfs_worker_user)
    new = plan_create(user=cfs_worker_user, episode=episode)
    plan_agree(user=cfs_worker_user, plan=new, agreed_on=TODAY(), family_agreed=True)
    old.refresh_from_db()
    new.refresh_from_db()
    episode.refresh_from_db()
    assert (old.status, new.status) == ("superseded", "agreed")
    assert (new.agreed_on, new.agreed_by, new.family_agreed) == (TODAY(), cfs_worker_user, True)
    assert episode.status == Episode.Status.PLAN_ACTIVE


@pytest.mark.parametrize(
    ("status", "after"),
    [
        (Episode.Status.ALLOCATED, Episode.Status.PLAN_ACTIVE),
        (Episode.Status.ASSESSING, Episode.Status.PLAN_ACTIVE),
        (Episode.Status.REQUESTED, Episode.Status.REQUESTED),
        (Episode.Status.REVIEWING, Episode.Status.REVIEWING),
    ],
)
def test_plan_agree_moves_the_episode_only_from_allocated_or_assessing(own_family, cfs_worker_user, status, after):
    episode = make_episode(own_family, cfs_worker_user, status=status)
    plan = FamilyPlanFactory(episode=episode, family=own_family)
    GoalFactory(plan=plan)
    plan_agree(user=cfs_worker_user, plan=plan, agreed_on=TODAY(), family_agreed=True)
    episode.refresh_from_db()
    assert episode.status == after


def test_plan_agree_refuses_a_plan_without_goals(episode, cfs_worker_user):
    plan = FamilyPlanFactory(episode=episode, family=episode.family)
    with pytest.raises(PlanError, match="at least one goal"):
        plan_agree(user=cfs_worker_user, plan=plan, agreed_on=TODAY(), family_agreed=True)
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_plan_agree_refuses_an_agreed_or_superseded_plan(episode, cfs_worker_user):
    plan = agreed_plan(episode, cfs_worker_user)
    with pytest.raises(PlanError, match="agreed cannot become agreed"):
        plan_agree(user=cfs_worker_user, plan=plan, agreed_on=TODAY(), family_agreed=True)


def test_plan_agree_needs_the_family_and_a_date_not_in_the_future(episode, cfs_worker_user):
    plan = FamilyPlanFactory(episode=episode, family=episode.family)
    GoalFactory(plan=plan)
    with pytest.raises(ValidationError) as error:
        plan_agree(user=cfs_worker_user, plan=plan, agreed_on=TODAY(), family_agreed=False)
    assert "Confirm that the family agreed the plan" in str(error.value)
    with pytest.raises(ValidationError) as error:
        plan_agree(user=cfs_worker_user, plan=plan, agreed_on=TODAY() + timedelta(days=1), family_agreed=True)
    assert "today or in the past" in str(error.value)


# ------------------------------------------------------------------ pre-fill from the assessment


def test_plan_source_assessment_prefers_the_episodes_own_then_the_latest_authorised(episode):
    family = episode.family
    AssessmentFactory(family=family, status="draft")
    older = make_assessment(family)
    latest = make_assessment(family)
    assert plan_source_assessment(episode=episode) == latest
    episode.assessment = older
    assert plan_source_assessment(episode=episode) == older


def test_plan_goal_suggestions_offer_each_need_with_that_persons_baseline(episode, cfs_worker_user, child):
    assessment = make_assessment(episode.family)
    ScalingFactory(assessment=assessment, person=child, score=2)
    ScalingFactory(assessment=assessment, person=None, score=4)
    for_child = NeedFactory(assessment=assessment, person=child, description="School every day")
    whole = NeedFactory(assessment=assessment, person=None, headline="financial", description="Debt")
    other = PersonFactory()
    FamilyMemberFactory(family=episode.family, person=other)
    unscaled = NeedFactory(assessment=assessment, person=other, headline="health", description="Sleep")
    suggestions = {s.need: s for s in plan_goal_suggestions(user=cfs_worker_user, assessment=assessment)}
    assert (suggestions[for_child].text, suggestions[for_child].for_whom, suggestions[for_child].baseline) == (
        "School every day",
        "Zoë O'Brien",
        2,
    )
    assert (suggestions[whole].for_whom, suggestions[whole].baseline) == ("Whole family", 4)
    assert suggestions[unscaled].baseline is None


def test_plan_goal_suggestions_only_from_an_authorised_assessment(episode, cfs_worker_user):
    submitted = AssessmentFactory(family=episode.family, status="submitted")
    NeedFactory(assessment=submitted)
    assert plan_goal_suggestions(user=cfs_worker_user, assessment=submitted) == []


def test_plan_create_refuses_a_confirmed_goal_whose_target_is_not_above_its_baseline(episode, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        plan_create(user=cfs_worker_user, episode=episode, goals=[GoalDraft(text="x", baseline=6, target=6)])
    assert "Goal 1: The target must be higher on the scale" in str(error.value)
    assert not episode.plans.exists()


# ------------------------------------------------------------------ goals and scores


@pytest.fixture
def plan(episode):
    return FamilyPlanFactory(episode=episode, family=episode.family)


def test_goal_add_refuses_a_target_not_above_the_baseline(plan, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        goal_add(user=cfs_worker_user, plan=plan, text="Sleep", baseline=5, target=3)
    assert error.value.message_dict["target"] == ["The target must be higher on the scale than where the family starts"]


def test_goal_add_refuses_someone_outside_the_family(plan, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        goal_add(user=cfs_worker_user, plan=plan, text="Sleep", baseline=2, target=6, person=PersonFactory())
    assert error.value.message_dict["person"] == ["Choose someone in this family"]


def test_goal_add_refuses_a_need_of_another_family(plan, cfs_worker_user, other_family):
    need = NeedFactory(assessment=make_assessment(other_family))
    with pytest.raises(ValidationError):
        goal_add(user=cfs_worker_user, plan=plan, text="Sleep", baseline=2, target=6, need=need)


def test_goal_add_numbers_goals_in_order(plan, cfs_worker_user):
    first = goal_add(user=cfs_worker_user, plan=plan, text="One", baseline=2, target=6)
    second = goal_add(user=cfs_worker_user, plan=plan, text="Two", baseline=2, target=6)
    assert (first.position, second.position) == (1, 2)


def test_goal_score_keeps_a_history_and_the_latest_by_date(plan, cfs_worker_user):
    goal = goal_add(user=cfs_worker_user, plan=plan, text="Sleep", baseline=2, target=8)
    goal_score(user=cfs_worker_user, goal=goal, score=5, scored_on=TODAY(), comment="Better")
    goal_score(user=cfs_worker_user, goal=goal, score=4, scored_on=TODAY() - timedelta(days=7))
    goal.refresh_from_db()
    assert goal.latest == 5  # the most recent date wins, not the most recent entry
    history = list(goal.scores.values_list("score", "recorded_by", "comment"))
    assert history == [
        (4, cfs_worker_user.pk, ""),  # in date order: the week-old score comes before today's baseline
        (2, cfs_worker_user.pk, "Baseline"),
        (5, cfs_worker_user.pk, "Better"),
    ]


def test_goal_score_refuses_a_future_date_and_an_off_scale_score(plan, cfs_worker_user):
    goal = GoalFactory(plan=plan)
    with pytest.raises(ValidationError) as error:
        goal_score(user=cfs_worker_user, goal=goal, score=5, scored_on=TODAY() + timedelta(days=1))
    assert "today or in the past" in str(error.value)
    with pytest.raises(ValidationError):
        goal_score(user=cfs_worker_user, goal=goal, score=11, scored_on=TODAY())
    assert not GoalScore.objects.filter(goal=goal).exists()


def test_goal_edit_changes_status_and_wording(plan, cfs_worker_user):
    goal = GoalFactory(plan=plan)
    goal_edit(user=cfs_worker_user, goal=goal, text="New", baseline=3, target=9, status="achieved", lock_version=0)
    goal.refresh_from_db()
    assert (goal.text, goal.target, goal.status, goal.lock_version) == ("New", 9, "achieved", 1)


# ------------------------------------------------------------------ actions


def test_action_add_refuses_no_owner_and_no_due_date(plan, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        action_add(user=cfs_worker_user, plan=plan, what="Call school", due_on=None)
    assert error.value.message_dict == {
        "owner_kind": ["Choose who owns the action: a practitioner, an agency or a family member"],
        "due_on": ["Enter the date the action is due"],
    }


def test_action_add_refuses_two_owners(plan, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        action_add(
            user=cfs_worker_user,
            plan=plan,
            what="Call school",
            due_on=TODAY(),
            owner_user=cfs_worker_user,
            owner_agency=AgencyFactory(),
        )
    assert "owner_kind" in error.value.message_dict


def test_action_add_practitioner_must_be_lead_taf_member_or_team_worker(plan, cfs_worker_user, other_lat_user):
    stranger = UserFactory()
    with pytest.raises(ValidationError) as error:
        action_add(user=cfs_worker_user, plan=plan, what="x", due_on=TODAY(), owner_user=stranger)
    assert "owner_user" in error.value.message_dict
    with pytest.raises(ValidationError):
        action_add(user=cfs_worker_user, plan=plan, what="x", due_on=TODAY(), owner_user=other_lat_user)
    TafMemberFactory(episode=plan.episode, family=plan.family, user=stranger)
    assert action_add(user=cfs_worker_user, plan=plan, what="x", due_on=TODAY(), owner_user=stranger).owner == stranger
    lead = action_add(user=cfs_worker_user, plan=plan, what="x", due_on=TODAY(), owner_user=cfs_worker_user)
    assert lead.owner == cfs_worker_user


def test_action_add_family_member_owner_must_be_in_the_family(plan, cfs_worker_user, child):
    with pytest.raises(ValidationError) as error:
        action_add(user=cfs_worker_user, plan=plan, what="x", due_on=TODAY(), owner_person=PersonFactory())
    assert error.value.message_dict["owner_person"] == ["Choose someone in this family"]
    action = action_add(user=cfs_worker_user, plan=plan, what="Pack bag", due_on=TODAY(), owner_person=child)
    assert action.owner == child


def test_action_add_refuses_a_past_due_date_and_a_goal_of_another_plan(plan, cfs_worker_user):
    agency = AgencyFactory()
    with pytest.raises(ValidationError) as error:
        action_add(user=cfs_worker_user, plan=plan, what="x", due_on=TODAY() - timedelta(days=1), owner_agency=agency)
    assert error.value.message_dict["due_on"] == ["The due date must be today or in the future"]
    with pytest.raises(ValidationError) as error:
        action_add(user=cfs_worker_user, plan=plan, what="x", due_on=TODAY(), owner_agency=agency, goal=GoalFactory())
    assert "goal" in error.value.message_dict


def test_action_done_sets_completed_on_and_closes_its_overdue_task(plan, cfs_worker_user):
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user, due_on=TODAY() - timedelta(days=3))
    task = TaskFactory(family=plan.family, key=action_overdue_key(action), kind=Task.Kind.ACTION_OVERDUE)
    other = TaskFactory(family=plan.family, key="action_overdue:someone-else")
    action_edit(
        user=cfs_worker_user,
        action=action,
        what=action.what,
        due_on=action.due_on,  # an overdue date may stay as it is
        owner_user=cfs_worker_user,
        status="done",
        lock_version=0,
    )
    action.refresh_from_db()
    task.refresh_from_db()
    other.refresh_from_db()
    assert (action.status, action.completed_on) == ("done", TODAY())
    assert (task.status, task.completed_on) == ("done", TODAY())
    assert other.status == "open"


def test_action_reopened_clears_completed_on(plan, cfs_worker_user):
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user, status="done", completed_on=TODAY())
    action_edit(
        user=cfs_worker_user,
        action=action,
        what=action.what,
        due_on=action.due_on,
        owner_user=cfs_worker_user,
        status="in_progress",
        lock_version=0,
    )
    action.refresh_from_db()
    assert (action.status, action.completed_on) == ("in_progress", None)


def test_action_edit_keeps_a_carried_owner_who_left_the_team(plan, cfs_worker_user):
    gone = UserFactory()
    action = ActionFactory(plan=plan, owner_user=gone)
    action_edit(
        user=cfs_worker_user,
        action=action,
        what="Reworded",
        due_on=action.due_on,
        owner_user=gone,
        status=action.status,
        lock_version=0,
    )
    action.refresh_from_db()
    assert action.what == "Reworded"


# ------------------------------------------------------------------ read-only: closed episodes, superseded plans


@pytest.mark.parametrize("status", [Episode.Status.CLOSED, Episode.Status.STEPPED_UP, Episode.Status.DECLINED])
def test_plan_writes_refused_once_the_episode_has_ended(own_family, cfs_worker_user, status):
    episode = make_episode(own_family, cfs_worker_user, status=status)
    plan = FamilyPlanFactory(episode=episode, family=own_family)
    goal = GoalFactory(plan=plan)
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user)
    writes = [
        lambda: plan_create(user=cfs_worker_user, episode=episode),
        lambda: plan_agree(user=cfs_worker_user, plan=plan, agreed_on=TODAY(), family_agreed=True),
        lambda: plan_edit(user=cfs_worker_user, plan=plan, summary="x", lock_version=0),
        lambda: goal_add(user=cfs_worker_user, plan=plan, text="x", baseline=1, target=5),
        lambda: goal_edit(
            user=cfs_worker_user, goal=goal, text="x", baseline=1, target=5, status="open", lock_version=0
        ),
        lambda: goal_score(user=cfs_worker_user, goal=goal, score=5, scored_on=TODAY()),
        lambda: action_add(user=cfs_worker_user, plan=plan, what="x", due_on=TODAY(), owner_user=cfs_worker_user),
        lambda: action_edit(
            user=cfs_worker_user,
            action=action,
            what="x",
            due_on=action.due_on,
            owner_user=cfs_worker_user,
            status="done",
            lock_version=0,
        ),
    ]
    for write in writes:
        with pytest.raises(EpisodeError, match="can no longer be changed"):
            write()
    plan.refresh_from_db()
    goal.refresh_from_db()
    assert (plan.status, plan.summary, goal.text, GoalScore.objects.count()) == (
        "draft",
        "Steady routines at home and school every day",
        goal.text,
        0,
    )


def test_superseded_plan_is_read_only(episode, cfs_worker_user):
    plan = FamilyPlanFactory(episode=episode, family=episode.family, status=FamilyPlan.Status.SUPERSEDED)
    goal = GoalFactory(plan=plan)
    with pytest.raises(PlanError, match="replaced by a later one"):
        goal_score(user=cfs_worker_user, goal=goal, score=5, scored_on=TODAY())
    with pytest.raises(PlanError, match="replaced by a later one"):
        plan_edit(user=cfs_worker_user, plan=plan, summary="x", lock_version=0)


# ------------------------------------------------------------------ optimistic locking


def test_plan_edit_stale_copy_is_refused_naming_who_saved(plan, cfs_worker_user, lat_manager_user):
    first = FamilyPlan.objects.get(pk=plan.pk)
    second = FamilyPlan.objects.get(pk=plan.pk)
    with acting_as(lat_manager_user):
        plan_edit(user=lat_manager_user, plan=first, summary="The manager's words", lock_version=0)
    with acting_as(cfs_worker_user), pytest.raises(StaleEdit) as stale:
        plan_edit(user=cfs_worker_user, plan=second, summary="The worker's words", lock_version=0)
    assert stale.value.changed_by == "Mel Manager"
    assert "Mel Manager changed this at" in str(stale.value)
    plan.refresh_from_db()
    assert (plan.summary, plan.lock_version) == ("The manager's words", 1)


def test_goal_and_action_edits_are_locked(plan, cfs_worker_user):
    goal = GoalFactory(plan=plan)
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user)
    goal_edit(user=cfs_worker_user, goal=goal, text="a", baseline=1, target=5, status="open", lock_version=0)
    with pytest.raises(StaleEdit):
        goal_edit(user=cfs_worker_user, goal=goal, text="b", baseline=1, target=5, status="open", lock_version=0)
    fields = {"what": "a", "due_on": action.due_on, "owner_user": cfs_worker_user, "status": action.status}
    action_edit(user=cfs_worker_user, action=action, lock_version=0, **fields)
    with pytest.raises(StaleEdit):
        action_edit(user=cfs_worker_user, action=action, lock_version=0, **fields | {"what": "b"})
    goal.refresh_from_db()
    action.refresh_from_db()
    assert (goal.text, action.what) == ("a", "a")
