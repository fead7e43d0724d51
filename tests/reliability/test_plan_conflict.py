"""Two people saving the same plan: the second is told who saved first and when, what they typed is shown back to
them, and the first person's words are kept. At the same moment on PostgreSQL, exactly one save wins whole."""

import html
import re
import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import FamilyPlan, Goal
from earlyhelp.core.submit_once import ALREADY_SAVED
from tests.auth import signed_in_client
from tests.cases.test_plans_services import make_episode
from tests.conftest import is_postgresql, require_service
from tests.factories import FamilyPlanFactory, GoalFactory
from tests.reliability.conftest import sessions_waiting_on_locks

LOCK_VERSION = re.compile(r'name="lock_version" value="(\d+)"')
TOKEN = re.compile(r'name="form_token" value="([0-9a-f-]{36})"')
GOAL = {"baseline": "3", "target": "8", "status": "open"}


@pytest.fixture
def plan(own_family, cfs_worker_user):
    episode = make_episode(own_family, cfs_worker_user)
    return FamilyPlanFactory(episode=episode, family=own_family, created_by=cfs_worker_user, summary="First words")


def url(name: str, record) -> str:
    return reverse(f"cases:{name}", kwargs={"uuid": record.uuid})


def opened(client, address: str) -> dict:
    """What the edit page gives the person to send back: the version they started from and the form's token."""
    page = client.get(address).content.decode()
    return {"lock_version": LOCK_VERSION.search(page).group(1), "form_token": TOKEN.search(page).group(1)}


def assert_told_of_the_conflict(page: str, *, by: str, typed: str) -> None:
    assert 'class="govuk-error-summary"' in page and "Someone else saved this while you were working on it" in page
    when = re.search(rf"{by} changed this at (\d\d:\d\d) on (\d\d \w+ \d{{4}}), after you opened it", page)
    assert when and when.group(2) == f"{timezone.localtime():%d %B %Y}"
    assert "What you typed (not saved)" in page and html.escape(typed) in page


def test_second_person_saving_the_plan_is_told_who_saved_first_and_keeps_their_words(
    cfs_worker_client, lat_manager_client, plan
):
    worker, manager = (
        opened(cfs_worker_client, url("plan_edit", plan)),
        opened(lat_manager_client, url("plan_edit", plan)),
    )
    assert worker["lock_version"] == manager["lock_version"] == "0"
    first = lat_manager_client.post(url("plan_edit", plan), manager | {"summary": "The manager's summary"})
    assert first.status_code == 302
    second = cfs_worker_client.post(url("plan_edit", plan), worker | {"summary": "My long careful summary"})
    assert second.status_code == 200
    page = second.content.decode()
    assert_told_of_the_conflict(page, by="Mel Manager", typed="My long careful summary")
    assert "<title>Error:" in page
    # The form now holds the version saved, and starts from it: saving again is a choice made knowing of the change.
    assert html.escape("The manager's summary") in page and LOCK_VERSION.search(page).group(1) == "1"
    plan.refresh_from_db()
    assert (plan.summary, plan.lock_version) == ("The manager's summary", 1)
    # Nothing lost: the worker puts their words in and saves from the current version.
    again = cfs_worker_client.post(
        url("plan_edit", plan),
        {"summary": "My long careful summary", "lock_version": "1", "form_token": TOKEN.search(page).group(1)},
    )
    assert again.status_code == 302
    plan.refresh_from_db()
    assert (plan.summary, plan.lock_version) == ("My long careful summary", 2)
    assert plan.history.count() == 3, "created, the manager's save, the worker's save"


def test_second_person_saving_a_goal_is_told_who_saved_first_and_keeps_their_words(
    cfs_worker_client, lat_manager_client, plan
):
    goal = GoalFactory(plan=plan, text="Original goal")
    worker, manager = (
        opened(cfs_worker_client, url("goal_edit", goal)),
        opened(lat_manager_client, url("goal_edit", goal)),
    )
    assert (
        lat_manager_client.post(url("goal_edit", goal), manager | GOAL | {"text": "Manager's goal"}).status_code == 302
    )
    second = cfs_worker_client.post(url("goal_edit", goal), worker | GOAL | {"text": "Worker's goal", "target": "9"})
    assert second.status_code == 200
    assert_told_of_the_conflict(second.content.decode(), by="Mel Manager", typed="Worker's goal")
    goal.refresh_from_db()
    assert (goal.text, goal.target, goal.lock_version) == ("Manager's goal", 8, 1)


def test_one_person_pressing_save_twice_is_not_shown_a_conflict_with_themselves(cfs_worker_client, plan):
    form = opened(cfs_worker_client, url("plan_edit", plan)) | {"summary": "Saved once"}
    first = cfs_worker_client.post(url("plan_edit", plan), form)
    second = cfs_worker_client.post(url("plan_edit", plan), form)
    assert first.status_code == second.status_code == 302
    assert html.escape(ALREADY_SAVED) in cfs_worker_client.get(second["Location"]).content.decode()
    plan.refresh_from_db()
    assert (plan.summary, plan.lock_version) == ("Saved once", 1)


# ------------------------------------------------------------------ at the same moment, on PostgreSQL


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", ["plan_edit", "goal_edit"])
def test_two_people_saving_at_the_same_moment_one_wins_whole_and_the_other_is_told(
    page, cfs_worker_user, lat_manager_user, plan
):
    require_service(is_postgresql(), "PostgreSQL is needed for two saves at the same moment")
    record = plan if page == "plan_edit" else GoalFactory(plan=plan, text="Original goal")
    model = type(record)
    people = {user.full_name: user for user in (cfs_worker_user, lat_manager_user)}
    clients = {name: signed_in_client(user) for name, user in people.items()}
    forms = {name: opened(client, url(page, record)) for name, client in clients.items()}
    words = {name: f"Words of {name}" for name in people}
    field = "summary" if page == "plan_edit" else "text"
    # A third session locks the row, so both saves have read the record and wait at the version check, in their own
    # connections, before either can write: then it lets go and they race for the row lock.
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                model.objects.select_for_update().get(pk=record.pk)
                held.set()
                release.wait(timeout=120)
        finally:
            connection.close()

    responses: dict = {}
    start = threading.Barrier(len(people))

    def save(name: str) -> None:
        try:
            start.wait()
            extra = {} if page == "plan_edit" else GOAL
            responses[name] = clients[name].post(url(page, record), forms[name] | extra | {field: words[name]})
        finally:
            connection.close()

    threads = [threading.Thread(target=holder)] + [threading.Thread(target=save, args=(name,)) for name in people]
    threads[0].start()
    assert held.wait(timeout=60), "the third session did not take its lock"
    for thread in threads[1:]:
        thread.start()
    try:
        sessions_waiting_on_locks(len(people), threads)
    finally:
        release.set()
    for thread in threads:
        thread.join(timeout=120)

    winners = [name for name, response in responses.items() if response.status_code == 302]
    losers = [name for name, response in responses.items() if response.status_code == 200]
    assert len(winners) == len(losers) == 1, {name: r.status_code for name, r in responses.items()}
    assert_told_of_the_conflict(responses[losers[0]].content.decode(), by=winners[0], typed=words[losers[0]])
    stored = model.objects.get(pk=record.pk)
    assert (getattr(stored, field), stored.lock_version) == (words[winners[0]], 1)
    assert stored.history.count() == 2, "created, then the one save that won"
    if page == "plan_edit":
        assert FamilyPlan.objects.get(pk=plan.pk).summary == words[winners[0]]
    else:
        assert Goal.objects.filter(plan=plan).count() == 1
