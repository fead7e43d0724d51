"""The episode pages: the overview, starting early help, closure and its decision, reopening, step-up and step-down,
and the Early help section of the family page."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import Closure, Episode, Transfer
from cases.services.episodes import closure_decide, closure_request
from earlyhelp.audit.models import AccessEvent
from tests.factories import (
    AllocatedEpisodeFactory,
    ClosureFactory,
    EpisodeFactory,
    InterventionFactory,
    TafMemberFactory,
)

pytestmark = pytest.mark.django_db

ERROR_SUMMARY = 'class="govuk-error-summary"'
CLOSURE_POST = {
    "reason": "outcomes_achieved",
    "summary": "Mornings are calm; the school nurse keeps in touch",
    "satisfaction": "4",
    "made_difference": "yes",
    "family_comments": "Mum said <b>thank you</b>",
    "meeting": "",
}


@pytest.fixture
def episode(own_family, cfs_worker_user):
    return AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)


def _url(name: str, record) -> str:
    return reverse(f"cases:{name}", kwargs={"uuid": record.uuid})


def _closed(episode, requester, manager):
    closure = closure_request(
        user=requester, episode=episode, reason="outcomes_achieved", summary="Steady", satisfaction=None
    )
    closure_decide(user=manager, closure=closure, approve=True)
    episode.refresh_from_db()
    return episode


# The overview ------------------------------------------------------------------------------------------------


def test_episode_detail_shows_the_overview_and_logs_the_view(cfs_worker_client, episode, cfs_worker_user):
    response = cfs_worker_client.get(_url("episode_detail", episode))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Chris Worker" in page and "Plan active" in page and "Tang Hall" in page
    assert _url("closure_request", episode) in page and _url("step_up", episode) in page
    for name in ("plan_new", "taf", "intervention_new"):
        assert _url(name, episode) in page, name
    for name in ("note_list", "chronology"):
        assert _url(name, episode.family) in page, name
    assert AccessEvent.objects.filter(user=cfs_worker_user, action="view", object_uuid=episode.uuid).exists()


def test_episode_detail_outsiders_get_404_and_other_roles_403(other_lat_client, analyst_client, episode):
    assert other_lat_client.get(_url("episode_detail", episode)).status_code == 404
    assert analyst_client.get(_url("episode_detail", episode)).status_code == 403


def test_episode_detail_of_a_requested_episode_says_why_it_cannot_close(cfs_worker_client, own_family):
    episode = EpisodeFactory(family=own_family)
    response = cfs_worker_client.get(_url("episode_detail", episode))
    assert response.status_code == 200
    assert "has not been allocated yet, so it cannot be closed" in response.content.decode()


def test_episode_detail_of_a_closed_episode_is_read_only_with_reopen_for_managers(
    lat_manager_client, episode, cfs_worker_user, lat_manager_user
):
    _closed(episode, cfs_worker_user, lat_manager_user)
    page = lat_manager_client.get(_url("episode_detail", episode)).content.decode()
    assert "closed, so its records can no longer be changed" in page
    assert _url("episode_reopen", episode) in page
    assert _url("step_up", episode) not in page


def _episode_with(family, worker, count: int):
    episode = AllocatedEpisodeFactory(family=family, lead_practitioner=worker)
    for _ in range(count):
        TafMemberFactory(episode=episode, family=family)
        InterventionFactory(episode=episode, family=family)
        ClosureFactory(episode=episode, family=family, status=Closure.Status.REFUSED, refusal_reason="Not yet")
        Transfer.objects.create(family=family, episode=episode, direction="step_up", kind="strategy", created_by=worker)
    return episode


# Session, user and role permissions; the episode with its family, team, people and assessment; its plans, TAF
# members, interventions, closures and transfers (one query each); the access event (lock, insert, update). The
# session's idle clock is not saved (it was saved at sign-in, less than a minute ago).
EPISODE_PAGE_QUERIES = 13


@pytest.mark.parametrize("count", [2, 20])
def test_episode_detail_query_count_is_constant(
    cfs_worker_client, own_family, cfs_worker_user, count, django_assert_num_queries
):
    episode = _episode_with(own_family, cfs_worker_user, count)
    with django_assert_num_queries(EPISODE_PAGE_QUERIES):
        response = cfs_worker_client.get(_url("episode_detail", episode))
    assert response.status_code == 200


# Starting early help -----------------------------------------------------------------------------------------


def test_episode_start_targeted_request(cfs_worker_client, own_family):
    response = cfs_worker_client.post(_url("episode_start", own_family), {"pathway": "targeted", "level": "3"})
    episode = Episode.objects.get(family=own_family)
    assert response.status_code == 302 and response["Location"] == _url("episode_detail", episode)
    assert episode.status == "requested"
    page = cfs_worker_client.get(response["Location"]).content.decode()
    assert "sent to the Tang Hall Local Area Team to allocate" in page


def test_episode_start_partner_led_by_a_partner(partner_client, granted_family, partner_user):
    response = partner_client.post(_url("episode_start", granted_family), {"pathway": "partner_led", "level": "2"})
    assert response.status_code == 302
    assert Episode.objects.get(family=granted_family).lead_practitioner == partner_user


def test_episode_start_shows_form_errors(cfs_worker_client, own_family):
    response = cfs_worker_client.post(_url("episode_start", own_family), {"pathway": "", "level": "4"})
    page = response.content.decode()
    assert response.status_code == 200 and ERROR_SUMMARY in page
    assert "Choose who will lead early help" in page and "Choose level 2" in page
    assert not Episode.objects.exists()


def test_episode_start_with_open_early_help_says_why(cfs_worker_client, own_family, episode):
    response = cfs_worker_client.get(_url("episode_start", own_family))
    assert response.status_code == 200
    assert "already has early help" in response.content.decode()
    assert 'name="pathway"' not in response.content.decode()
    response = cfs_worker_client.post(_url("episode_start", own_family), {"pathway": "targeted", "level": "3"})
    assert response.status_code == 200 and "already has early help" in response.content.decode()
    assert Episode.objects.filter(family=own_family).count() == 1


def test_episode_start_outsider_404_and_wrong_role_403(other_lat_client, mash_screener_client, own_family):
    assert other_lat_client.get(_url("episode_start", own_family)).status_code == 404
    assert mash_screener_client.get(_url("episode_start", own_family)).status_code == 403


# Closure -----------------------------------------------------------------------------------------------------


def test_closure_request_view_records_the_family_feedback(cfs_worker_client, episode):
    response = cfs_worker_client.post(_url("closure_request", episode), CLOSURE_POST)
    assert response.status_code == 302
    closure = Closure.objects.get(episode=episode)
    assert (closure.satisfaction, closure.made_difference, closure.status) == (4, "yes", "awaiting_approval")
    page = cfs_worker_client.get(response["Location"]).content.decode()
    assert "sent to a Local Area Team manager for approval" in page
    assert "Mum said &lt;b&gt;thank you&lt;/b&gt;" in page


def test_closure_request_view_keeps_what_was_typed_on_error(cfs_worker_client, episode):
    data = CLOSURE_POST | {"reason": "other", "satisfaction": "7", "summary": "Kept text O'Brien"}
    response = cfs_worker_client.post(_url("closure_request", episode), data)
    page = response.content.decode()
    assert response.status_code == 200 and ERROR_SUMMARY in page
    assert "Say why early help is closing" in page
    assert "Choose how satisfied the family was" in page
    assert "Kept text O&#x27;Brien" in page
    assert not Closure.objects.exists()


def test_closure_request_view_did_not_say(cfs_worker_client, episode):
    cfs_worker_client.post(_url("closure_request", episode), CLOSURE_POST | {"satisfaction": "not_said"})
    assert Closure.objects.get(episode=episode).satisfaction is None


def test_closure_decide_view_approves(second_manager_user, lat_manager_client, episode, cfs_worker_user):
    closure = closure_request(user=cfs_worker_user, episode=episode, reason="disengaged", summary="Stopped answering")
    response = lat_manager_client.post(_url("closure_decide", closure), {"decision": "approve"})
    assert response.status_code == 302 and response["Location"] == _url("episode_detail", episode)
    episode.refresh_from_db()
    assert episode.status == "closed"


def test_closure_decide_view_refusal_needs_a_reason(lat_manager_client, episode, cfs_worker_user):
    closure = closure_request(user=cfs_worker_user, episode=episode, reason="disengaged", summary="Stopped answering")
    response = lat_manager_client.post(_url("closure_decide", closure), {"decision": "refuse", "refusal_reason": ""})
    assert response.status_code == 200 and "Say why the closure is refused" in response.content.decode()
    response = lat_manager_client.post(
        _url("closure_decide", closure), {"decision": "refuse", "refusal_reason": "Try one more visit"}
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == "plan_active"


def test_closure_decide_view_tells_the_requester_another_manager_must_decide(
    lat_manager_client, episode, lat_manager_user
):
    closure = closure_request(user=lat_manager_user, episode=episode, reason="disengaged", summary="Stopped answering")
    response = lat_manager_client.get(_url("closure_decide", closure))
    assert response.status_code == 200
    assert "another manager must decide it" in response.content.decode()
    response = lat_manager_client.post(_url("closure_decide", closure), {"decision": "approve"})
    assert response.status_code == 200
    assert Closure.objects.get(pk=closure.pk).status == "awaiting_approval"


def test_closure_decide_view_worker_403(cfs_worker_client, episode, cfs_worker_user):
    closure = closure_request(user=cfs_worker_user, episode=episode, reason="disengaged", summary="Stopped answering")
    assert cfs_worker_client.get(_url("closure_decide", closure)).status_code == 403


# Reopening ---------------------------------------------------------------------------------------------------


def _closed_days_ago(days: int, episode, requester, manager):
    with time_machine.travel(timezone.now() - timedelta(days=days)):
        return _closed(episode, requester, manager)


def test_episode_reopen_view_after_the_window_says_so(
    lat_manager_client, episode, cfs_worker_user, second_manager_user
):
    _closed_days_ago(100, episode, cfs_worker_user, second_manager_user)
    response = lat_manager_client.get(_url("episode_reopen", episode))
    assert response.status_code == 200
    assert "more than 3 months ago, so it can no longer be reopened" in response.content.decode()
    response = lat_manager_client.post(_url("episode_reopen", episode), {"reason": "New worries from school"})
    assert response.status_code == 200
    episode.refresh_from_db()
    assert episode.status == "closed"


def test_episode_reopen_view_inside_the_window(lat_manager_client, episode, cfs_worker_user, second_manager_user):
    _closed_days_ago(80, episode, cfs_worker_user, second_manager_user)
    response = lat_manager_client.post(_url("episode_reopen", episode), {"reason": "New worries from school"})
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == "plan_active" and episode.reopen_reason == "New worries from school"


def test_episode_reopen_view_needs_a_reason(lat_manager_client, episode, cfs_worker_user, second_manager_user):
    _closed(episode, cfs_worker_user, second_manager_user)
    response = lat_manager_client.post(_url("episode_reopen", episode), {"reason": ""})
    assert response.status_code == 200 and "Say why the episode is being reopened" in response.content.decode()


# Step-up and step-down ---------------------------------------------------------------------------------------


def test_step_up_view_then_reference_from_the_episode_page(cfs_worker_client, episode):
    response = cfs_worker_client.post(
        _url("step_up", episode), {"kind": "social_care", "reason": "Bruises seen", "external_reference": ""}
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.status == "stepped_up"
    page = cfs_worker_client.get(_url("episode_detail", episode)).content.decode()
    assert _url("step_up_reference", episode) in page
    response = cfs_worker_client.post(_url("step_up_reference", episode), {"external_reference": "CSC-42"})
    assert response.status_code == 302
    assert Transfer.objects.get(episode=episode).external_reference == "CSC-42"
    assert "CSC-42" in cfs_worker_client.get(_url("episode_detail", episode)).content.decode()


def test_step_up_view_shows_errors(cfs_worker_client, episode):
    response = cfs_worker_client.post(_url("step_up", episode), {"kind": "step_down", "reason": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "Choose what children&#x27;s social care is asked for" in page
    assert "Say why the family is being stepped up" in page


def test_step_up_reference_without_a_step_up_says_so(cfs_worker_client, episode):
    response = cfs_worker_client.get(_url("step_up_reference", episode))
    assert response.status_code == 200 and "was not stepped up" in response.content.decode()


def test_step_down_view_creates_an_episode(lat_manager_client, own_family, cfs_worker_user):
    handover = timezone.localdate() + timedelta(days=5)
    data = {
        "external_reference": "CSC-9",
        "reason": "Child in need plan ended",
        "lead_practitioner": str(cfs_worker_user.pk),
        "level": "3",
        "handover_on_0": str(handover.day),
        "handover_on_1": str(handover.month),
        "handover_on_2": str(handover.year),
    }
    response = lat_manager_client.post(_url("step_down", own_family), data)
    episode = Episode.objects.get(family=own_family)
    assert response.status_code == 302 and response["Location"] == _url("episode_detail", episode)
    assert episode.route == "step_down" and episode.lead_practitioner == cfs_worker_user


def test_step_down_view_refuses_a_past_handover(lat_manager_client, own_family, cfs_worker_user):
    data = {
        "external_reference": "CSC-9",
        "reason": "Ended",
        "lead_practitioner": str(cfs_worker_user.pk),
        "level": "3",
        "handover_on_0": "1",
        "handover_on_1": "1",
        "handover_on_2": "2020",
    }
    response = lat_manager_client.post(_url("step_down", own_family), data)
    assert response.status_code == 200 and "must be today or in the future" in response.content.decode()


def test_step_down_view_is_for_managers(cfs_worker_client, own_family):
    assert cfs_worker_client.get(_url("step_down", own_family)).status_code == 403


# The family page ---------------------------------------------------------------------------------------------


def test_family_page_offers_to_start_early_help(cfs_worker_client, lat_manager_client, own_family):
    page = cfs_worker_client.get(_url("family_detail", own_family)).content.decode()
    assert _url("episode_start", own_family) in page and _url("step_down", own_family) not in page
    page = lat_manager_client.get(_url("family_detail", own_family)).content.decode()
    assert _url("step_down", own_family) in page


def test_family_page_links_the_open_episode_and_lists_earlier_ones(
    cfs_worker_client, own_family, episode, cfs_worker_user
):
    earlier = EpisodeFactory(family=own_family, status="closed", closed_at=timezone.now())
    page = cfs_worker_client.get(_url("family_detail", own_family)).content.decode()
    assert _url("episode_detail", episode) in page and _url("episode_detail", earlier) in page
    assert "Earlier early help" in page
    assert _url("episode_start", own_family) not in page
