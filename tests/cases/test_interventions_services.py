"""Targeted Child and Family Support: the 6 to 12 week plan in working days, sessions, extensions a manager of the
family's team decides, ending an intervention, and closed episodes left read-only."""

from datetime import date, datetime, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases.models import Episode, FamilyMember, Intervention, InterventionExtension, Task
from cases.selectors.interventions import intervention_progress
from cases.services import family_access_grant, family_restricted_allow
from cases.services.episodes import EpisodeError
from cases.services.interventions import (
    BEYOND_12_WEEKS,
    InterventionError,
    extension_decide,
    extension_request,
    intervention_end,
    intervention_planned_end,
    intervention_start,
    planned_end_validate,
    session_record,
)
from earlyhelp.accounts.models import Notification
from earlyhelp.core.states import status_move
from earlyhelp.core.working_time import is_working_day
from tests.auth import signed_in_client
from tests.factories import (
    AllocatedEpisodeFactory,
    FamilyMemberFactory,
    InterventionExtensionFactory,
    InterventionFactory,
    PersonFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
CHRISTMAS_2026 = date(2026, 12, 25)
BOXING_DAY_SUBSTITUTE_2026 = date(2026, 12, 28)
GOOD_FRIDAY_2027 = date(2027, 3, 26)
EASTER_MONDAY_2027 = date(2027, 3, 29)


def _at(day: date):
    """Move the clock to 10:00 in York on `day`."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=LONDON), tick=False)


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
        started_on=today - timedelta(weeks=4),
        planned_end_on=today + timedelta(weeks=4),
    )


@pytest.fixture
def child(own_family):
    return FamilyMemberFactory(
        family=own_family, role=FamilyMember.Role.CHILD, person=PersonFactory(first_name="Zoë")
    ).person


@pytest.fixture
def parent(own_family):
    return FamilyMemberFactory(family=own_family, role=FamilyMember.Role.PARENT, person=PersonFactory()).person


def _start(user, episode, **fields):
    values = {
        "worker": user,
        "kind": Intervention.Kind.ROUTINES,
        "aims": "Calmer mornings",
        "started_on": timezone.localdate(),
        "weeks": 8,
    } | fields
    return intervention_start(user=user, episode=episode, **values)


def _messages(error: ValidationError) -> dict[str, str]:
    return {field: " ".join(messages) for field, messages in error.message_dict.items()}


# ---------------------------------------------------------------------------------------------
# State machines, over every pair of statuses
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "pair"),
    [
        *((Intervention, pair) for pair in product(Intervention.Status.values, repeat=2)),
        *((InterventionExtension, pair) for pair in product(InterventionExtension.Status.values, repeat=2)),
    ],
)
def test_status_move_follows_the_transitions_table(model, pair):
    source, target = pair
    record = model(status=source)
    allowed = target in model.TRANSITIONS[source]
    if allowed:
        status_move(record, target, error=InterventionError, noun="A record")
        assert record.status == target
    else:
        with pytest.raises(InterventionError, match="cannot become"):
            status_move(record, target, error=InterventionError, noun="A record")
        assert record.status == source


def test_intervention_transitions_end_only_from_active():
    assert Intervention.TRANSITIONS[Intervention.Status.ACTIVE] == {
        Intervention.Status.COMPLETED,
        Intervention.Status.ENDED_EARLY,
    }
    assert not Intervention.TRANSITIONS[Intervention.Status.COMPLETED]
    assert not Intervention.TRANSITIONS[Intervention.Status.ENDED_EARLY]


def test_extension_transitions_are_decided_once():
    assert InterventionExtension.TRANSITIONS[InterventionExtension.Status.REQUESTED] == {
        InterventionExtension.Status.APPROVED,
        InterventionExtension.Status.REFUSED,
    }
    assert not InterventionExtension.TRANSITIONS[InterventionExtension.Status.APPROVED]
    assert not InterventionExtension.TRANSITIONS[InterventionExtension.Status.REFUSED]


@pytest.mark.parametrize("status", [Intervention.Status.COMPLETED, Intervention.Status.ENDED_EARLY])
@pytest.mark.parametrize("ending", [Intervention.Status.COMPLETED, Intervention.Status.ENDED_EARLY])
def test_intervention_end_refuses_an_ended_intervention(intervention, cfs_worker_user, status, ending):
    intervention.status = status
    intervention.save()
    with pytest.raises(InterventionError, match="can no longer be changed"):
        intervention_end(
            user=cfs_worker_user, intervention=intervention, status=ending, ended_on=timezone.localdate(), outcome="x"
        )


# ---------------------------------------------------------------------------------------------
# The planned end in working days
# ---------------------------------------------------------------------------------------------


def test_intervention_planned_end_on_a_working_day_is_start_plus_weeks():
    assert intervention_planned_end(date(2026, 9, 14), 6) == date(2026, 10, 26)
    assert intervention_planned_end(date(2026, 9, 14), 12) == date(2026, 12, 7)


def test_intervention_planned_end_moves_back_over_christmas_2026():
    # 2 November 2026 + 8 weeks is Monday 28 December, the substitute Boxing Day; the weekend and Christmas Day
    # before it are not working days either, so the plan ends on Christmas Eve.
    assert date(2026, 11, 2) + timedelta(weeks=8) == BOXING_DAY_SUBSTITUTE_2026
    assert intervention_planned_end(date(2026, 11, 2), 8) == date(2026, 12, 24)


def test_intervention_planned_end_moves_back_over_easter_2027():
    # 1 February 2027 + 8 weeks is Easter Monday; Good Friday is a bank holiday too, so it ends on the Thursday.
    assert date(2027, 2, 1) + timedelta(weeks=8) == EASTER_MONDAY_2027
    assert intervention_planned_end(date(2027, 2, 1), 8) == date(2027, 3, 25)
    assert not is_working_day(GOOD_FRIDAY_2027)


def test_intervention_planned_end_moves_a_weekend_back_to_friday():
    assert intervention_planned_end(date(2026, 9, 12), 6) == date(2026, 10, 23)  # a Saturday start


@pytest.mark.parametrize("weeks", [6, 12])
def test_intervention_start_accepts_6_and_12_weeks(episode, cfs_worker_user, weeks):
    with _at(date(2026, 11, 2)):
        episode.allocated_at = timezone.now()
        episode.save()
        intervention = _start(cfs_worker_user, episode, weeks=weeks)
    assert intervention.planned_end_on == intervention_planned_end(date(2026, 11, 2), weeks)
    assert intervention.status == Intervention.Status.ACTIVE
    assert intervention.family == episode.family


def test_intervention_start_over_christmas_ends_on_christmas_eve(episode, cfs_worker_user):
    with _at(date(2026, 11, 2)):
        episode.allocated_at = timezone.now()
        episode.save()
        intervention = _start(cfs_worker_user, episode, weeks=8)
    assert intervention.planned_end_on == date(2026, 12, 24)


def test_intervention_start_refuses_13_weeks(episode, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        _start(cfs_worker_user, episode, weeks=13)
    assert BEYOND_12_WEEKS in _messages(error.value)["weeks"]
    assert not Intervention.objects.exists()


def test_intervention_start_refuses_fewer_than_6_weeks(episode, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        _start(cfs_worker_user, episode, weeks=5)
    assert "at least 6 weeks" in _messages(error.value)["weeks"]


def test_intervention_start_refuses_an_end_date_beyond_12_weeks(episode, cfs_worker_user):
    with _at(date(2026, 9, 14)):
        episode.allocated_at = timezone.now()
        episode.save()
        with pytest.raises(ValidationError) as error:
            _start(cfs_worker_user, episode, weeks=None, planned_end_on=date(2026, 12, 14))  # 13 weeks
    assert BEYOND_12_WEEKS in _messages(error.value)["planned_end_on"]


def test_intervention_start_accepts_an_end_date_between_6_and_12_weeks(episode, cfs_worker_user):
    with _at(date(2026, 9, 14)):
        episode.allocated_at = timezone.now()
        episode.save()
        intervention = _start(cfs_worker_user, episode, weeks=None, planned_end_on=date(2026, 12, 7))  # 12 weeks
    assert intervention.planned_end_on == date(2026, 12, 7)


def test_intervention_start_refuses_an_end_date_before_6_weeks(episode, cfs_worker_user):
    with _at(date(2026, 9, 14)):
        episode.allocated_at = timezone.now()
        episode.save()
        with pytest.raises(ValidationError) as error:
            _start(cfs_worker_user, episode, weeks=None, planned_end_on=date(2026, 10, 23))
    assert "at least 6 weeks after the start: 26 October 2026 or later" in _messages(error.value)["planned_end_on"]


def test_intervention_start_refuses_an_end_date_on_a_bank_holiday(episode, cfs_worker_user):
    with _at(date(2026, 11, 2)):
        episode.allocated_at = timezone.now()
        episode.save()
        with pytest.raises(ValidationError) as error:
            _start(cfs_worker_user, episode, weeks=None, planned_end_on=CHRISTMAS_2026)
    assert "25 December 2026 is a weekend or bank holiday" in _messages(error.value)["planned_end_on"]
    assert "such as 24 December 2026" in _messages(error.value)["planned_end_on"]


def test_intervention_start_needs_weeks_or_an_end_date_but_not_both(episode, cfs_worker_user):
    with pytest.raises(ValidationError, match="in weeks, or a planned end date"):
        _start(cfs_worker_user, episode, weeks=None, planned_end_on=None)
    with pytest.raises(ValidationError, match="not both"):
        _start(cfs_worker_user, episode, weeks=8, planned_end_on=timezone.localdate() + timedelta(weeks=8))


def test_planned_end_validate_accepts_beyond_12_weeks_with_an_approved_extension():
    start = date(2026, 9, 14)
    fourteen_weeks = date(2026, 12, 21)
    with pytest.raises(ValidationError, match=BEYOND_12_WEEKS):
        planned_end_validate(started_on=start, planned_end_on=fourteen_weeks)
    planned_end_validate(started_on=start, planned_end_on=fourteen_weeks, extended_to=fourteen_weeks)


# ---------------------------------------------------------------------------------------------
# When and where an intervention may start
# ---------------------------------------------------------------------------------------------


def test_intervention_start_refuses_a_start_more_than_14_days_ago(episode, cfs_worker_user):
    with pytest.raises(ValidationError, match="more than 14 days ago"):
        _start(cfs_worker_user, episode, started_on=timezone.localdate() - timedelta(days=15))
    assert _start(cfs_worker_user, episode, started_on=timezone.localdate() - timedelta(days=14))


def test_intervention_start_refuses_a_start_more_than_28_days_ahead(episode, cfs_worker_user):
    with pytest.raises(ValidationError, match="within the next 28 days"):
        _start(cfs_worker_user, episode, started_on=timezone.localdate() + timedelta(days=29))


def test_intervention_start_refuses_a_start_before_allocation(episode, cfs_worker_user):
    episode.allocated_at = timezone.now() - timedelta(days=3)
    episode.save()
    with pytest.raises(ValidationError, match="before the episode was allocated"):
        _start(cfs_worker_user, episode, started_on=timezone.localdate() - timedelta(days=4))


@pytest.mark.parametrize(
    "status",
    [
        Episode.Status.REQUESTED,
        Episode.Status.CLOSING,
        Episode.Status.CLOSED,
        Episode.Status.DECLINED,
        Episode.Status.STEPPED_UP,
    ],
)
def test_intervention_start_refuses_an_episode_not_being_worked(episode, cfs_worker_user, status):
    episode.status = status
    episode.save()
    with pytest.raises((InterventionError, EpisodeError)):
        _start(cfs_worker_user, episode)
    assert not Intervention.objects.exists()


@pytest.mark.parametrize(
    "status", [Episode.Status.ALLOCATED, Episode.Status.ASSESSING, Episode.Status.PLAN_ACTIVE, Episode.Status.REVIEWING]
)
def test_intervention_start_on_each_working_status(episode, cfs_worker_user, status):
    episode.status = status
    episode.save()
    assert _start(cfs_worker_user, episode).episode == episode


def test_intervention_start_refuses_a_partner_led_episode(episode, cfs_worker_user):
    episode.pathway = Episode.Pathway.PARTNER_LED
    episode.save()
    with pytest.raises(InterventionError, match="partner-led"):
        _start(cfs_worker_user, episode)


def test_intervention_start_refuses_a_worker_outside_the_team(episode, cfs_worker_user, other_lat_user):
    with pytest.raises(ValidationError, match="Choose someone who works in"):
        _start(cfs_worker_user, episode, worker=other_lat_user)


def test_intervention_start_for_a_colleague_tells_them(episode, lat_manager_user, cfs_worker_user):
    intervention = _start(lat_manager_user, episode, worker=cfs_worker_user)
    assert intervention.worker == cfs_worker_user
    assert Notification.objects.filter(user=cfs_worker_user).count() == 1


def test_intervention_start_refuses_a_second_active_one_of_the_same_type(episode, cfs_worker_user):
    _start(cfs_worker_user, episode)
    with pytest.raises(ValidationError, match="already has an active intervention for routines"):
        _start(cfs_worker_user, episode)
    assert _start(cfs_worker_user, episode, kind=Intervention.Kind.PARENTING)


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------


def _session(user, intervention, **fields):
    values = {
        "held_on": timezone.localdate(),
        "kind": "home_visit",
        "people_seen": [],
        "child_seen_alone": False,
        "notes": "Bedtime chart agreed",
    } | fields
    return session_record(user=user, intervention=intervention, **values)


def test_session_record_saves_who_was_seen(intervention, cfs_worker_user, child, parent):
    session = _session(cfs_worker_user, intervention, people_seen=[child, parent], child_seen_alone=True)
    assert set(session.people_seen.all()) == {child, parent}
    assert session.child_seen_alone and session.recorded_by == cfs_worker_user


def test_session_record_refuses_a_future_date(intervention, cfs_worker_user):
    with pytest.raises(ValidationError, match="cannot be in the future"):
        _session(cfs_worker_user, intervention, held_on=timezone.localdate() + timedelta(days=1))


def test_session_record_refuses_a_date_before_the_start(intervention, cfs_worker_user):
    with pytest.raises(ValidationError, match="before the intervention started"):
        _session(cfs_worker_user, intervention, held_on=intervention.started_on - timedelta(days=1))
    assert _session(cfs_worker_user, intervention, held_on=intervention.started_on)


def test_session_record_refuses_a_child_seen_alone_when_no_child_was_seen(intervention, cfs_worker_user, parent):
    with pytest.raises(ValidationError) as error:
        _session(cfs_worker_user, intervention, people_seen=[parent], child_seen_alone=True)
    assert "only if a child was seen" in _messages(error.value)["child_seen_alone"]
    with pytest.raises(ValidationError, match="only if a child was seen"):
        _session(cfs_worker_user, intervention, child_seen_alone=True)


def test_session_record_refuses_people_from_another_family(intervention, cfs_worker_user, other_family):
    stranger = FamilyMemberFactory(family=other_family).person
    with pytest.raises(ValidationError, match="Choose people from this family"):
        _session(cfs_worker_user, intervention, people_seen=[stranger])


def test_session_record_refuses_a_restricted_person_the_user_cannot_see(intervention, cfs_worker_user, own_family):
    hidden = FamilyMemberFactory(family=own_family, person=PersonFactory(restricted=True)).person
    with pytest.raises(ValidationError, match="Choose people from this family"):
        _session(cfs_worker_user, intervention, people_seen=[hidden])


def test_session_record_refuses_people_seen_at_a_session_not_attended(intervention, cfs_worker_user, parent):
    with pytest.raises(ValidationError, match="did not attend"):
        _session(cfs_worker_user, intervention, kind="not_attended", people_seen=[parent])
    assert _session(cfs_worker_user, intervention, kind="not_attended")


def test_session_record_needs_notes(intervention, cfs_worker_user):
    with pytest.raises(ValidationError, match="Enter notes"):
        _session(cfs_worker_user, intervention, notes="   ")


def test_session_record_refuses_an_ended_intervention(intervention, cfs_worker_user):
    intervention.status = Intervention.Status.COMPLETED
    intervention.save()
    with pytest.raises(InterventionError, match="completed, so it can no longer be changed"):
        _session(cfs_worker_user, intervention)


# ---------------------------------------------------------------------------------------------
# Extensions
# ---------------------------------------------------------------------------------------------


def _fourteen_weeks(intervention) -> date:
    return intervention_planned_end(intervention.started_on, 14)


def _request(user, intervention, **fields):
    values = {"new_end_on": _fourteen_weeks(intervention), "reason": "The new routine needs time to settle"} | fields
    return extension_request(user=user, intervention=intervention, **values)


def test_extension_request_raises_a_task_for_the_team_managers(
    intervention, cfs_worker_user, lat_manager_user, second_manager_user
):
    extension = _request(cfs_worker_user, intervention)
    assert extension.status == InterventionExtension.Status.REQUESTED
    task = Task.objects.get(key=f"extension:{extension.uuid}")
    assert task.kind == Task.Kind.EXTENSION_DECISION and task.status == Task.Status.OPEN
    assert task.team == intervention.episode.local_area_team and task.assigned_to is None
    assert task.episode == intervention.episode and task.family == intervention.family
    told = set(Notification.objects.values_list("user", flat=True))
    assert told == {lat_manager_user.pk, second_manager_user.pk}


def test_extension_request_by_a_manager_does_not_notify_themselves(intervention, lat_manager_user, second_manager_user):
    _request(lat_manager_user, intervention)
    assert set(Notification.objects.values_list("user", flat=True)) == {second_manager_user.pk}


def test_extension_request_allows_one_waiting_at_a_time(intervention, cfs_worker_user):
    _request(cfs_worker_user, intervention)
    with pytest.raises(InterventionError, match="already waiting"):
        _request(cfs_worker_user, intervention)
    assert intervention.extensions.count() == 1


def test_extension_request_must_go_beyond_12_weeks(intervention, cfs_worker_user):
    twelve = intervention.started_on + timedelta(weeks=12)
    intervention.planned_end_on = intervention.started_on + timedelta(weeks=8)
    intervention.save()
    with pytest.raises(ValidationError, match="needs no extension"):
        _request(cfs_worker_user, intervention, new_end_on=twelve)


def test_extension_request_must_go_beyond_the_current_end(intervention, cfs_worker_user):
    with pytest.raises(ValidationError, match="after the current one"):
        _request(cfs_worker_user, intervention, new_end_on=intervention.planned_end_on)


def test_extension_request_stops_at_16_weeks(intervention, cfs_worker_user):
    with pytest.raises(ValidationError, match="at most 16 weeks"):
        _request(cfs_worker_user, intervention, new_end_on=intervention.started_on + timedelta(weeks=16, days=1))
    assert _request(cfs_worker_user, intervention, new_end_on=intervention_planned_end(intervention.started_on, 16))


def test_extension_request_refuses_a_weekend(intervention, cfs_worker_user):
    saturday = intervention.started_on + timedelta(weeks=14)
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)
    with pytest.raises(ValidationError, match="weekend or bank holiday"):
        _request(cfs_worker_user, intervention, new_end_on=saturday)


def test_extension_request_needs_a_reason(intervention, cfs_worker_user):
    with pytest.raises(ValidationError, match="needs more time"):
        _request(cfs_worker_user, intervention, reason=" ")


def test_extension_decide_approval_moves_the_planned_end(intervention, cfs_worker_user, lat_manager_user):
    extension = _request(cfs_worker_user, intervention)
    Notification.objects.all().delete()
    extension_decide(user=lat_manager_user, extension=extension, approve=True, reason="")
    extension.refresh_from_db()
    intervention.refresh_from_db()
    assert extension.status == InterventionExtension.Status.APPROVED
    assert extension.decided_by == lat_manager_user and extension.decided_at
    assert intervention.planned_end_on == extension.new_end_on
    assert intervention.planned_end_on > intervention.started_on + timedelta(weeks=12)
    assert Task.objects.get(key=f"extension:{extension.uuid}").status == Task.Status.DONE
    assert list(Notification.objects.values_list("user", flat=True)) == [cfs_worker_user.pk]


def test_extension_decide_after_approval_the_intervention_runs_beyond_12_weeks(
    intervention, cfs_worker_user, lat_manager_user
):
    extension = _request(cfs_worker_user, intervention)
    extension_decide(user=lat_manager_user, extension=extension, approve=True, reason="Agreed at supervision")
    intervention.refresh_from_db()
    planned_end_validate(
        started_on=intervention.started_on, planned_end_on=intervention.planned_end_on, extended_to=extension.new_end_on
    )
    progress = intervention_progress(intervention=intervention, today=intervention.started_on + timedelta(weeks=13))
    assert progress.week_text == "Week 14 of 14"
    assert _session(cfs_worker_user, intervention)  # still active, work goes on


def test_extension_decide_refusal_needs_a_reason(intervention, cfs_worker_user, lat_manager_user):
    extension = _request(cfs_worker_user, intervention)
    with pytest.raises(ValidationError, match="why the extension is refused"):
        extension_decide(user=lat_manager_user, extension=extension, approve=False, reason="  ")
    extension.refresh_from_db()
    assert extension.status == InterventionExtension.Status.REQUESTED


def test_extension_decide_refusal_keeps_the_planned_end(intervention, cfs_worker_user, lat_manager_user):
    end = intervention.planned_end_on
    extension = _request(cfs_worker_user, intervention)
    extension_decide(user=lat_manager_user, extension=extension, approve=False, reason="Plan a taper instead")
    extension.refresh_from_db()
    intervention.refresh_from_db()
    assert extension.status == InterventionExtension.Status.REFUSED
    assert extension.decision_reason == "Plan a taper instead"
    assert intervention.planned_end_on == end
    assert Task.objects.get(key=f"extension:{extension.uuid}").status == Task.Status.DONE
    assert Notification.objects.filter(user=cfs_worker_user).exists()


def test_extension_decide_refuses_a_manager_deciding_their_own_request(
    intervention, lat_manager_user, second_manager_user
):
    extension = _request(lat_manager_user, intervention)
    with pytest.raises(InterventionError, match="another manager must decide"):
        extension_decide(user=lat_manager_user, extension=extension, approve=True, reason="")
    extension_decide(user=second_manager_user, extension=extension, approve=True, reason="")
    extension.refresh_from_db()
    assert extension.status == InterventionExtension.Status.APPROVED


def test_extension_decide_refuses_a_manager_of_another_team(intervention, cfs_worker_user, lats, council):
    from tests.conftest import _persona

    hob_moor_manager = _persona("lat_manager", lat=lats["hob-moor"], agency=council, name="Hob Manager")
    extension = _request(cfs_worker_user, intervention)
    with pytest.raises(InterventionError, match="Only a manager of"):
        extension_decide(user=hob_moor_manager, extension=extension, approve=True, reason="")


def test_extension_decide_refuses_a_worker_who_is_not_a_manager(intervention, cfs_worker_user, lat_manager_user):
    extension = _request(lat_manager_user, intervention)
    with pytest.raises(InterventionError, match="Only a manager of"):
        extension_decide(user=cfs_worker_user, extension=extension, approve=True, reason="")


@pytest.mark.parametrize("status", [InterventionExtension.Status.APPROVED, InterventionExtension.Status.REFUSED])
def test_extension_decide_refuses_deciding_twice(intervention, lat_manager_user, status):
    extension = InterventionExtensionFactory(intervention=intervention, status=status)
    with pytest.raises(InterventionError, match="cannot be decided again"):
        extension_decide(user=lat_manager_user, extension=extension, approve=True, reason="")


def test_extension_request_after_a_refusal_is_allowed(intervention, cfs_worker_user, lat_manager_user):
    extension = _request(cfs_worker_user, intervention)
    extension_decide(user=lat_manager_user, extension=extension, approve=False, reason="Not yet")
    assert _request(cfs_worker_user, intervention).status == InterventionExtension.Status.REQUESTED


# ---------------------------------------------------------------------------------------------
# Ending an intervention
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Intervention.Status.COMPLETED, Intervention.Status.ENDED_EARLY])
def test_intervention_end_records_the_date_and_outcome(intervention, cfs_worker_user, status):
    ended = intervention_end(
        user=cfs_worker_user,
        intervention=intervention,
        status=status,
        ended_on=timezone.localdate(),
        outcome="Mornings are calm; school attendance back to 96%",
    )
    assert ended.status == status and ended.ended_on == timezone.localdate()
    assert "96%" in ended.outcome


def test_intervention_end_refuses_a_future_date_or_one_before_the_start(intervention, cfs_worker_user):
    for ended_on, message in (
        (timezone.localdate() + timedelta(days=1), "cannot be in the future"),
        (intervention.started_on - timedelta(days=1), "before the intervention started"),
    ):
        with pytest.raises(ValidationError, match=message):
            intervention_end(
                user=cfs_worker_user, intervention=intervention, status="completed", ended_on=ended_on, outcome="x"
            )
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE


def test_intervention_end_needs_an_outcome_and_a_real_ending(intervention, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        intervention_end(
            user=cfs_worker_user, intervention=intervention, status="active", ended_on=timezone.localdate(), outcome=""
        )
    assert set(error.value.message_dict) == {"status", "outcome"}


def test_intervention_end_closes_a_waiting_extension_and_its_task(intervention, cfs_worker_user):
    extension = _request(cfs_worker_user, intervention)
    ending = TaskFactory(family=intervention.family, key=f"intervention_ending:{intervention.uuid}")
    intervention_end(
        user=cfs_worker_user,
        intervention=intervention,
        status=Intervention.Status.ENDED_EARLY,
        ended_on=timezone.localdate(),
        outcome="The family moved away",
    )
    extension.refresh_from_db()
    ending.refresh_from_db()
    assert extension.status == InterventionExtension.Status.REFUSED and extension.decided_by is None
    assert extension.decision_reason.startswith("Not decided: the intervention ended")
    assert Task.objects.get(key=f"extension:{extension.uuid}").status == Task.Status.DONE
    assert ending.status == Task.Status.DONE


# ---------------------------------------------------------------------------------------------
# Closed episodes are read-only
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def closed(intervention):
    intervention.episode.status = Episode.Status.CLOSED
    intervention.episode.save()
    return intervention


def test_closed_episode_refuses_a_session(closed, cfs_worker_user):
    with pytest.raises(EpisodeError, match="closed, so its records can no longer be changed"):
        _session(cfs_worker_user, closed)


def test_closed_episode_refuses_an_extension_request(closed, cfs_worker_user):
    with pytest.raises(EpisodeError, match="closed"):
        _request(cfs_worker_user, closed)


def test_closed_episode_refuses_an_extension_decision(intervention, cfs_worker_user, lat_manager_user):
    extension = _request(cfs_worker_user, intervention)
    intervention.episode.status = Episode.Status.CLOSED
    intervention.episode.save()
    with pytest.raises(InterventionError, match="closed"):
        extension_decide(user=lat_manager_user, extension=extension, approve=True, reason="")


def test_closed_episode_refuses_ending_an_intervention(closed, cfs_worker_user):
    with pytest.raises(EpisodeError, match="closed"):
        intervention_end(
            user=cfs_worker_user,
            intervention=closed,
            status="completed",
            ended_on=timezone.localdate(),
            outcome="Done",
        )


def test_closed_episode_refuses_a_new_intervention(episode, cfs_worker_user):
    episode.status = Episode.Status.CLOSED
    episode.save()
    with pytest.raises(InterventionError, match="closed, so its records can no longer be changed"):
        _start(cfs_worker_user, episode)


# ---------------------------------------------------------------------------------------------
# Progress through the weeks
# ---------------------------------------------------------------------------------------------


def test_intervention_progress_counts_weeks_and_days():
    intervention = Intervention(
        started_on=date(2026, 11, 2), planned_end_on=date(2026, 12, 24), status=Intervention.Status.ACTIVE
    )
    assert intervention_progress(intervention=intervention, today=date(2026, 11, 2)).week_text == "Week 1 of 8"
    progress = intervention_progress(intervention=intervention, today=date(2026, 11, 18))
    assert progress.week_text == "Week 3 of 8" and progress.end_text == "Ends in 36 days"
    assert intervention_progress(intervention=intervention, today=date(2026, 12, 24)).end_text == "Ends today"
    late = intervention_progress(intervention=intervention, today=date(2026, 12, 29))
    assert late.end_text.startswith("The planned end was 5 days ago")
    early = intervention_progress(intervention=intervention, today=date(2026, 10, 30))
    assert early.week_text == "Not started: 8 weeks planned"
    intervention.status = Intervention.Status.COMPLETED
    assert intervention_progress(intervention=intervention, today=date(2026, 12, 1)).end_text == "Ended"


# Only workers of the episode's own team work an intervention ------------------------------------------------


@pytest.fixture
def hob_moor_worker_granted(other_lat_user, own_family):
    """A Hob Moor worker granted the Tang Hall family: they may look at it, not work its interventions."""
    family_access_grant(family=own_family, user=other_lat_user)
    return other_lat_user


def test_intervention_start_refuses_a_worker_of_another_team_granted_the_family(episode, hob_moor_worker_granted):
    with pytest.raises(InterventionError, match=f"Only workers of {episode.local_area_team} can start"):
        _start(hob_moor_worker_granted, episode, worker=episode.lead_practitioner)
    assert not episode.interventions.exists()


def test_session_extension_and_end_refuse_a_worker_of_another_team_granted_the_family(
    intervention, hob_moor_worker_granted
):
    team = intervention.episode.local_area_team
    with pytest.raises(InterventionError, match=f"Only workers of {team} can record a session"):
        _session(hob_moor_worker_granted, intervention)
    with pytest.raises(InterventionError, match=f"Only workers of {team} can ask to extend"):
        _request(hob_moor_worker_granted, intervention)
    with pytest.raises(InterventionError, match=f"Only workers of {team} can end"):
        intervention_end(
            user=hob_moor_worker_granted,
            intervention=intervention,
            status=Intervention.Status.COMPLETED,
            ended_on=timezone.localdate(),
            outcome="Calmer mornings",
        )
    intervention.refresh_from_db()
    assert intervention.status == Intervention.Status.ACTIVE
    assert not intervention.sessions.exists() and not intervention.extensions.exists()


def test_a_manager_of_the_team_may_work_an_intervention(intervention, lat_manager_user):
    assert _session(lat_manager_user, intervention).recorded_by == lat_manager_user


@pytest.mark.parametrize("page", ["intervention_new", "session_add", "extension_request", "intervention_end"])
def test_intervention_pages_explain_the_team_refusal_on_get(
    client, episode, intervention, hob_moor_worker_granted, page
):
    signed_in_client(hob_moor_worker_granted, client)
    record = episode if page == "intervention_new" else intervention
    response = client.get(reverse(f"cases:{page}", kwargs={"uuid": record.uuid}))
    assert response.status_code == 200
    assert f"Only workers of {episode.local_area_team} can" in response.content.decode()


# A restricted family's name goes only to managers on its allow-list ------------------------------------------


@pytest.fixture
def restricted_family(restricted_family):
    """The restricted family under a name no message says by chance ("restricted family" does)."""
    restricted_family.name = "Quennell"
    restricted_family.save()
    return restricted_family


def test_extension_request_names_a_restricted_family_only_to_allow_listed_managers(
    restricted_family, cfs_worker_user, lat_manager_user, second_manager_user
):
    for user in (cfs_worker_user, lat_manager_user):
        family_restricted_allow(family=restricted_family, user=user)
    episode = AllocatedEpisodeFactory(family=restricted_family, lead_practitioner=cfs_worker_user)
    today = timezone.localdate()
    intervention = InterventionFactory(
        episode=episode,
        family=restricted_family,
        worker=cfs_worker_user,
        started_on=today - timedelta(weeks=4),
        planned_end_on=today + timedelta(weeks=4),
    )
    _request(cfs_worker_user, intervention)
    named = Notification.objects.filter(message__contains=restricted_family.name)
    assert set(named.values_list("user", flat=True)) == {lat_manager_user.pk}
    nameless = Notification.objects.get(user=second_manager_user).message
    assert restricted_family.name not in nameless
    assert nameless == f"A restricted family (reference {restricted_family.reference}) needs a manager's decision"
