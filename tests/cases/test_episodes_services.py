"""Episodes of early help: the state machine, starting early help, closure with the family's feedback and a
manager's approval, the grace period before partners lose access, reopening, step-up and step-down."""

from datetime import timedelta
from itertools import product

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.models import EarlyHelpAssessment
from cases.models import Closure, Episode, Family, Intervention, TafMeeting, TafMember, Task, Transfer
from cases.selectors import allocation_queue
from cases.selectors.episodes import closure_request_blocked
from cases.services import (
    episode_allocate,
    family_access_grant,
    family_restricted_allow,
    transfer_reference_record,
)
from cases.services.episodes import (
    EpisodeError,
    closure_decide,
    closure_grants_end,
    closure_request,
    episode_move,
    episode_reopen,
    episode_require_open,
    episode_start,
    step_down,
    step_up,
)
from cases.tasks import closure_grants_end_task
from consent.models import DisclosureLog
from earlyhelp.accounts.models import Notification
from earlyhelp.core import perms
from locality.services import membership_add
from tests.factories import (
    AllocatedEpisodeFactory,
    AssessmentFactory,
    ConsentRecordFactory,
    EpisodeFactory,
    FamilyFactory,
    InterventionFactory,
    TafMeetingFactory,
    TafMemberFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Status = Episode.Status
PAIRS = list(product(Status.values, Status.values))
FEEDBACK = {
    "reason": Closure.Reason.OUTCOMES_ACHIEVED,
    "summary": "Mornings are calm and the children are in school every day; the school keeps an eye",
    "satisfaction": 5,
    "made_difference": Closure.Difference.YES,
    "family_comments": "Zoë said the routine chart helped",
}


@pytest.fixture
def episode(own_family, cfs_worker_user):
    return AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)


@pytest.fixture
def hob_moor_manager(lats, council):
    user = UserFactory(full_name="Hana Hobmoor", agency=council)
    membership_add(
        user=user, team=TeamFactory(agency=council, local_area_team=lats["hob-moor"]), role=perms.LAT_MANAGER
    )
    return user


def _closing(episode, user) -> Closure:
    return closure_request(user=user, episode=episode, **FEEDBACK)


# The state machine -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "target"), PAIRS)
def test_episode_move_allows_only_the_moves_in_its_table(own_family, start, target):
    episode = EpisodeFactory(family=own_family, status=start)
    if target in Episode.TRANSITIONS[start]:
        episode_move(episode=episode, status=target)
        episode.refresh_from_db()
        assert episode.status == target
    else:
        with pytest.raises(EpisodeError, match="cannot become"):
            episode_move(episode=episode, status=target)
        episode.refresh_from_db()
        assert episode.status == start


@pytest.mark.parametrize("status", Status.values)
def test_episode_require_open_refuses_every_ended_episode(own_family, status):
    episode = EpisodeFactory(family=own_family, status=status)
    if status in Episode.OPEN:
        episode_require_open(episode)
    else:
        with pytest.raises(EpisodeError, match="can no longer be changed"):
            episode_require_open(episode)


# Starting early help without the MASH ------------------------------------------------------------------------


def test_episode_start_partner_led_makes_the_partner_lead(granted_family, partner_user):
    AssessmentFactory(family=granted_family, version=1, status=EarlyHelpAssessment.Status.AUTHORISED)
    newest = AssessmentFactory(family=granted_family, version=2, status=EarlyHelpAssessment.Status.AUTHORISED)
    AssessmentFactory(family=granted_family, version=3, status=EarlyHelpAssessment.Status.DRAFT)
    episode = episode_start(user=partner_user, family=granted_family, pathway="partner_led", level=2)
    assert episode.status == Status.ALLOCATED
    assert episode.route == Episode.Route.PARTNER
    assert episode.lead_practitioner == partner_user
    assert episode.lead_agency == partner_user.agency
    assert episode.allocated_by == partner_user and episode.allocated_at is not None
    assert episode.assessment == newest
    assert episode.local_area_team == granted_family.local_area_team
    assert not Task.objects.filter(episode=episode).exists()


def test_episode_start_targeted_waits_in_the_allocation_queue(
    own_family, cfs_worker_user, lat_manager_user, second_manager_user
):
    episode = episode_start(user=cfs_worker_user, family=own_family, pathway="targeted", level=3)
    assert episode.status == Status.REQUESTED and episode.lead_practitioner is None and episode.assessment is None
    assert episode in allocation_queue(user=lat_manager_user)
    task = Task.objects.get(key=f"allocation:{episode.uuid}")
    assert task.kind == Task.Kind.ALLOCATION_WAITING
    assert task.team == own_family.local_area_team and task.assigned_to is None and task.status == "open"
    told = set(Notification.objects.filter(message__contains="targeted early help").values_list("user", flat=True))
    assert told == {lat_manager_user.pk, second_manager_user.pk}


def test_episode_allocate_closes_the_allocation_task(own_family, cfs_worker_user, lat_manager_user):
    episode = episode_start(user=cfs_worker_user, family=own_family, pathway="targeted", level=3)
    episode_allocate(user=lat_manager_user, episode=episode, worker=cfs_worker_user)
    task = Task.objects.get(key=f"allocation:{episode.uuid}")
    assert task.status == Task.Status.DONE and task.completed_on == timezone.localdate()


def test_episode_start_refused_while_the_family_has_open_early_help(own_family, cfs_worker_user, episode):
    with pytest.raises(EpisodeError, match="already has early help"):
        episode_start(user=cfs_worker_user, family=own_family, pathway="targeted", level=3)
    assert Episode.objects.filter(family=own_family).count() == 1


def test_episode_one_open_per_family_is_held_by_the_database(own_family, episode):
    with pytest.raises(IntegrityError), transaction.atomic():
        EpisodeFactory(family=own_family)


@pytest.mark.parametrize("level", [1, 4])
def test_episode_start_refuses_a_level_other_than_2_or_3(own_family, cfs_worker_user, level):
    with pytest.raises(ValidationError) as error:
        episode_start(user=cfs_worker_user, family=own_family, pathway="targeted", level=level)
    assert "level" in error.value.message_dict


def test_episode_start_reopens_a_closed_family(own_family, cfs_worker_user):
    own_family.status = Family.Status.CLOSED
    own_family.save()
    episode_start(user=cfs_worker_user, family=own_family, pathway="partner_led", level=2)
    own_family.refresh_from_db()
    assert own_family.status == Family.Status.ACTIVE


# Closure -----------------------------------------------------------------------------------------------------


def test_closure_request_without_a_meeting_waits_for_a_manager(
    episode, cfs_worker_user, lat_manager_user, second_manager_user
):
    closure = _closing(episode, cfs_worker_user)
    episode.refresh_from_db()
    assert episode.status == Status.CLOSING
    assert closure.status == Closure.Status.AWAITING_APPROVAL
    assert (closure.satisfaction, closure.made_difference) == (5, "yes")
    assert closure.family_comments == "Zoë said the routine chart helped"
    task = Task.objects.get(key=f"closure:{closure.uuid}")
    assert task.kind == Task.Kind.CLOSURE_DECISION and task.team == episode.family.local_area_team
    told = set(
        Notification.objects.filter(message__contains="waiting for your decision").values_list("user", flat=True)
    )
    assert set(told) == {lat_manager_user.pk, second_manager_user.pk}


def test_closure_request_with_a_closure_meeting_closes_at_once(episode, cfs_worker_user, settings):
    settings.CASE_CLOSURE_GRACE_DAYS = 10
    meeting = TafMeetingFactory(
        episode=episode, kind="closure", status="held", held_on=timezone.localdate(), decision="close"
    )
    closure = closure_request(user=cfs_worker_user, episode=episode, meeting=meeting, **FEEDBACK)
    episode.refresh_from_db()
    episode.family.refresh_from_db()
    assert closure.status == Closure.Status.APPROVED and closure.decided_by is None
    assert episode.status == Status.CLOSED and episode.closed_at is not None
    assert episode.family.status == Family.Status.CLOSED
    assert closure.grants_end_on == timezone.localdate() + timedelta(days=10)
    assert not Task.objects.filter(kind=Task.Kind.CLOSURE_DECISION).exists()


@pytest.mark.parametrize(
    "meeting_fields",
    [
        {"kind": "closure", "status": "planned", "decision": ""},
        {"kind": "closure", "status": "held", "decision": "continue"},
        {"kind": "review", "status": "held", "decision": "close"},
    ],
)
def test_closure_request_refuses_a_meeting_that_did_not_decide_to_close(episode, cfs_worker_user, meeting_fields):
    meeting = TafMeetingFactory(episode=episode, held_on=timezone.localdate(), **meeting_fields)
    with pytest.raises(ValidationError) as error:
        closure_request(user=cfs_worker_user, episode=episode, meeting=meeting, **FEEDBACK)
    assert "meeting" in error.value.message_dict
    episode.refresh_from_db()
    assert episode.status == Status.PLAN_ACTIVE


def test_closure_request_refuses_another_episodes_meeting(episode, cfs_worker_user, other_family):
    elsewhere = TafMeetingFactory(
        episode=AllocatedEpisodeFactory(family=other_family), kind="closure", status="held", decision="close"
    )
    with pytest.raises(ValidationError, match="closure meeting of this episode"):
        closure_request(user=cfs_worker_user, episode=episode, meeting=elsewhere, **FEEDBACK)


@pytest.mark.parametrize("satisfaction", [0, 6, 10])
def test_closure_request_refuses_satisfaction_outside_1_to_5(episode, cfs_worker_user, satisfaction):
    with pytest.raises(ValidationError) as error:
        closure_request(user=cfs_worker_user, episode=episode, **(FEEDBACK | {"satisfaction": satisfaction}))
    assert "satisfaction" in error.value.message_dict


def test_closure_request_accepts_a_family_that_did_not_say(episode, cfs_worker_user):
    closure = closure_request(
        user=cfs_worker_user, episode=episode, **(FEEDBACK | {"satisfaction": None, "made_difference": "not_asked"})
    )
    assert closure.satisfaction is None and closure.made_difference == "not_asked"


def test_closure_request_other_needs_a_reason(episode, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        closure_request(user=cfs_worker_user, episode=episode, **(FEEDBACK | {"reason": "other"}))
    assert "reason_detail" in error.value.message_dict
    closure = closure_request(
        user=cfs_worker_user, episode=episode, **(FEEDBACK | {"reason": "other", "reason_detail": "Moved in with gran"})
    )
    assert closure.reason_detail == "Moved in with gran"


def test_closure_request_needs_a_summary(episode, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        closure_request(user=cfs_worker_user, episode=episode, **(FEEDBACK | {"summary": "  "}))
    assert "summary" in error.value.message_dict


@pytest.mark.parametrize("status", [Status.REQUESTED, Status.CLOSING, Status.CLOSED, Status.STEPPED_UP])
def test_closure_request_refused_unless_the_episode_is_being_worked(own_family, cfs_worker_user, status):
    episode = EpisodeFactory(family=own_family, status=status)
    with pytest.raises(EpisodeError):
        _closing(episode, cfs_worker_user)
    assert not Closure.objects.exists()


def test_closure_request_refused_while_an_intervention_is_active(episode, cfs_worker_user):
    intervention = InterventionFactory(
        episode=episode, family=episode.family, kind="parenting", status=Intervention.Status.ACTIVE
    )
    assert "End the parenting support intervention" in closure_request_blocked(episode=episode)
    with pytest.raises(EpisodeError, match="End the parenting support intervention before closing the episode"):
        _closing(episode, cfs_worker_user)
    assert not Closure.objects.exists()
    Intervention.objects.filter(pk=intervention.pk).update(status=Intervention.Status.COMPLETED)
    assert closure_request_blocked(episode=episode) == ""
    assert _closing(episode, cfs_worker_user).status == Closure.Status.AWAITING_APPROVAL


def test_closure_decide_approve_closes_episode_and_family(
    episode, cfs_worker_user, lat_manager_user, settings, django_capture_on_commit_callbacks
):
    settings.CASE_CLOSURE_GRACE_DAYS = 28
    closure = _closing(episode, cfs_worker_user)
    closure_decide(user=lat_manager_user, closure=closure, approve=True)
    closure.refresh_from_db()
    episode.refresh_from_db()
    assert closure.status == Closure.Status.APPROVED and closure.decided_by == lat_manager_user
    assert closure.grants_end_on == timezone.localdate() + timedelta(days=28)
    assert episode.status == Status.CLOSED and episode.closed_at is not None
    assert Family.objects.get(pk=episode.family_id).status == Family.Status.CLOSED
    assert Task.objects.get(key=f"closure:{closure.uuid}").status == Task.Status.DONE
    assert Notification.objects.filter(user=cfs_worker_user, message__contains="approved").exists()


def test_closure_decide_refused_for_the_manager_who_asked(episode, lat_manager_user):
    closure = _closing(episode, lat_manager_user)
    with pytest.raises(EpisodeError, match="another manager must decide"):
        closure_decide(user=lat_manager_user, closure=closure, approve=True)
    closure.refresh_from_db()
    assert closure.status == Closure.Status.AWAITING_APPROVAL


def test_closure_decide_by_the_other_manager_after_a_manager_asked(episode, lat_manager_user, second_manager_user):
    closure = _closing(episode, lat_manager_user)
    closure_decide(user=second_manager_user, closure=closure, approve=True)
    assert Episode.objects.get(pk=episode.pk).status == Status.CLOSED


def test_closure_decide_refused_for_a_manager_of_another_team(episode, cfs_worker_user, hob_moor_manager):
    closure = _closing(episode, cfs_worker_user)
    with pytest.raises(EpisodeError, match="Only a manager of the Tang Hall"):
        closure_decide(user=hob_moor_manager, closure=closure, approve=True)


def test_closure_decide_refused_for_a_worker(episode, cfs_worker_user, other_lat_user):
    closure = _closing(episode, other_lat_user)
    with pytest.raises(EpisodeError, match="Only a manager"):
        closure_decide(user=cfs_worker_user, closure=closure, approve=True)


def test_closure_decide_refuse_returns_to_the_plan_and_tells_the_requester(episode, cfs_worker_user, lat_manager_user):
    closure = _closing(episode, cfs_worker_user)
    with pytest.raises(ValidationError) as error:
        closure_decide(user=lat_manager_user, closure=closure, approve=False, refusal_reason=" ")
    assert "refusal_reason" in error.value.message_dict
    closure_decide(user=lat_manager_user, closure=closure, approve=False, refusal_reason="School still worried")
    closure.refresh_from_db()
    episode.refresh_from_db()
    assert closure.status == Closure.Status.REFUSED and closure.refusal_reason == "School still worried"
    assert episode.status == Status.PLAN_ACTIVE and episode.closed_at is None
    assert Task.objects.get(key=f"closure:{closure.uuid}").status == Task.Status.DONE
    assert Notification.objects.filter(user=cfs_worker_user, message__contains="School still worried").exists()


def test_closure_decide_only_once(episode, cfs_worker_user, lat_manager_user, second_manager_user):
    closure = _closing(episode, cfs_worker_user)
    closure_decide(user=lat_manager_user, closure=closure, approve=False, refusal_reason="Not yet")
    with pytest.raises(EpisodeError, match="already been decided"):
        closure_decide(user=second_manager_user, closure=closure, approve=True)


def test_closed_episode_is_read_only(episode, cfs_worker_user, lat_manager_user):
    closure_decide(user=lat_manager_user, closure=_closing(episode, cfs_worker_user), approve=True)
    episode.refresh_from_db()
    with pytest.raises(EpisodeError, match="closed, so its records can no longer be changed"):
        episode_require_open(episode)
    with pytest.raises(EpisodeError, match="can no longer be changed"):
        step_up(user=cfs_worker_user, episode=episode, kind="social_care", reason="Worse")
    with pytest.raises(EpisodeError):
        _closing(episode, cfs_worker_user)


# Partners' access after the grace period ---------------------------------------------------------------------


@pytest.fixture
def closed_with_partners(own_family, restricted_family, partner_user, cfs_worker_user, lat_manager_user):
    """A closed episode whose family a partner (in the TAF) can see; a restricted family they are allow-listed on."""
    episode = AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)
    family_access_grant(family=own_family, user=partner_user)
    member = TafMemberFactory(episode=episode, user=partner_user)
    restricted_episode = AllocatedEpisodeFactory(family=restricted_family, lead_practitioner=cfs_worker_user)
    family_restricted_allow(family=restricted_family, user=partner_user)
    family_access_grant(family=restricted_family, user=partner_user)
    for closing in (episode, restricted_episode):
        closure_decide(user=lat_manager_user, closure=_closing(closing, cfs_worker_user), approve=True)
    return episode, member


def _holds(user, family, codename: str = perms.ACCESS_FAMILY) -> bool:
    from guardian.shortcuts import get_perms

    return codename in get_perms(user, family)


def test_closure_grants_end_only_after_the_grace_period(closed_with_partners, partner_user, restricted_family):
    episode, member = closed_with_partners
    family = episode.family
    today = timezone.localdate()
    assert closure_grants_end(today=today + timedelta(days=27)) == 0
    assert _holds(partner_user, family)
    with time_machine.travel(timezone.now() + timedelta(days=28)):
        assert closure_grants_end(today=timezone.localdate()) == 2
        assert not _holds(partner_user, family)
        member.refresh_from_db()
        assert member.status == TafMember.Status.LEFT and member.left_on == timezone.localdate()
        assert Closure.objects.get(episode=episode).grants_ended_at is not None
        # The restricted family's allow-list stays; only the per-family grant goes.
        assert _holds(partner_user, restricted_family, perms.ACCESS_RESTRICTED_FAMILY)
        assert not _holds(partner_user, restricted_family)
        assert closure_grants_end(today=timezone.localdate()) == 0  # idempotent


def test_closure_grants_end_skips_a_reopened_episode(closed_with_partners, partner_user, lat_manager_user):
    episode, _ = closed_with_partners
    episode_reopen(user=lat_manager_user, episode=episode, reason="The school raised new worries")
    assert closure_grants_end(today=timezone.localdate() + timedelta(days=60)) == 1  # only the restricted family's
    assert _holds(partner_user, episode.family)


def test_closure_grants_end_skips_a_family_with_new_early_help(closed_with_partners, partner_user, cfs_worker_user):
    episode, _ = closed_with_partners
    episode_start(user=cfs_worker_user, family=episode.family, pathway="targeted", level=3)
    closure_grants_end(today=timezone.localdate() + timedelta(days=60))
    assert _holds(partner_user, episode.family)


def test_closure_grants_end_task_runs_as_a_service_account(closed_with_partners, partner_user):
    _, member = closed_with_partners
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert closure_grants_end_task.delay().get() == 2
    member.refresh_from_db()
    assert member.history.first().history_user.is_service_account


# Reopening ---------------------------------------------------------------------------------------------------


@pytest.fixture
def closed_episode(episode, cfs_worker_user, lat_manager_user):
    closure_decide(user=lat_manager_user, closure=_closing(episode, cfs_worker_user), approve=True)
    episode.refresh_from_db()
    return episode


def test_episode_reopen_within_the_window(closed_episode, second_manager_user):
    with time_machine.travel(timezone.now() + timedelta(days=85)):
        episode_reopen(user=second_manager_user, episode=closed_episode, reason="Dad moved back in")
    closed_episode.refresh_from_db()
    assert closed_episode.status == Status.PLAN_ACTIVE
    assert closed_episode.reopened_by == second_manager_user and closed_episode.reopen_reason == "Dad moved back in"
    assert closed_episode.reopened_at is not None
    assert Family.objects.get(pk=closed_episode.family_id).status == Family.Status.ACTIVE
    assert Closure.objects.get(episode=closed_episode).grants_end_on is None


def test_episode_reopen_refused_after_the_window(closed_episode, lat_manager_user, settings):
    settings.CASE_REOPEN_MONTHS = 3
    with (
        time_machine.travel(timezone.now() + timedelta(days=93)),
        pytest.raises(EpisodeError, match="more than 3 months ago, so it can no longer be reopened"),
    ):
        episode_reopen(user=lat_manager_user, episode=closed_episode, reason="Dad moved back in")
    closed_episode.refresh_from_db()
    assert closed_episode.status == Status.CLOSED


def test_episode_reopen_needs_a_reason_and_a_manager(closed_episode, lat_manager_user, cfs_worker_user):
    with pytest.raises(ValidationError):
        episode_reopen(user=lat_manager_user, episode=closed_episode, reason=" ")
    with pytest.raises(EpisodeError, match="Only a manager"):
        episode_reopen(user=cfs_worker_user, episode=closed_episode, reason="Worried")


def test_episode_reopen_refused_when_the_family_has_other_open_early_help(
    closed_episode, lat_manager_user, cfs_worker_user
):
    episode_start(user=cfs_worker_user, family=closed_episode.family, pathway="targeted", level=3)
    with pytest.raises(EpisodeError, match="other open early help"):
        episode_reopen(user=lat_manager_user, episode=closed_episode, reason="Worried")


def test_episode_reopen_refused_for_an_open_episode(episode, lat_manager_user):
    with pytest.raises(EpisodeError, match="Only a closed episode"):
        episode_reopen(user=lat_manager_user, episode=episode, reason="Worried")


# Step-up and step-down ---------------------------------------------------------------------------------------


def test_step_up_creates_a_transfer_and_logs_the_disclosure(episode, cfs_worker_user, lat_manager_user):
    consent = ConsentRecordFactory(family=episode.family, status="given")
    transfer = step_up(user=cfs_worker_user, episode=episode, kind="strategy", reason="Bruising seen at school")
    episode.refresh_from_db()
    assert episode.status == Status.STEPPED_UP
    assert (transfer.direction, transfer.kind, transfer.episode) == ("step_up", "strategy", episode)
    assert transfer.external_reference == "" and transfer.reference_recorded_at is None
    log = DisclosureLog.objects.get(family=episode.family)
    assert "Step-up to children's social care" in log.what
    assert (log.basis, log.consent, log.disclosed_by) == ("consent", consent, cfs_worker_user)
    assert Notification.objects.filter(user=lat_manager_user, message__contains="stepped up").exists()


def test_step_up_without_consent_is_still_logged(episode, cfs_worker_user):
    step_up(
        user=cfs_worker_user, episode=episode, kind="immediate_protection", reason="Disclosure", external_reference=""
    )
    log = DisclosureLog.objects.get(family=episode.family)
    assert (log.basis, log.consent) == (DisclosureLog.Basis.STEP_UP, None)
    assert log.get_basis_display() == "Safeguarding: step-up to children's social care"


def test_step_up_records_the_reference_now_or_later(episode, lats, cfs_worker_user):
    transfer = step_up(
        user=cfs_worker_user, episode=episode, kind="social_care", reason="Neglect", external_reference=" CSC-1 "
    )
    assert transfer.external_reference == "CSC-1" and transfer.reference_recorded_at is not None
    second = AllocatedEpisodeFactory(family=FamilyFactory(local_area_team=lats["tang-hall"]))
    later = step_up(user=cfs_worker_user, episode=second, kind="social_care", reason="Neglect")
    transfer_reference_record(user=cfs_worker_user, transfer=later, external_reference="CSC-2")
    later.refresh_from_db()
    assert later.external_reference == "CSC-2" and later.reference_recorded_at is not None


@pytest.mark.parametrize("status", [Status.REQUESTED, Status.CLOSING])
def test_step_up_refused_unless_the_episode_is_being_worked(own_family, cfs_worker_user, status):
    episode = EpisodeFactory(family=own_family, status=status)
    with pytest.raises(EpisodeError, match="cannot be stepped up"):
        step_up(user=cfs_worker_user, episode=episode, kind="social_care", reason="Worse")
    assert not Transfer.objects.exists()


def test_step_up_needs_a_reason_and_a_step_up_kind(episode, cfs_worker_user):
    with pytest.raises(ValidationError) as error:
        step_up(user=cfs_worker_user, episode=episode, kind="step_down", reason="")
    assert set(error.value.message_dict) == {"kind", "reason"}


def _step_down(user, family, worker, **overrides):
    fields = {
        "external_reference": "CSC-778",
        "reason": "Child in need plan ended; the family want support with routines",
        "lead_practitioner": worker,
        "handover_on": timezone.localdate() + timedelta(days=7),
    } | overrides
    return step_down(user=user, family=family, **fields)


def test_step_down_creates_an_allocated_episode_with_a_handover_meeting(own_family, lat_manager_user, cfs_worker_user):
    handover = timezone.localdate() + timedelta(days=7)
    episode = _step_down(lat_manager_user, own_family, cfs_worker_user)
    assert (episode.route, episode.pathway, episode.status, episode.level) == ("step_down", "targeted", "allocated", 3)
    assert episode.lead_practitioner == cfs_worker_user
    assert episode.allocated_by == lat_manager_user and episode.allocated_at is not None
    transfer = Transfer.objects.get(family=own_family)
    assert (transfer.direction, transfer.kind, transfer.episode) == ("step_down", "step_down", episode)
    assert transfer.external_reference == "CSC-778"
    meeting = TafMeeting.objects.get(episode=episode)
    assert (meeting.kind, meeting.status, meeting.due_on) == ("step_down", "planned", handover)
    assert Notification.objects.filter(user=cfs_worker_user, message__contains="stepped down").exists()


def test_step_down_refused_when_the_family_has_open_early_help(episode, own_family, lat_manager_user, cfs_worker_user):
    with pytest.raises(EpisodeError, match="already has early help"):
        _step_down(lat_manager_user, own_family, cfs_worker_user)


def test_step_down_refuses_bad_input(own_family, lat_manager_user, other_lat_user):
    with pytest.raises(ValidationError) as error:
        _step_down(
            lat_manager_user,
            own_family,
            other_lat_user,
            external_reference=" ",
            reason="",
            level=4,
            handover_on=timezone.localdate() - timedelta(days=1),
        )
    assert set(error.value.message_dict) == {
        "external_reference",
        "reason",
        "level",
        "lead_practitioner",
        "handover_on",
    }
    assert not Episode.objects.filter(family=own_family).exists()


def test_step_down_only_by_a_manager_of_the_family_team(own_family, cfs_worker_user, hob_moor_manager):
    for user in (cfs_worker_user, hob_moor_manager):
        with pytest.raises(EpisodeError, match="Only a manager of the Tang Hall"):
            _step_down(user, own_family, cfs_worker_user)


# A restricted family's name goes only to managers on its allow-list ------------------------------------------


def _told(user, *, containing: str) -> list[str]:
    return list(Notification.objects.filter(user=user, message__contains=containing).values_list("message", flat=True))


@pytest.fixture
def restricted_family(restricted_family):
    """The restricted family under a name no message says by chance ("restricted family" does)."""
    restricted_family.name = "Quennell"
    restricted_family.save()
    return restricted_family


@pytest.fixture
def restricted_episode(restricted_family, cfs_worker_user, lat_manager_user):
    """An allocated episode of the restricted family: its worker and one manager are on the allow-list, the second
    manager of Tang Hall is not."""
    for user in (cfs_worker_user, lat_manager_user):
        family_restricted_allow(family=restricted_family, user=user)
    return AllocatedEpisodeFactory(family=restricted_family, lead_practitioner=cfs_worker_user)


def _names_only_the_allow_listed(restricted_family, lat_manager_user, second_manager_user):
    named = Notification.objects.filter(message__contains=restricted_family.name)
    assert set(named.values_list("user", flat=True)) == {lat_manager_user.pk}
    nameless = Notification.objects.get(user=second_manager_user)
    assert restricted_family.name not in nameless.message
    assert f"restricted family (reference {restricted_family.reference})" in nameless.message


def test_episode_start_names_a_restricted_family_only_to_allow_listed_managers(
    restricted_family, cfs_worker_user, lat_manager_user, second_manager_user
):
    for user in (cfs_worker_user, lat_manager_user):
        family_restricted_allow(family=restricted_family, user=user)
    episode_start(user=cfs_worker_user, family=restricted_family, pathway="targeted", level=3)
    _names_only_the_allow_listed(restricted_family, lat_manager_user, second_manager_user)
    assert "ask to be added to its allow-list" in _told(second_manager_user, containing="targeted early help")[0]


def test_closure_request_names_a_restricted_family_only_to_allow_listed_managers(
    restricted_episode, restricted_family, cfs_worker_user, lat_manager_user, second_manager_user
):
    _closing(restricted_episode, cfs_worker_user)
    _names_only_the_allow_listed(restricted_family, lat_manager_user, second_manager_user)
    assert _told(second_manager_user, containing="needs a manager's decision")


def test_step_up_names_a_restricted_family_only_to_allow_listed_managers(
    restricted_episode, restricted_family, cfs_worker_user, lat_manager_user, second_manager_user
):
    ConsentRecordFactory(family=restricted_family, status="given")
    step_up(user=cfs_worker_user, episode=restricted_episode, kind="strategy", reason="Bruising seen at school")
    _names_only_the_allow_listed(restricted_family, lat_manager_user, second_manager_user)
