"""The intervention pages as each persona sees them: allowed, outsider (404), wrong role (403), form errors shown
with what was typed kept, success messages, refusals explained on the page, and a constant query count."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases.models import Episode, FamilyMember, Intervention, InterventionExtension, InterventionSession, Task
from earlyhelp.audit.models import AccessEvent
from tests.auth import signed_in_client
from tests.factories import (
    AllocatedEpisodeFactory,
    FamilyMemberFactory,
    InterventionExtensionFactory,
    InterventionFactory,
    InterventionSessionFactory,
    PersonFactory,
)

pytestmark = pytest.mark.django_db

# Session, user, the role's permissions (user and group), the intervention with its episode, team, family and
# worker, the access event (chain head, insert, update), the extensions, the session count, the page of sessions
# with their recorders, the people seen, whether the user works in the episode's team (for the links to change it).
# The session is not saved (it was saved at sign-in, less than a minute ago).
DETAIL_QUERIES = 13


def _date(name: str, day: date) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def _html(response) -> str:
    return response.content.decode()


@pytest.fixture
def episode(own_family, cfs_worker_user):
    return AllocatedEpisodeFactory(
        family=own_family, lead_practitioner=cfs_worker_user, allocated_at=timezone.now() - timedelta(days=30)
    )


@pytest.fixture
def intervention(episode, cfs_worker_user):
    today = timezone.localdate()
    return InterventionFactory(
        episode=episode,
        family=episode.family,
        worker=cfs_worker_user,
        started_on=today - timedelta(weeks=2),
        planned_end_on=today + timedelta(weeks=6),
    )


@pytest.fixture
def child(own_family):
    member = FamilyMemberFactory(
        family=own_family,
        role=FamilyMember.Role.CHILD,
        person=PersonFactory(first_name="Zoë", last_name="O'Brien"),
    )
    return member.person


@pytest.fixture
def parent(own_family):
    member = FamilyMemberFactory(
        family=own_family, role=FamilyMember.Role.PARENT, person=PersonFactory(first_name="Ann", last_name="Parent")
    )
    return member.person


def _url(name: str, record) -> str:
    return reverse(f"cases:{name}", kwargs={"uuid": record.uuid})


# ---------------------------------------------------------------------------------------------
# Starting an intervention
# ---------------------------------------------------------------------------------------------


def _new_post(worker, **fields) -> dict:
    return {
        "worker": str(worker.pk),
        "kind": "routines",
        "aims": "Calmer <b>mornings</b>",
        **_date("started_on", timezone.localdate()),
        "weeks": "8",
    } | fields


def test_intervention_new_shows_the_form_with_the_user_as_worker(cfs_worker_client, episode, cfs_worker_user):
    response = cfs_worker_client.get(_url("intervention_new", episode))
    assert response.status_code == 200
    assert response.context["form"].initial["worker"] == cfs_worker_user.pk
    assert "6 to 12 weeks" in _html(response)


def test_intervention_new_starts_one_and_shows_it(cfs_worker_client, episode, cfs_worker_user):
    response = cfs_worker_client.post(_url("intervention_new", episode), _new_post(cfs_worker_user))
    intervention = Intervention.objects.get()
    assert response.status_code == 302 and response["Location"] == _url("intervention_detail", intervention)
    page = cfs_worker_client.get(response["Location"])
    html = _html(page)
    assert "Intervention started." in html
    assert escape("Calmer <b>mornings</b>") in html
    assert "Week 1 of 8" in html


def test_intervention_new_refuses_13_weeks_and_keeps_what_was_typed(cfs_worker_client, episode, cfs_worker_user):
    response = cfs_worker_client.post(_url("intervention_new", episode), _new_post(cfs_worker_user, weeks="13"))
    assert response.status_code == 200
    html = _html(response)
    assert "govuk-error-summary" in html
    assert escape("An intervention can run beyond 12 weeks only with a manager's approved extension") in html
    assert escape("Calmer <b>mornings</b>") in html
    assert not Intervention.objects.exists()


def test_intervention_new_requires_a_length(cfs_worker_client, episode, cfs_worker_user):
    response = cfs_worker_client.post(_url("intervention_new", episode), _new_post(cfs_worker_user, weeks=""))
    assert "Enter the planned length in weeks, or a planned end date" in _html(response)


def test_intervention_new_on_a_requested_episode_says_why_not(cfs_worker_client, episode, cfs_worker_user):
    episode.status = Episode.Status.REQUESTED
    episode.save()
    response = cfs_worker_client.get(_url("intervention_new", episode))
    assert response.status_code == 200
    assert "once a Local Area Team manager has allocated it" in _html(response)
    response = cfs_worker_client.post(_url("intervention_new", episode), _new_post(cfs_worker_user))
    assert response.status_code == 200
    assert "once a Local Area Team manager has allocated it" in _html(response)
    assert not Intervention.objects.exists()


def test_intervention_new_on_a_closed_episode_is_refused(cfs_worker_client, episode, cfs_worker_user):
    episode.status = Episode.Status.CLOSED
    episode.save()
    response = cfs_worker_client.post(_url("intervention_new", episode), _new_post(cfs_worker_user))
    assert response.status_code == 200
    assert "closed, so its records can no longer be changed" in _html(response)
    assert not Intervention.objects.exists()


def test_intervention_new_outside_the_team_is_404(other_lat_client, episode, other_lat_user):
    assert other_lat_client.get(_url("intervention_new", episode)).status_code == 404
    assert other_lat_client.post(_url("intervention_new", episode), _new_post(other_lat_user)).status_code == 404
    assert not Intervention.objects.exists()


def test_intervention_new_for_a_partner_is_403(partner_client, episode, partner_user):
    assert partner_client.get(_url("intervention_new", episode)).status_code == 403


# ---------------------------------------------------------------------------------------------
# The intervention page
# ---------------------------------------------------------------------------------------------


def test_intervention_detail_shows_progress_sessions_and_extensions(
    cfs_worker_client, intervention, child, lat_manager_user
):
    session = InterventionSessionFactory(intervention=intervention, notes="Chart <i>agreed</i>", child_seen_alone=True)
    session.people_seen.set([child])
    InterventionExtensionFactory(
        intervention=intervention,
        requested_by=lat_manager_user,
        reason="Needs time",
        status="refused",
        decision_reason="Taper instead",
        decided_at=timezone.now(),
    )
    response = cfs_worker_client.get(_url("intervention_detail", intervention))
    assert response.status_code == 200
    html = _html(response)
    assert "Week 3 of 8" in html and "Ends in 42 days" in html
    assert escape("Zoë O'Brien") in html and escape("Chart <i>agreed</i>") in html
    assert "Taper instead" in html and "Refused" in html
    for name in ("session_add", "extension_request", "intervention_end"):
        assert _url(name, intervention) in html


def test_intervention_detail_records_an_access_event(cfs_worker_client, intervention, cfs_worker_user):
    cfs_worker_client.get(_url("intervention_detail", intervention))
    event = AccessEvent.objects.get(object_uuid=intervention.uuid)
    assert event.user == cfs_worker_user and event.action == "view"


def test_intervention_detail_leaves_out_people_the_user_cannot_see(cfs_worker_client, intervention, own_family):
    hidden = FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Hidden", restricted=True)).person
    session = InterventionSessionFactory(intervention=intervention)
    session.people_seen.set([hidden])
    assert "Hidden" not in _html(cfs_worker_client.get(_url("intervention_detail", intervention)))


def test_intervention_detail_paginates_sessions_newest_first(cfs_worker_client, intervention):
    today = timezone.localdate()
    for days in range(27):
        InterventionSessionFactory(intervention=intervention, held_on=today - timedelta(days=days), notes=f"n{days}")
    first = cfs_worker_client.get(_url("intervention_detail", intervention))
    assert [s.notes for s in first.context["page"].object_list][:2] == ["n0", "n1"]
    assert len(first.context["page"].object_list) == 25
    second = cfs_worker_client.get(_url("intervention_detail", intervention) + "?page=2")
    assert [s.notes for s in second.context["page"].object_list] == ["n25", "n26"]


def test_intervention_detail_for_an_ended_one_says_it_cannot_change(cfs_worker_client, intervention):
    intervention.status = Intervention.Status.COMPLETED
    intervention.ended_on = timezone.localdate()
    intervention.outcome = "Routines in place"
    intervention.save()
    html = _html(cfs_worker_client.get(_url("intervention_detail", intervention)))
    assert "completed, so it can no longer be changed" in html
    assert _url("session_add", intervention) not in html


def test_intervention_detail_outsider_404_and_wrong_role_403(other_lat_client, analyst_client, intervention):
    assert other_lat_client.get(_url("intervention_detail", intervention)).status_code == 404
    assert analyst_client.get(_url("intervention_detail", intervention)).status_code == 403


def test_intervention_detail_for_a_partner_who_cannot_see_the_family_is_404(partner_client, intervention):
    assert partner_client.get(_url("intervention_detail", intervention)).status_code == 404


def _sessions(intervention, people, count: int) -> None:
    for index in range(count):
        session = InterventionSessionFactory(
            intervention=intervention, held_on=timezone.localdate() - timedelta(days=index % 14)
        )
        session.people_seen.set(people)
    for _ in range(count // 10 + 1):
        InterventionExtensionFactory(intervention=intervention, status="refused", decided_at=timezone.now())


@pytest.mark.parametrize("count", [2, 30])
def test_intervention_detail_query_count_is_constant(
    cfs_worker_client, intervention, child, parent, count, django_assert_num_queries
):
    _sessions(intervention, [child, parent], count)
    with django_assert_num_queries(DETAIL_QUERIES):
        response = cfs_worker_client.get(_url("intervention_detail", intervention))
    assert response.status_code == 200


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------


def _session_post(**fields) -> dict:
    return {**_date("held_on", timezone.localdate()), "kind": "home_visit", "notes": "Bedtime chart agreed"} | fields


def test_session_add_lists_only_people_the_user_can_see(cfs_worker_client, intervention, child, own_family):
    FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Hidden", restricted=True))
    response = cfs_worker_client.get(_url("session_add", intervention))
    assert response.status_code == 200
    html = _html(response)
    assert escape("Zoë O'Brien (child or young person)") in html
    assert "Hidden" not in html


def test_session_add_records_a_session(cfs_worker_client, intervention, child, parent):
    post = _session_post(people_seen=[str(child.pk), str(parent.pk)], child_seen_alone="on")
    response = cfs_worker_client.post(_url("session_add", intervention), post)
    assert response.status_code == 302
    session = InterventionSession.objects.get()
    assert set(session.people_seen.all()) == {child, parent} and session.child_seen_alone
    assert "Session recorded." in _html(cfs_worker_client.get(response["Location"]))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"held_on": timezone.localdate() + timedelta(days=1)}, "The date of the session cannot be in the future"),
        ({"held_on": timezone.localdate() - timedelta(weeks=3)}, "cannot be before the intervention started"),
    ],
)
def test_session_add_refuses_bad_dates(cfs_worker_client, intervention, change, message):
    post = _session_post(**_date("held_on", change["held_on"]), notes="Kept <text>")
    response = cfs_worker_client.post(_url("session_add", intervention), post)
    assert response.status_code == 200
    html = _html(response)
    assert message in html and escape("Kept <text>") in html
    assert not InterventionSession.objects.exists()


def test_session_add_refuses_a_child_seen_alone_without_a_child(cfs_worker_client, intervention, parent):
    post = _session_post(people_seen=[str(parent.pk)], child_seen_alone="on")
    response = cfs_worker_client.post(_url("session_add", intervention), post)
    assert "A child can be seen alone only if a child was seen" in _html(response)
    assert not InterventionSession.objects.exists()


def test_session_add_needs_notes(cfs_worker_client, intervention):
    response = cfs_worker_client.post(_url("session_add", intervention), _session_post(notes=""))
    assert "Enter notes of the session" in _html(response)


def test_session_add_on_a_closed_episode_says_why_and_saves_nothing(cfs_worker_client, intervention):
    intervention.episode.status = Episode.Status.CLOSED
    intervention.episode.save()
    assert "closed, so its records" in _html(cfs_worker_client.get(_url("session_add", intervention)))
    response = cfs_worker_client.post(_url("session_add", intervention), _session_post())
    assert response.status_code == 200 and "closed, so its records" in _html(response)
    assert not InterventionSession.objects.exists()


def test_session_add_outsider_404_and_partner_403(other_lat_client, partner_client, intervention):
    assert other_lat_client.post(_url("session_add", intervention), _session_post()).status_code == 404
    assert partner_client.get(_url("session_add", intervention)).status_code == 403
    assert not InterventionSession.objects.exists()


# ---------------------------------------------------------------------------------------------
# Extensions
# ---------------------------------------------------------------------------------------------


def _fourteen_weeks(intervention) -> date:
    from cases.services.interventions import intervention_planned_end

    return intervention_planned_end(intervention.started_on, 14)


def _extension_post(intervention, **fields) -> dict:
    return {**_date("new_end_on", _fourteen_weeks(intervention)), "reason": "Needs to settle"} | fields


def test_extension_request_asks_the_managers(cfs_worker_client, intervention, lat_manager_user):
    response = cfs_worker_client.post(_url("extension_request", intervention), _extension_post(intervention))
    assert response.status_code == 302
    extension = InterventionExtension.objects.get()
    assert Task.objects.filter(key=f"extension:{extension.uuid}", kind=Task.Kind.EXTENSION_DECISION).exists()
    html = _html(cfs_worker_client.get(response["Location"]))
    assert "Extension requested." in html and "waiting for a manager" in html


def test_extension_request_beyond_16_weeks_is_refused(cfs_worker_client, intervention):
    post = _extension_post(intervention, **_date("new_end_on", intervention.started_on + timedelta(weeks=17)))
    response = cfs_worker_client.post(_url("extension_request", intervention), post)
    assert response.status_code == 200
    assert "at most 16 weeks from its start" in _html(response)


def test_extension_request_while_one_waits_says_so(cfs_worker_client, intervention, lat_manager_user):
    InterventionExtensionFactory(intervention=intervention, requested_by=lat_manager_user)
    response = cfs_worker_client.get(_url("extension_request", intervention))
    assert response.status_code == 200 and "already waiting" in _html(response)


def test_extension_decide_approves_and_moves_the_end(lat_manager_client, intervention, cfs_worker_user):
    extension = InterventionExtensionFactory(intervention=intervention, requested_by=cfs_worker_user)
    assert lat_manager_client.get(_url("extension_decide", extension)).status_code == 200
    response = lat_manager_client.post(_url("extension_decide", extension), {"decision": "approve", "reason": ""})
    assert response.status_code == 302 and response["Location"] == _url("intervention_detail", intervention)
    intervention.refresh_from_db()
    assert intervention.planned_end_on == extension.new_end_on
    assert "Decision recorded." in _html(lat_manager_client.get(response["Location"]))


def test_extension_decide_refusal_without_a_reason_is_shown(lat_manager_client, intervention, cfs_worker_user):
    extension = InterventionExtensionFactory(intervention=intervention, requested_by=cfs_worker_user)
    response = lat_manager_client.post(_url("extension_decide", extension), {"decision": "refuse", "reason": ""})
    assert response.status_code == 200 and "Enter why the extension is refused" in _html(response)
    extension.refresh_from_db()
    assert extension.status == InterventionExtension.Status.REQUESTED


def test_extension_decide_own_request_says_another_manager_must(lat_manager_client, intervention, lat_manager_user):
    extension = InterventionExtensionFactory(intervention=intervention, requested_by=lat_manager_user)
    response = lat_manager_client.get(_url("extension_decide", extension))
    assert response.status_code == 200 and "another manager must decide it" in _html(response)
    response = lat_manager_client.post(_url("extension_decide", extension), {"decision": "approve", "reason": ""})
    assert response.status_code == 200
    extension.refresh_from_db()
    assert extension.status == InterventionExtension.Status.REQUESTED


def test_extension_decide_by_a_worker_is_403(cfs_worker_client, intervention, lat_manager_user):
    extension = InterventionExtensionFactory(intervention=intervention, requested_by=lat_manager_user)
    assert cfs_worker_client.get(_url("extension_decide", extension)).status_code == 403


def test_extension_decide_outside_the_team_is_404(other_family, intervention, lats, council, cfs_worker_user):
    from django.test import Client

    from tests.conftest import _persona

    client = Client()
    signed_in_client(_persona("lat_manager", lat=lats["hob-moor"], agency=council, name="Hob Manager"), client)
    extension = InterventionExtensionFactory(intervention=intervention, requested_by=cfs_worker_user)
    assert client.get(_url("extension_decide", extension)).status_code == 404
    assert client.post(_url("extension_decide", extension), {"decision": "approve"}).status_code == 404


# ---------------------------------------------------------------------------------------------
# Ending
# ---------------------------------------------------------------------------------------------


def test_intervention_end_ends_it(cfs_worker_client, intervention):
    post = {"status": "ended_early", **_date("ended_on", timezone.localdate()), "outcome": "Family moved <away>"}
    response = cfs_worker_client.post(_url("intervention_end", intervention), post)
    assert response.status_code == 302
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ENDED_EARLY
    html = _html(cfs_worker_client.get(response["Location"]))
    assert "Intervention ended." in html and escape("Family moved <away>") in html


def test_intervention_end_refuses_a_future_date(cfs_worker_client, intervention):
    post = {"status": "completed", **_date("ended_on", timezone.localdate() + timedelta(days=2)), "outcome": "Done"}
    response = cfs_worker_client.post(_url("intervention_end", intervention), post)
    assert response.status_code == 200 and "The end date cannot be in the future" in _html(response)


def test_intervention_end_outsider_404_and_partner_403(other_lat_client, partner_client, intervention):
    post = {"status": "completed", **_date("ended_on", timezone.localdate()), "outcome": "Done"}
    assert other_lat_client.post(_url("intervention_end", intervention), post).status_code == 404
    assert partner_client.post(_url("intervention_end", intervention), post).status_code == 403
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE
