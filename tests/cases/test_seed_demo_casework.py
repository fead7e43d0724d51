"""The demo's casework: seed_demo gives a share of families an episode of early help whose records are consistent."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from cases.models import (
    Action,
    CaseNoteAmendment,
    Closure,
    Episode,
    FamilyPlan,
    FamilyUserObjectPermission,
    Goal,
    Intervention,
    InterventionExtension,
    TafMember,
    Task,
)
from earlyhelp.accounts.models import User
from earlyhelp.accounts.services import service_account_get

pytestmark = pytest.mark.django_db


def _seed() -> None:
    call_command("seed_demo", families=30, seed=5, stdout=io.StringIO())


def _goals_rise_from_baseline_to_target_with_their_scaling():
    goals = Goal.objects.annotate(n=Count("scores"))
    assert goals.exists()
    assert not goals.filter(target__lte=F("baseline")).exists()
    assert set(goals.values_list("n", flat=True)) <= {1, 2, 3, 4}
    for goal in goals:
        assert goal.latest == list(goal.scores.order_by("scored_on", "id"))[-1].score
        assert goal.scores.order_by("scored_on", "id").first().score == goal.baseline


def _plans_are_agreed_with_goals_and_actions_each_with_one_owner():
    plans = FamilyPlan.objects.annotate(
        goal_count=Count("goals", distinct=True), action_count=Count("actions", distinct=True)
    )
    assert plans.exists() and not plans.exclude(status=FamilyPlan.Status.AGREED).exists()
    assert set(plans.values_list("goal_count", flat=True)) <= {2, 3, 4}
    assert set(plans.values_list("action_count", flat=True)) <= {2, 3, 4, 5}
    for action in Action.objects.all():
        assert [action.owner_user_id, action.owner_agency_id, action.owner_person_id].count(None) == 2
    today = timezone.localdate()
    assert Action.objects.filter(status=Action.Status.DONE).exists()
    overdue = Action.objects.filter(due_on__lt=today, status__in=[Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS])
    assert overdue.exists()
    assert {f"action_overdue:{a.uuid}" for a in overdue} <= set(Task.objects.values_list("key", flat=True))


def _child_and_family_support_worker_has_a_caseload():
    worker = User.objects.get(email="cfs.tang-hall@example.org")
    caseload = Episode.objects.filter(lead_practitioner=worker, status__in=Episode.OPEN)
    assert caseload.count() >= 3
    assert Intervention.objects.filter(worker=worker, status=Intervention.Status.ACTIVE).exists()
    assert Task.objects.filter(assigned_to=worker, status=Task.Status.OPEN).exists()
    assert set(caseload.values_list("local_area_team__slug", flat=True)) == {"tang-hall"}


def _closes_some_episodes_and_leaves_one_for_a_manager():
    closed = Closure.objects.filter(status=Closure.Status.APPROVED)
    assert closed.exists()
    assert set(closed.values_list("episode__status", flat=True)) == {Episode.Status.CLOSED}
    assert all(1 <= c.satisfaction <= 5 for c in closed if c.satisfaction is not None)
    waiting = Closure.objects.get(episode__status=Episode.Status.CLOSING, episode__local_area_team__slug="tang-hall")
    assert waiting.status == Closure.Status.AWAITING_APPROVAL
    task = Task.objects.get(key=f"closure:{waiting.uuid}")
    assert (task.kind, task.assigned_to, task.team) == (
        Task.Kind.CLOSURE_DECISION,
        None,
        waiting.episode.local_area_team,
    )


def _asks_for_an_extension_and_a_manager_decides_it():
    extension = InterventionExtension.objects.filter(status=InterventionExtension.Status.REQUESTED).first()
    assert extension is not None
    assert (extension.new_end_on - extension.intervention.started_on).days > 12 * 7
    assert Task.objects.get(key=f"extension:{extension.uuid}").kind == Task.Kind.EXTENSION_DECISION


def _reviews_are_due_and_some_overdue():
    today = timezone.localdate()
    active = Episode.objects.filter(status=Episode.Status.PLAN_ACTIVE)
    assert active.filter(next_review_due__lt=today).exists()
    for episode in active.filter(next_review_due__lt=today):
        assert Task.objects.filter(key=f"review_due:{episode.uuid}", status=Task.Status.OPEN).exists()
        assert episode.meetings.filter(kind="initial", status="held").exists()


def _keeps_mash_families_to_one_episode_and_waits_for_allocation():
    requested = Episode.objects.filter(status=Episode.Status.REQUESTED)
    assert requested.exists()
    for episode in requested:
        assert episode.family.episodes.count() == 1
        assert Task.objects.get(key=f"allocation:{episode.uuid}").kind == Task.Kind.ALLOCATION_WAITING


def _notes_lock_and_one_is_amended():
    amendment = CaseNoteAmendment.objects.select_related("note").first()
    assert amendment is not None and amendment.note.is_locked
    assert Episode.objects.filter(notes__significant=True).exists()


def _partner_joins_a_team_around_the_family_with_sight_of_it():
    member = TafMember.objects.filter(user__email="partner.school@example.org").first()
    assert member is not None
    assert FamilyUserObjectPermission.objects.filter(user=member.user, content_object=member.family).exists()


def _casework_history_is_written_by_its_service_account():
    robot = service_account_get(name="seed-demo")
    for model in (Episode, Goal, Action, Task, Closure):
        assert model.history.exists()
        assert not model.history.filter(~Q(history_user=robot)).exists()


def test_seed_demo_plans_goals_and_actions_are_consistent(york_reference_data):
    _seed()
    _goals_rise_from_baseline_to_target_with_their_scaling()
    _plans_are_agreed_with_goals_and_actions_each_with_one_owner()


def test_seed_demo_workers_and_managers_have_casework_to_do(york_reference_data):
    _seed()
    _child_and_family_support_worker_has_a_caseload()
    _closes_some_episodes_and_leaves_one_for_a_manager()
    _asks_for_an_extension_and_a_manager_decides_it()
    _reviews_are_due_and_some_overdue()


def test_seed_demo_casework_respects_the_front_door_notes_consent_and_history(york_reference_data):
    _seed()
    _keeps_mash_families_to_one_episode_and_waits_for_allocation()
    _notes_lock_and_one_is_amended()
    _partner_joins_a_team_around_the_family_with_sight_of_it()
    _casework_history_is_written_by_its_service_account()
