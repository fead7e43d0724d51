"""My tasks, the team's tasks, my caseload and the team caseload: who sees what, and what they see."""

from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cases.models import Episode, Task
from earlyhelp.core import perms
from locality.services import membership_add
from tests.auth import signed_in_client
from tests.conftest import _persona
from tests.factories import (
    ActionFactory,
    AllocatedEpisodeFactory,
    ConsentRecordFactory,
    FamilyFactory,
    FamilyPlanFactory,
    InterventionFactory,
    TaskFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

MY_TASKS = reverse("cases:my_tasks")
TEAM_TASKS = reverse("cases:team_tasks")
CASELOAD = reverse("cases:caseload")
TEAM_CASELOAD = reverse("cases:team_caseload")


def _today():
    return timezone.localdate()


def _page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _url_or_family(name: str, uuid, family) -> str:
    try:
        return reverse(name, kwargs={"uuid": uuid})
    except NoReverseMatch:  # that area's page has not landed yet
        return reverse("cases:family_detail", kwargs={"uuid": family.uuid})


@pytest.fixture
def hob_moor_manager(lats, council):
    return _persona(perms.LAT_MANAGER, lat=lats["hob-moor"], agency=council, name="Hana Hobmoor")


@pytest.fixture
def second_worker(cfs_worker_user):
    """Another Child and Family Support worker in Tang Hall."""
    worker = UserFactory(full_name="Wendy Second")
    membership_add(user=worker, team=cfs_worker_user.memberships.first().team, role=perms.CFS_WORKER)
    return worker


# My tasks ----------------------------------------------------------------------------------------------------------


def test_my_tasks_lists_overdue_with_a_red_tag_then_today_then_coming_up(
    cfs_worker_client, cfs_worker_user, own_family
):
    today = _today()
    TaskFactory(family=own_family, assigned_to=cfs_worker_user, title="Later one", due_on=today + timedelta(days=3))
    TaskFactory(family=own_family, assigned_to=cfs_worker_user, title="Late one", due_on=today - timedelta(days=2))
    TaskFactory(family=own_family, assigned_to=cfs_worker_user, title="Today one", due_on=today)

    page = _page(cfs_worker_client, MY_TASKS)

    assert page.index("Late one") < page.index("Today one") < page.index("Later one")
    late_row = page[page.rindex("<tr", 0, page.index("Late one")) : page.index("</tr>", page.index("Late one"))]
    assert "eh-row--overdue" in late_row
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in late_row
    today_row = page[page.index("Today one") : page.index("</tr>", page.index("Today one"))]
    assert "Due today" in today_row and "Overdue" not in today_row
    later_row = page[page.index("Later one") : page.index("</tr>", page.index("Later one"))]
    assert "govuk-tag" not in later_row
    assert "1 overdue" in page and "1 due today" in page and "1 coming up" in page


def test_my_tasks_shows_only_my_tasks_on_families_i_can_see(
    cfs_worker_client, cfs_worker_user, own_family, other_family, restricted_family
):
    TaskFactory(family=own_family, assigned_to=cfs_worker_user, title="Mine to do")
    TaskFactory(family=own_family, title="Someone else's")
    TaskFactory(family=other_family, assigned_to=cfs_worker_user, title="Out of sight")
    TaskFactory(family=restricted_family, assigned_to=cfs_worker_user, title="Restricted one")
    page = _page(cfs_worker_client, MY_TASKS)
    assert "Mine to do" in page
    assert "Someone else" not in page and "Out of sight" not in page and "Restricted one" not in page


def test_my_tasks_links_each_task_to_its_record(cfs_worker_client, cfs_worker_user, own_family):
    episode = AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)
    intervention = InterventionFactory(episode=episode, worker=cfs_worker_user)
    consent = ConsentRecordFactory(family=own_family, status="given")
    for key in (f"intervention_ending:{intervention.uuid}", f"consent_review:{consent.uuid}", ""):
        TaskFactory(family=own_family, episode=None, assigned_to=cfs_worker_user, key=key, title=f"About {key[:5]}")

    page = _page(cfs_worker_client, MY_TASKS)

    intervention_url = _url_or_family("cases:intervention_detail", intervention.uuid, own_family)
    assert f'href="{intervention_url}">About inter' in page
    consent_url = reverse("consent:detail", kwargs={"uuid": own_family.uuid, "consent_uuid": consent.uuid})
    assert f'href="{consent_url}">About conse' in page
    assert f'href="{reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})}">About </a>' in page


def test_my_tasks_links_an_overdue_action_to_its_plan(cfs_worker_client, cfs_worker_user, own_family):
    plan = FamilyPlanFactory(episode=AllocatedEpisodeFactory(family=own_family))
    action = ActionFactory(plan=plan, owner_user=cfs_worker_user)
    TaskFactory(family=own_family, assigned_to=cfs_worker_user, key=f"action_overdue:{action.uuid}", title="Chase it")
    page = _page(cfs_worker_client, MY_TASKS)
    assert f'href="{_url_or_family("cases:plan_detail", plan.uuid, own_family)}">Chase it' in page


def test_my_tasks_empty_state_and_recently_done(cfs_worker_client, cfs_worker_user, own_family):
    TaskFactory(family=own_family, assigned_to=cfs_worker_user, title="Finished", status="done", completed_on=_today())
    page = _page(cfs_worker_client, MY_TASKS)
    assert "You have no open tasks" in page
    assert "Recently done" in page and "Finished" in page


def test_my_tasks_for_a_manager_include_the_team_tasks(lat_manager_client, own_family, lats):
    TaskFactory(family=own_family, assigned_to=None, team=lats["tang-hall"], title="Allocate the request")
    page = _page(lat_manager_client, MY_TASKS)
    assert "Allocate the request" in page and "for the" in page


def test_my_tasks_is_paginated(cfs_worker_client, cfs_worker_user, own_family):
    today = _today()
    for number in range(26):
        TaskFactory(
            family=own_family, assigned_to=cfs_worker_user, title=f"Task {number:02}", due_on=today + timedelta(number)
        )
    first = _page(cfs_worker_client, MY_TASKS)
    assert "Page 1 of 2" in first and "Task 24" in first and "Task 25" not in first
    assert "Task 25" in _page(cfs_worker_client, MY_TASKS, page=2)


def test_my_tasks_mark_as_done_comes_back_to_my_tasks(cfs_worker_client, cfs_worker_user, own_family):
    task = TaskFactory(family=own_family, assigned_to=cfs_worker_user, title="Ring the school")
    url = reverse("cases:task_complete", kwargs={"uuid": own_family.uuid, "task_uuid": task.uuid})
    assert f'action="{url}"' in _page(cfs_worker_client, MY_TASKS)

    response = cfs_worker_client.post(url, {"next": f"{MY_TASKS}?page=1"}, follow=True)

    assert response.redirect_chain[0][0] == f"{MY_TASKS}?page=1"
    assert "Task done: Ring the school." in response.content.decode()
    task.refresh_from_db()
    assert task.status == Task.Status.DONE


@pytest.mark.parametrize("back", ["https://evil.example/work/tasks/", "//evil.example/work/tasks/", "/families/"])
def test_task_complete_goes_back_only_to_a_task_list(cfs_worker_client, cfs_worker_user, own_family, back):
    task = TaskFactory(family=own_family, assigned_to=cfs_worker_user)
    url = reverse("cases:task_complete", kwargs={"uuid": own_family.uuid, "task_uuid": task.uuid})
    response = cfs_worker_client.post(url, {"next": back})
    assert response["Location"] == reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})


# Team tasks --------------------------------------------------------------------------------------------------------


@pytest.fixture
def team_task_world(own_family, other_family, cfs_worker_user, second_worker, lats):
    today = _today()
    TaskFactory(family=own_family, assigned_to=cfs_worker_user, title="Chris late", due_on=today - timedelta(days=1))
    TaskFactory(family=own_family, assigned_to=cfs_worker_user, title="Chris later", due_on=today + timedelta(days=4))
    TaskFactory(family=own_family, assigned_to=second_worker, title="Wendy soon", due_on=today + timedelta(days=1))
    TaskFactory(family=own_family, assigned_to=None, team=lats["tang-hall"], title="Team allocate")
    TaskFactory(family=other_family, title="Hob Moor only")


def test_team_tasks_lists_the_team_families_tasks_by_worker(lat_manager_client, team_task_world):
    page = _page(lat_manager_client, TEAM_TASKS)
    assert "Hob Moor only" not in page
    team, chris, wendy = (
        f'<h2 class="govuk-heading-m">{who}</h2>' for who in ("For the team's managers", "Chris Worker", "Wendy Second")
    )
    assert page.index(team) < page.index("Team allocate") < page.index(chris)
    assert page.index(chris) < page.index("Chris late") < page.index("Chris later") < page.index(wendy)
    assert page.index(wendy) < page.index("Wendy soon")
    late_row = page[page.index("Chris late") : page.index("</tr>", page.index("Chris late"))]
    assert "Overdue" in late_row


def test_team_tasks_filters_by_worker_and_overdue(lat_manager_client, team_task_world, cfs_worker_user):
    page = _page(lat_manager_client, TEAM_TASKS, worker=cfs_worker_user.pk)
    assert "Chris late" in page and "Chris later" in page and "Wendy soon" not in page and "Team allocate" not in page
    page = _page(lat_manager_client, TEAM_TASKS, overdue="on")
    assert "Chris late" in page and "Chris later" not in page and "Wendy soon" not in page


def test_team_tasks_refuses_a_worker_outside_the_team(lat_manager_client, team_task_world, other_lat_user):
    page = _page(lat_manager_client, TEAM_TASKS, worker=other_lat_user.pk)
    assert "There is a problem" in page and "Choose a worker from the list" in page
    assert "Chris late" in page  # the unfiltered list is still shown


def test_team_tasks_of_another_team_manager_show_only_their_team(client, hob_moor_manager, team_task_world):
    signed_in_client(hob_moor_manager, client)
    page = _page(client, TEAM_TASKS)
    assert "Hob Moor only" in page and "Chris late" not in page


def test_team_views_are_for_managers_only(cfs_worker_client, partner_client):
    for client in (cfs_worker_client, partner_client):
        assert client.get(TEAM_TASKS).status_code == 403
        assert client.get(TEAM_CASELOAD).status_code == 403


# Caseloads ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def my_cases(lats, cfs_worker_user, second_worker):
    today, now = _today(), timezone.now()
    late = AllocatedEpisodeFactory(
        family=FamilyFactory(name="Latereview", local_area_team=lats["tang-hall"]),
        lead_practitioner=cfs_worker_user,
        requested_at=now - timedelta(days=40),
        next_review_due=today - timedelta(days=1),
    )
    AllocatedEpisodeFactory(
        family=FamilyFactory(name="Ontime", local_area_team=lats["tang-hall"]),
        lead_practitioner=cfs_worker_user,
        requested_at=now - timedelta(days=10),
        next_review_due=today + timedelta(days=20),
    )
    AllocatedEpisodeFactory(
        family=FamilyFactory(name="Finished", local_area_team=lats["tang-hall"]),
        lead_practitioner=cfs_worker_user,
        status=Episode.Status.CLOSED,
    )
    AllocatedEpisodeFactory(
        family=FamilyFactory(name="Wendys", local_area_team=lats["tang-hall"]), lead_practitioner=second_worker
    )
    start = today - timedelta(weeks=9, days=2)
    InterventionFactory(
        episode=late,
        worker=cfs_worker_user,
        kind="parenting",
        started_on=start,
        planned_end_on=start + timedelta(weeks=12),
    )
    TaskFactory(family=late.family, assigned_to=cfs_worker_user, due_on=today - timedelta(days=3))
    return late


def test_caseload_shows_my_open_episodes_with_next_review_and_days_open(cfs_worker_client, my_cases):
    page = _page(cfs_worker_client, CASELOAD)
    assert "Finished family" not in page and "Wendys family" not in page
    assert page.index("Latereview family") < page.index("Ontime family")  # next review first
    late_row = page[page.index("Latereview family") : page.index("</tr>", page.index("Latereview family"))]
    assert "Overdue" in late_row and '<td class="govuk-table__cell govuk-table__cell--numeric">40</td>' in late_row
    ontime_row = page[page.index("Ontime family") : page.index("</tr>", page.index("Ontime family"))]
    assert "Overdue" not in ontime_row and ">10</td>" in ontime_row
    assert "Plan active" in late_row and "Targeted early help" in late_row


def test_caseload_shows_my_interventions_week_of_planned_weeks(cfs_worker_client, my_cases):
    page = _page(cfs_worker_client, CASELOAD)
    interventions = page[page.index("Interventions you are working") :]
    assert "Latereview family" in interventions
    assert "Parenting support" in interventions and "Week 10 of 12" in interventions


def test_caseload_empty_state(partner_client):
    page = _page(partner_client, CASELOAD)
    assert "You are not the lead practitioner for any open early help" in page
    assert "You have no active interventions" in page


def test_team_caseload_counts_per_worker(lat_manager_client, my_cases, cfs_worker_user, second_worker):
    response = lat_manager_client.get(TEAM_CASELOAD)
    loads = {load.worker: load for load in response.context["loads"].object_list}
    chris = loads[cfs_worker_user]
    assert (chris.open_episodes, chris.reviews_overdue, chris.active_interventions, chris.overdue_tasks) == (2, 1, 1, 1)
    wendy = loads[second_worker]
    assert (wendy.open_episodes, wendy.reviews_overdue, wendy.active_interventions, wendy.overdue_tasks) == (1, 0, 0, 0)
    assert f'href="?worker={cfs_worker_user.pk}"' in response.content.decode()


def test_team_caseload_links_the_manager_to_the_export_of_their_team_open_plans(lat_manager_client, my_cases, lats):
    response = lat_manager_client.get(TEAM_CASELOAD)
    assert [team.name for team in response.context["export_teams"]] == ["Tang Hall"]
    assert reverse("documents:team_plans", kwargs={"uuid": lats["tang-hall"].uuid}) in response.content.decode()


def test_team_caseload_for_one_worker_lists_their_work(lat_manager_client, my_cases, cfs_worker_user):
    page = _page(lat_manager_client, TEAM_CASELOAD, worker=cfs_worker_user.pk)
    assert "Latereview family" in page and "Ontime family" in page and "Wendys family" not in page
    assert "Week 10 of 12" in page
    assert f"{TEAM_TASKS}?worker={cfs_worker_user.pk}" in page


def test_team_caseload_only_for_the_manager_teams(client, hob_moor_manager, my_cases, cfs_worker_user, other_lat_user):
    signed_in_client(hob_moor_manager, client)
    response = client.get(TEAM_CASELOAD)
    workers = {load.worker for load in response.context["loads"].object_list}
    assert other_lat_user in workers and cfs_worker_user not in workers
    page = _page(client, TEAM_CASELOAD, worker=cfs_worker_user.pk)
    assert "Choose a worker from the list" in page and "Latereview" not in page


# Navigation and home -----------------------------------------------------------------------------------------------


def test_navigation_offers_caseload_and_tasks_and_the_team_caseload_to_managers(
    cfs_worker_client, lat_manager_client, analyst_client
):
    worker = _page(cfs_worker_client, reverse("core:home"))
    assert f'href="{CASELOAD}"' in worker and f'href="{MY_TASKS}"' in worker and f'href="{TEAM_CASELOAD}"' not in worker
    assert f'href="{TEAM_CASELOAD}"' in _page(lat_manager_client, reverse("core:home"))
    assert f'href="{MY_TASKS}"' not in _page(analyst_client, reverse("core:home"))


def test_home_task_panel_links_to_my_tasks(cfs_worker_client, cfs_worker_user, own_family):
    TaskFactory(family=own_family, assigned_to=cfs_worker_user)
    page = _page(cfs_worker_client, reverse("core:home"))
    assert f'<a class="govuk-link" href="{MY_TASKS}">See all your tasks' in page


# Query counts ------------------------------------------------------------------------------------------------------

# Session, user, role permissions (user and group): four. The session is not saved (it was saved at sign-in, less
# than a minute ago, and is saved for the idle timeout at most once a minute). Then the page's own queries:
MY_TASKS_QUERIES = 4 + 5  # count and page of open tasks, the plans of overdue actions, the three counts, recently done
CASELOAD_QUERIES = 4 + 4  # count and page of episodes, count and page of interventions
TEAM_CASELOAD_QUERIES = 4 + 5  # the team's workers, three counts grouped by worker, the teams to export


def _my_tasks(user, lats, count):
    for _ in range(count):
        family = FamilyFactory(local_area_team=lats["tang-hall"])
        episode = AllocatedEpisodeFactory(family=family, lead_practitioner=user, next_review_due=_today())
        action = ActionFactory(plan=FamilyPlanFactory(episode=episode), owner_user=user)
        TaskFactory(family=family, episode=episode, assigned_to=user, key=f"review_due:{episode.uuid}")
        TaskFactory(family=family, assigned_to=user, key=f"action_overdue:{action.uuid}")
        TaskFactory(family=family, assigned_to=user, status="done", completed_on=_today())
        InterventionFactory(episode=episode, worker=user)


@pytest.mark.parametrize("count", [2, 12])
def test_my_tasks_query_count_is_constant(cfs_worker_client, cfs_worker_user, lats, count, django_assert_num_queries):
    _my_tasks(cfs_worker_user, lats, count)
    with django_assert_num_queries(MY_TASKS_QUERIES):
        response = cfs_worker_client.get(MY_TASKS)
    assert response.status_code == 200


@pytest.mark.parametrize("count", [2, 12])
def test_caseload_query_count_is_constant(cfs_worker_client, cfs_worker_user, lats, count, django_assert_num_queries):
    _my_tasks(cfs_worker_user, lats, count)
    with django_assert_num_queries(CASELOAD_QUERIES):
        response = cfs_worker_client.get(CASELOAD)
    assert len(response.context["page"].object_list) == count


@pytest.mark.parametrize("count", [2, 12])
def test_team_caseload_query_count_is_constant(
    lat_manager_client, cfs_worker_user, lats, count, django_assert_num_queries
):
    team = cfs_worker_user.memberships.first().team
    for _ in range(count):
        worker = UserFactory()
        membership_add(user=worker, team=team, role=perms.CFS_WORKER)
        _my_tasks(worker, lats, 1)
    with django_assert_num_queries(TEAM_CASELOAD_QUERIES):
        response = lat_manager_client.get(TEAM_CASELOAD)
    assert len(response.context["loads"].object_list) == count + 2  # and the manager and the first worker
