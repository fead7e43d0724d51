"""The daily sweep: each reminder raised when the work falls due and closed when it is done, as the days go by."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from cases.models import Action, Episode, FamilyPlan, Intervention, Task
from cases.services.work import case_tasks_sweep, working_days_after
from cases.tasks import case_tasks_sweep_task
from consent.models import ConsentRecord
from tests.factories import (
    ActionFactory,
    AgencyFactory,
    AllocatedEpisodeFactory,
    ConsentRecordFactory,
    EpisodeFactory,
    FamilyFactory,
    FamilyPlanFactory,
    InterventionFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = date(2025, 6, 2)  # no bank holiday within three weeks either side
YORK = ZoneInfo("Europe/London")


def _open(key: str) -> list[Task]:
    return list(Task.objects.filter(key=key, status=Task.Status.OPEN))


def _all_tasks() -> list[tuple]:
    return sorted(Task.objects.values_list("key", "status", "due_on", "assigned_to_id", "team_id"))


@pytest.fixture
def episode(own_family, cfs_worker_user):
    return AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)


# Review due -------------------------------------------------------------------------------------------------------


def test_sweep_raises_review_due_within_five_working_days_for_the_lead(episode, cfs_worker_user):
    episode.next_review_due = working_days_after(MONDAY, 6)  # Tuesday next week
    episode.save()
    case_tasks_sweep(today=MONDAY)
    assert not _open(f"review_due:{episode.uuid}")

    case_tasks_sweep(today=MONDAY + timedelta(days=1))

    [task] = _open(f"review_due:{episode.uuid}")
    assert task.kind == Task.Kind.REVIEW_DUE
    assert task.assigned_to == cfs_worker_user and task.team is None
    assert task.family == episode.family and task.episode == episode
    assert task.due_on == episode.next_review_due


def test_sweep_raises_review_due_past_its_date(episode):
    episode.next_review_due = MONDAY - timedelta(days=20)
    episode.save()
    case_tasks_sweep(today=MONDAY)
    [task] = _open(f"review_due:{episode.uuid}")
    assert task.due_on < MONDAY


def test_sweep_closes_review_due_when_the_date_moves_on(episode):
    episode.next_review_due = MONDAY + timedelta(days=2)
    episode.save()
    case_tasks_sweep(today=MONDAY)
    [task] = _open(f"review_due:{episode.uuid}")

    episode.next_review_due = MONDAY + timedelta(weeks=6)
    episode.save()
    result = case_tasks_sweep(today=MONDAY + timedelta(days=1))

    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.completed_on == MONDAY + timedelta(days=1)
    assert result.closed == 1


def test_sweep_moves_review_due_to_the_new_date_within_the_window(episode):
    episode.next_review_due = MONDAY + timedelta(days=2)
    episode.save()
    case_tasks_sweep(today=MONDAY)
    episode.next_review_due = MONDAY + timedelta(days=3)
    episode.save()

    result = case_tasks_sweep(today=MONDAY)

    [task] = _open(f"review_due:{episode.uuid}")
    assert task.due_on == MONDAY + timedelta(days=3)
    assert result.moved == 1 and result.raised == 0


def test_sweep_closes_review_due_when_the_episode_ends(episode):
    episode.next_review_due = MONDAY
    episode.save()
    case_tasks_sweep(today=MONDAY)
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.CLOSED)

    case_tasks_sweep(today=MONDAY)

    assert not _open(f"review_due:{episode.uuid}")
    assert Task.objects.get(key=f"review_due:{episode.uuid}").status == Task.Status.DONE


def test_sweep_follows_a_new_lead_practitioner(episode, lat_manager_user):
    episode.next_review_due = MONDAY
    episode.save()
    case_tasks_sweep(today=MONDAY)
    episode.lead_practitioner = lat_manager_user
    episode.save()

    case_tasks_sweep(today=MONDAY)

    [task] = _open(f"review_due:{episode.uuid}")
    assert task.assigned_to == lat_manager_user


def test_sweep_gives_a_review_without_a_lead_to_the_team(own_family, lats):
    episode = AllocatedEpisodeFactory(family=own_family, lead_practitioner=None, next_review_due=MONDAY)
    case_tasks_sweep(today=MONDAY)
    [task] = _open(f"review_due:{episode.uuid}")
    assert task.assigned_to is None and task.team == lats["tang-hall"]


def test_sweep_leaves_review_tasks_under_other_keys_alone(episode):
    other = Task.objects.create(
        family=episode.family,
        episode=episode,
        kind=Task.Kind.REVIEW_DUE,
        key="review_due:00000000-0000-4000-8000-000000000000",
        title="Review raised by another service",
        assigned_to=episode.lead_practitioner,
        due_on=MONDAY,
    )
    case_tasks_sweep(today=MONDAY)
    other.refresh_from_db()
    assert other.status == Task.Status.OPEN


# Intervention week 10 of 12 ----------------------------------------------------------------------------------------


@pytest.fixture
def intervention(episode, cfs_worker_user):
    start = MONDAY - timedelta(weeks=9)
    return InterventionFactory(
        episode=episode, worker=cfs_worker_user, started_on=start, planned_end_on=start + timedelta(weeks=12)
    )


def test_sweep_raises_intervention_ending_two_weeks_before_its_planned_end(intervention, cfs_worker_user):
    two_weeks_before = intervention.planned_end_on - timedelta(weeks=2)
    case_tasks_sweep(today=two_weeks_before - timedelta(days=1))
    assert not _open(f"intervention_ending:{intervention.uuid}")

    case_tasks_sweep(today=two_weeks_before)

    [task] = _open(f"intervention_ending:{intervention.uuid}")
    assert task.kind == Task.Kind.INTERVENTION_ENDING
    assert task.assigned_to == cfs_worker_user
    assert task.episode == intervention.episode and task.family == intervention.family
    assert task.due_on == intervention.planned_end_on


def test_sweep_closes_intervention_ending_when_extended_beyond_the_window(intervention):
    today = intervention.planned_end_on - timedelta(weeks=1)
    case_tasks_sweep(today=today)
    intervention.planned_end_on += timedelta(weeks=4)
    intervention.save()

    case_tasks_sweep(today=today)

    assert not _open(f"intervention_ending:{intervention.uuid}")


def test_sweep_closes_intervention_ending_when_it_ends(intervention):
    today = intervention.planned_end_on - timedelta(weeks=1)
    case_tasks_sweep(today=today)
    Intervention.objects.filter(pk=intervention.pk).update(status=Intervention.Status.COMPLETED, ended_on=today)

    case_tasks_sweep(today=today)

    assert not _open(f"intervention_ending:{intervention.uuid}")


def test_sweep_time_moved_through_an_intervention(intervention):
    """Day by day with the clock moved, as the beat task runs it: raised at week 10 of 12, kept until it ends."""
    raised_on = []
    for offset in range(0, 21):
        day = MONDAY + timedelta(days=offset)
        with time_machine.travel(datetime.combine(day, datetime.min.time(), tzinfo=YORK).replace(hour=5), tick=False):
            case_tasks_sweep_task()
        if _open(f"intervention_ending:{intervention.uuid}") and not raised_on:
            raised_on.append(day)
    assert raised_on == [intervention.planned_end_on - timedelta(weeks=2)]
    assert len(Task.objects.filter(key=f"intervention_ending:{intervention.uuid}")) == 1


# Consent review ----------------------------------------------------------------------------------------------------


def test_sweep_asks_the_lead_to_renew_consent_within_30_days_of_its_review(episode, cfs_worker_user):
    consent = ConsentRecordFactory(family=episode.family, status="given", review_on=MONDAY + timedelta(days=30))
    case_tasks_sweep(today=MONDAY - timedelta(days=1))
    assert not _open(f"consent_review:{consent.uuid}")

    case_tasks_sweep(today=MONDAY)

    [task] = _open(f"consent_review:{consent.uuid}")
    assert task.kind == Task.Kind.CONSENT_REVIEW
    assert task.assigned_to == cfs_worker_user and task.episode == episode
    assert task.due_on == consent.review_on


def test_sweep_closes_consent_review_once_consent_lapses_so_consent_own_tasks_take_over(episode):
    consent = ConsentRecordFactory(family=episode.family, status="given", review_on=MONDAY + timedelta(days=5))
    case_tasks_sweep(today=MONDAY)
    ConsentRecord.objects.filter(pk=consent.pk).update(status=ConsentRecord.Status.EXPIRED)

    case_tasks_sweep(today=MONDAY + timedelta(days=6))

    assert not _open(f"consent_review:{consent.uuid}")


def test_sweep_raises_no_consent_review_without_open_early_help(own_family):
    consent = ConsentRecordFactory(family=own_family, status="given", review_on=MONDAY + timedelta(days=5))
    case_tasks_sweep(today=MONDAY)
    assert not Task.objects.filter(key=f"consent_review:{consent.uuid}").exists()


# Overdue actions ---------------------------------------------------------------------------------------------------


@pytest.fixture
def plan(episode):
    return FamilyPlanFactory(episode=episode, status=FamilyPlan.Status.AGREED)


def test_sweep_raises_overdue_action_for_its_owner(plan):
    owner = UserFactory()
    action = ActionFactory(plan=plan, owner_user=owner, due_on=MONDAY)
    case_tasks_sweep(today=MONDAY)
    assert not _open(f"action_overdue:{action.uuid}")

    case_tasks_sweep(today=MONDAY + timedelta(days=1))

    [task] = _open(f"action_overdue:{action.uuid}")
    assert task.kind == Task.Kind.ACTION_OVERDUE
    assert task.assigned_to == owner and task.episode == plan.episode and task.family == plan.family
    assert task.due_on == MONDAY
    assert "Agree a morning routine chart" in task.title


@pytest.mark.parametrize("owner", ["agency", "person"])
def test_sweep_gives_an_agency_or_family_member_action_to_the_lead(plan, cfs_worker_user, owner):
    fields = {"owner_agency": AgencyFactory()} if owner == "agency" else {"owner_person": PersonFactory()}
    action = ActionFactory(plan=plan, owner_user=None, due_on=MONDAY - timedelta(days=3), **fields)
    case_tasks_sweep(today=MONDAY)
    [task] = _open(f"action_overdue:{action.uuid}")
    assert task.assigned_to == cfs_worker_user


def test_sweep_closes_overdue_action_when_done(plan):
    action = ActionFactory(plan=plan, due_on=MONDAY - timedelta(days=3))
    case_tasks_sweep(today=MONDAY)
    Action.objects.filter(pk=action.pk).update(status=Action.Status.DONE, completed_on=MONDAY)

    case_tasks_sweep(today=MONDAY + timedelta(days=1))

    assert not _open(f"action_overdue:{action.uuid}")


def test_sweep_ignores_actions_on_superseded_plans(episode):
    old = FamilyPlanFactory(episode=episode, status=FamilyPlan.Status.SUPERSEDED)
    action = ActionFactory(plan=old, due_on=MONDAY - timedelta(days=3))
    case_tasks_sweep(today=MONDAY)
    assert not Task.objects.filter(key=f"action_overdue:{action.uuid}").exists()


def test_sweep_reminds_once_for_an_action_copied_into_a_draft(plan, episode):
    action = ActionFactory(plan=plan, due_on=MONDAY - timedelta(days=3))
    draft = FamilyPlanFactory(episode=episode, version=2, status=FamilyPlan.Status.DRAFT)
    copy = ActionFactory(plan=draft, owner_user=action.owner_user, due_on=action.due_on, carried_from=action)
    case_tasks_sweep(today=MONDAY)
    assert _open(f"action_overdue:{action.uuid}")
    assert not _open(f"action_overdue:{copy.uuid}")


# Allocation waiting ------------------------------------------------------------------------------------------------


@pytest.fixture
def request_monday(own_family):
    requested = datetime.combine(MONDAY, datetime.min.time(), tzinfo=YORK).replace(hour=10)
    return EpisodeFactory(family=own_family, requested_at=requested)


def test_sweep_raises_allocation_waiting_after_two_working_days_for_the_team(request_monday, lats):
    case_tasks_sweep(today=MONDAY + timedelta(days=2))  # Wednesday: two working days have not passed
    assert not _open(f"allocation:{request_monday.uuid}")

    case_tasks_sweep(today=MONDAY + timedelta(days=3))

    [task] = _open(f"allocation:{request_monday.uuid}")
    assert task.kind == Task.Kind.ALLOCATION_WAITING
    assert task.team == lats["tang-hall"] and task.assigned_to is None
    assert task.episode == request_monday
    assert task.due_on == MONDAY + timedelta(days=2)


def test_sweep_closes_allocation_waiting_when_allocated(request_monday, cfs_worker_user):
    case_tasks_sweep(today=MONDAY + timedelta(days=7))
    Episode.objects.filter(pk=request_monday.pk).update(
        status=Episode.Status.ALLOCATED, lead_practitioner=cfs_worker_user
    )
    case_tasks_sweep(today=MONDAY + timedelta(days=8))
    assert not _open(f"allocation:{request_monday.uuid}")


def test_sweep_closes_allocation_waiting_when_declined(request_monday):
    case_tasks_sweep(today=MONDAY + timedelta(days=7))
    Episode.objects.filter(pk=request_monday.pk).update(status=Episode.Status.DECLINED)
    case_tasks_sweep(today=MONDAY + timedelta(days=8))
    assert not _open(f"allocation:{request_monday.uuid}")


def test_sweep_keeps_the_request_own_allocation_task_and_does_not_duplicate_it(request_monday, lats):
    """Starting targeted help raises its own allocation task at once: the sweep neither closes nor repeats it."""
    own = Task.objects.create(
        family=request_monday.family,
        episode=request_monday,
        kind=Task.Kind.ALLOCATION_WAITING,
        key=f"allocation:{request_monday.uuid}",
        title="Allocate the request for targeted early help",
        team=lats["tang-hall"],
        due_on=MONDAY + timedelta(days=5),
    )
    case_tasks_sweep(today=MONDAY)
    case_tasks_sweep(today=MONDAY + timedelta(days=4))
    own.refresh_from_db()
    assert own.status == Task.Status.OPEN and own.due_on == MONDAY + timedelta(days=5)
    assert Task.objects.filter(key=own.key).count() == 1


def test_sweep_counts_working_days_over_a_bank_holiday(own_family):
    """Friday 23 May 2025, then the Spring bank holiday: Tuesday and Wednesday are the two working days."""
    requested = datetime(2025, 5, 23, 15, tzinfo=YORK)
    episode = EpisodeFactory(family=own_family, requested_at=requested)
    case_tasks_sweep(today=date(2025, 5, 28))
    assert not _open(f"allocation:{episode.uuid}")
    case_tasks_sweep(today=date(2025, 5, 29))
    assert _open(f"allocation:{episode.uuid}")


# The sweep as a whole ----------------------------------------------------------------------------------------------


def _one_of_each(family, lead):
    episode = AllocatedEpisodeFactory(family=family, lead_practitioner=lead, next_review_due=MONDAY)
    plan = FamilyPlanFactory(episode=episode, status=FamilyPlan.Status.AGREED)
    ActionFactory(plan=plan, owner_user=lead, due_on=MONDAY - timedelta(days=1))
    InterventionFactory(
        episode=episode,
        worker=lead,
        started_on=MONDAY - timedelta(weeks=11),
        planned_end_on=MONDAY + timedelta(weeks=1),
    )
    ConsentRecordFactory(family=family, status="given", review_on=MONDAY + timedelta(days=10))
    EpisodeFactory(
        family=FamilyFactory(local_area_team=family.local_area_team), requested_at=datetime(2025, 5, 1, tzinfo=YORK)
    )


def test_sweep_run_twice_gives_the_same_tasks(own_family, cfs_worker_user):
    _one_of_each(own_family, cfs_worker_user)
    first = case_tasks_sweep(today=MONDAY)
    tasks = _all_tasks()
    second = case_tasks_sweep(today=MONDAY)
    assert first.raised == 5
    assert _all_tasks() == tasks
    assert (second.raised, second.moved, second.closed) == (0, 0, 0)


def test_sweep_does_not_raise_again_a_task_someone_marked_done_until_the_date_changes(episode):
    episode.next_review_due = MONDAY
    episode.save()
    case_tasks_sweep(today=MONDAY)
    Task.objects.filter(key=f"review_due:{episode.uuid}").update(status=Task.Status.DONE, completed_on=MONDAY)

    case_tasks_sweep(today=MONDAY + timedelta(days=1))
    assert not _open(f"review_due:{episode.uuid}")

    episode.next_review_due = MONDAY + timedelta(days=3)
    episode.save()
    case_tasks_sweep(today=MONDAY + timedelta(days=1))
    [task] = _open(f"review_due:{episode.uuid}")
    assert task.due_on == MONDAY + timedelta(days=3)


def test_sweep_task_writes_history_as_the_service_account(episode):
    episode.next_review_due = MONDAY
    episode.save()
    with time_machine.travel(datetime(2025, 6, 2, 5, 30, tzinfo=YORK), tick=False):
        result = case_tasks_sweep_task()
    assert result == {"raised": 1, "moved": 0, "closed": 0}
    task = Task.objects.get(key=f"review_due:{episode.uuid}")
    [row] = task.history.all()
    assert row.history_user.email.startswith("case-tasks@")


def test_sweep_is_scheduled_daily_early_in_the_morning():
    entry = settings.CELERY_BEAT_SCHEDULE["case-tasks-daily"]
    assert entry["task"] == "cases.tasks.case_tasks_sweep_task"
    assert entry["schedule"].hour == {5} and entry["schedule"].minute == {30}


# Queries stay the same however many families -----------------------------------------------------------------------

# Five reads of the work, the open and the done reminders; then the new tasks and their history rows (in a savepoint,
# so a race with a service raising the same key can fall back), or the closed and moved tasks and their history rows.
# Two more are the sweep's own savepoint inside the test's transaction.
SWEEP_QUERIES_RAISING = 13
SWEEP_QUERIES_CLOSING = 13


def _families_with_work(lats, count):
    lead = UserFactory()
    for _ in range(count):
        _one_of_each(FamilyFactory(local_area_team=lats["tang-hall"]), lead)


# Up to 10 families (50 reminders): SQLite takes at most 999 values in one statement, so it splits an insert of more
# than 55 history rows in two; PostgreSQL does not. Beyond that the count grows by batch, never by family.
@pytest.mark.parametrize("count", [2, 10])
def test_sweep_query_count_does_not_grow_with_families(lats, count, django_assert_num_queries):
    _families_with_work(lats, count)
    with django_assert_num_queries(SWEEP_QUERIES_RAISING):
        result = case_tasks_sweep(today=MONDAY)
    assert result.raised == 5 * count
    Episode.objects.filter(status=Episode.Status.PLAN_ACTIVE).update(next_review_due=MONDAY + timedelta(weeks=6))
    Episode.objects.filter(status=Episode.Status.PLAN_ACTIVE).update(lead_practitioner=UserFactory())
    Intervention.objects.update(planned_end_on=MONDAY + timedelta(days=5))
    with django_assert_num_queries(SWEEP_QUERIES_CLOSING):
        result = case_tasks_sweep(today=MONDAY)
    assert result.closed == count  # the reviews, now six weeks off
    assert result.moved == 2 * count  # the interventions' new end, and the consent reminders to the new lead
