"""Supporting Families rules: eligibility (three headlines, an assessment, a plan and a lead), every move the state
machine allows and the ones its rules refuse, sustainment six months after closure with time moved, the second
person who validates, the daily sweep and its one notification, and the quarterly return that names no one."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from cases.models.supporting_families import Headline, SupportingFamiliesRegistration
from cases.selectors import supporting_families as selectors
from cases.selectors.episodes import add_months
from cases.services import supporting_families as services
from cases.tasks import supporting_families_sustain_task
from consent.models import ConsentRecord
from earlyhelp.accounts.models import Notification
from earlyhelp.core import perms
from tests.conftest import _persona
from tests.factories import (
    AllocatedEpisodeFactory,
    AssessmentFactory,
    ClosureFactory,
    ConsentRecordFactory,
    FamilyFactory,
    FamilyPlanFactory,
)

pytestmark = pytest.mark.django_db

YORK = ZoneInfo("Europe/London")
Status = SupportingFamiliesRegistration.Status
THREE = (Headline.EDUCATION, Headline.HOUSING, Headline.FINANCES)


def at(day: date):
    """Travel to 9am on `day` in York, with the clock standing still."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 9, tzinfo=YORK), tick=False)


def family_records(family, lead):
    """An authorised assessment and an agreed plan of a working episode led by `lead`."""
    episode = AllocatedEpisodeFactory(family=family, lead_practitioner=lead)
    assessment = AssessmentFactory(family=family, status="authorised")
    plan = FamilyPlanFactory(episode=episode, family=family, status="agreed", agreed_on=date(2026, 1, 10))
    return assessment, plan


@pytest.fixture
def validator(council):
    """A second Supporting Families officer, who took no part in the claim."""
    return _persona(perms.SF_OFFICER, agency=council, name="Val Validator")


def data_matching_consent(family, *, data_matching=True, status=ConsentRecord.Status.GIVEN):
    return ConsentRecordFactory(family=family, status=status, data_matching=data_matching)


def episode_end(registration) -> None:
    """The registration's episode closes now, on a manager's approval."""
    from django.utils import timezone

    episode = registration.episode
    ClosureFactory(episode=episode, status="approved", decided_at=timezone.now())
    episode.status, episode.closed_at = "closed", timezone.now()
    episode.save()


def register(
    family, user, *, lead=None, headlines=THREE, complete=True, consent=True
) -> SupportingFamiliesRegistration:
    """A registration of `family` by `user`, with its needs; complete: with the assessment, plan and lead; consent:
    the family's consent to data matching."""
    if consent:
        data_matching_consent(family)
    lead = lead or user
    assessment, plan = family_records(family, lead)
    details = {"lead_practitioner": lead, "assessment": assessment, "plan": plan} if complete else {}
    registration = services.registration_create(user=user, family=family, **details)
    for headline in headlines:
        services.need_add(user=user, registration=registration, headline=headline, evidence=f"Evidence: {headline}")
    return registration


def move(registration, status, user, **extra) -> SupportingFamiliesRegistration:
    return services.registration_move(user=user, registration=registration, status=status, **extra)


def moved_to(registration, status: str, officer) -> SupportingFamiliesRegistration:
    """Walk the registration along the happy path up to `status` (working, then closed, then sustaining)."""
    path = [Status.ELIGIBLE, Status.WORKING, Status.CLOSED, Status.SUSTAINING]
    for step in path[: path.index(status) + 1]:
        if step == Status.CLOSED:
            episode_end(registration)
        registration = move(registration, step, officer)
    return registration


def resolve_all(registration, officer, *, achieved_on: date, checked_on: date | None = None, lasted: bool = True):
    for need in registration.needs.all():
        services.need_outcome_record(
            user=officer,
            need=need,
            achieved_on=achieved_on,
            outcome_evidence="Resolved",
            sustained=lasted if checked_on else None,
            sustained_checked_on=checked_on,
        )


def refusal(registration, status, user, **extra) -> str:
    with pytest.raises(services.SupportingFamiliesError) as error:
        move(registration, status, user, **extra)
    registration.refresh_from_db()
    return str(error.value)


# --- Eligibility -------------------------------------------------------------------------------------------------


def test_eligibility_with_two_headlines_says_three_are_needed(own_family, cfs_worker_user):
    registration = register(own_family, cfs_worker_user, headlines=THREE[:2])
    problems = selectors.eligibility_problems(registration, registration.needs.all())
    assert problems == ["Record needs under at least 3 headlines (there are 2)"]


def test_eligibility_with_three_headlines_and_everything_chosen_has_no_problems(own_family, cfs_worker_user):
    registration = register(own_family, cfs_worker_user)
    assert selectors.eligibility_problems(registration, registration.needs.all()) == []


def test_eligibility_without_assessment_plan_or_lead_names_each(own_family, cfs_worker_user):
    registration = register(own_family, cfs_worker_user, complete=False)
    assert selectors.eligibility_problems(registration, registration.needs.all()) == [
        "Choose the family's whole-family assessment",
        "Choose the family's plan",
        "Choose the family's lead practitioner",
    ]


@pytest.mark.parametrize("missing", ["assessment", "plan", "lead_practitioner"])
def test_registration_move_to_eligible_refused_without_one_of_them(
    missing, own_family, cfs_worker_user, sf_officer_user
):
    registration = register(own_family, cfs_worker_user)
    SupportingFamiliesRegistration.objects.filter(pk=registration.pk).update(**{missing: None})
    registration.refresh_from_db()
    message = refusal(registration, Status.ELIGIBLE, sf_officer_user)
    assert message.startswith("The family is not eligible yet.")
    assert registration.status == Status.IDENTIFIED


def test_registration_move_to_eligible_refused_with_two_headlines(own_family, cfs_worker_user, sf_officer_user):
    registration = register(own_family, cfs_worker_user, headlines=THREE[:2])
    assert refusal(registration, Status.ELIGIBLE, sf_officer_user) == (
        "The family is not eligible yet. Record needs under at least 3 headlines (there are 2)"
    )


def test_registration_create_refuses_a_second_open_registration(own_family, cfs_worker_user):
    register(own_family, cfs_worker_user)
    with pytest.raises(services.SupportingFamiliesError, match="already has an open"):
        services.registration_create(user=cfs_worker_user, family=own_family)


def test_registration_create_refuses_another_familys_plan(own_family, other_family, cfs_worker_user):
    _, plan = family_records(other_family, cfs_worker_user)
    with pytest.raises(ValidationError) as error:
        services.registration_create(user=cfs_worker_user, family=own_family, plan=plan)
    assert error.value.message_dict == {"plan": ["Choose an agreed plan of this family"]}


def test_need_add_refuses_the_same_headline_twice(own_family, cfs_worker_user):
    registration = register(own_family, cfs_worker_user)
    with pytest.raises(ValidationError):
        services.need_add(user=cfs_worker_user, registration=registration, headline=THREE[0], evidence="Again")
    assert registration.needs.count() == 3


# --- Moves -------------------------------------------------------------------------------------------------------


def test_registration_moves_along_the_whole_claim_path_leaving_history(
    own_family, cfs_worker_user, sf_officer_user, validator
):
    with at(date(2026, 1, 15)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.CLOSED, sf_officer_user)
    assert (registration.closed_on, registration.sustain_until) == (date(2026, 1, 15), date(2026, 7, 15))
    with at(date(2026, 7, 16)):
        registration = move(registration, Status.SUSTAINING, sf_officer_user)
        resolve_all(registration, sf_officer_user, achieved_on=date(2026, 1, 10), checked_on=date(2026, 7, 16))
        registration = move(registration, Status.CLAIM_READY, sf_officer_user)
        registration = move(registration, Status.VALIDATED, validator)
        registration = move(registration, Status.CLAIMED, sf_officer_user, claim_reference="SF-2026-0042")
    registration.refresh_from_db()
    assert registration.status == Status.CLAIMED
    assert (registration.validated_by, registration.validated_on) == (validator, date(2026, 7, 16))
    assert (registration.claim_reference, registration.claimed_on) == ("SF-2026-0042", date(2026, 7, 16))
    statuses = list(registration.history.order_by("history_date").values_list("status", flat=True))
    assert statuses == [
        "identified",
        "eligible",
        "working",
        "closed",
        "sustaining",
        "claim_ready",
        "validated",
        "claimed",
    ]


@pytest.mark.parametrize(
    ("start", "status"),
    [
        (Status.IDENTIFIED, Status.WITHDRAWN),
        (Status.ELIGIBLE, Status.IDENTIFIED),
        (Status.ELIGIBLE, Status.WITHDRAWN),
        (Status.WORKING, Status.WITHDRAWN),
    ],
)
def test_registration_move_allowed_without_further_rules(start, status, own_family, cfs_worker_user, sf_officer_user):
    registration = register(own_family, cfs_worker_user)
    if start != Status.IDENTIFIED:
        registration = moved_to(registration, start, sf_officer_user)
    assert move(registration, status, sf_officer_user).status == status


@pytest.mark.parametrize(
    ("start", "status"),
    [
        (Status.IDENTIFIED, Status.WORKING),
        (Status.IDENTIFIED, Status.CLAIMED),
        (Status.ELIGIBLE, Status.CLOSED),
        (Status.WORKING, Status.SUSTAINING),
        (Status.WORKING, Status.ELIGIBLE),
        (Status.CLOSED, Status.CLAIM_READY),
        (Status.CLOSED, Status.WITHDRAWN),
        (Status.SUSTAINING, Status.VALIDATED),
        (Status.SUSTAINING, Status.CLOSED),
    ],
)
def test_registration_move_outside_the_state_machine_is_refused(
    start, status, own_family, cfs_worker_user, sf_officer_user
):
    registration = register(own_family, cfs_worker_user)
    if start != Status.IDENTIFIED:
        registration = moved_to(registration, start, sf_officer_user)
    message = refusal(registration, status, sf_officer_user)
    assert message.startswith("A registration that is ")
    assert "cannot become" in message
    assert registration.status == start


@pytest.mark.parametrize("status", [Status.CLAIMED, Status.NOT_ACHIEVED, Status.WITHDRAWN])
def test_registration_finished_moves_nowhere(status, own_family, cfs_worker_user, sf_officer_user):
    registration = register(own_family, cfs_worker_user)
    SupportingFamiliesRegistration.objects.filter(pk=registration.pk).update(status=status)
    registration.refresh_from_db()
    for target in Status.values:
        with pytest.raises(services.SupportingFamiliesError):
            move(registration, target, sf_officer_user)


@pytest.mark.parametrize("episode_status", ["closing", "closed", "requested"])
def test_registration_working_refused_when_early_help_is_not_under_way(
    episode_status, own_family, cfs_worker_user, sf_officer_user
):
    registration = move(register(own_family, cfs_worker_user), Status.ELIGIBLE, sf_officer_user)
    registration.episode.status = episode_status
    registration.episode.save()
    assert refusal(registration, Status.WORKING, sf_officer_user).endswith("not under way")
    assert registration.status == Status.ELIGIBLE


def test_registration_validated_refused_for_the_person_who_registered(sf_officer_user, own_family, cfs_worker_user):
    with at(date(2026, 1, 15)):
        registration = moved_to(
            register(own_family, sf_officer_user, lead=cfs_worker_user), Status.SUSTAINING, sf_officer_user
        )
    with at(date(2026, 7, 20)):
        resolve_all(registration, sf_officer_user, achieved_on=date(2026, 1, 10), checked_on=date(2026, 7, 20))
        registration = move(registration, Status.CLAIM_READY, sf_officer_user)
        assert refusal(registration, Status.VALIDATED, sf_officer_user) == (
            "Someone other than the person who registered the family must validate the claim"
        )
        assert registration.status == Status.CLAIM_READY
        assert move(registration, Status.SUSTAINING, sf_officer_user).status == Status.SUSTAINING


def claim_ready_by(registration, officer, recorder, *, day=date(2026, 7, 20)):
    """Sustaining since 15 January; on `day`, `recorder` records that every outcome lasted and `officer` marks the
    claim ready."""
    with at(day):
        resolve_all(registration, recorder, achieved_on=date(2026, 1, 10), checked_on=day)
        return move(registration, Status.CLAIM_READY, officer)


def test_registration_validated_refused_for_whoever_marked_the_claim_ready(
    own_family, cfs_worker_user, sf_officer_user, validator
):
    with at(date(2026, 1, 15)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.SUSTAINING, validator)
    registration = claim_ready_by(registration, sf_officer_user, validator)
    assert registration.history.latest().history_user == sf_officer_user
    with at(date(2026, 7, 21)):
        assert refusal(registration, Status.VALIDATED, sf_officer_user) == (
            "Someone other than the person who marked the claim ready must validate it"
        )
    assert registration.status == Status.CLAIM_READY


def test_registration_validated_refused_for_whoever_recorded_that_an_outcome_lasted(
    own_family, cfs_worker_user, sf_officer_user, validator
):
    with at(date(2026, 1, 15)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.SUSTAINING, sf_officer_user)
    registration = claim_ready_by(registration, sf_officer_user, sf_officer_user)
    with at(date(2026, 7, 21)):
        housing = registration.needs.get(headline=Headline.HOUSING)
        services.need_outcome_record(  # the validator re-checks one need: they took part in the claim
            user=validator,
            need=housing,
            achieved_on=date(2026, 1, 10),
            outcome_evidence="Rent paid",
            sustained=True,
            sustained_checked_on=date(2026, 7, 21),
        )
        assert refusal(registration, Status.VALIDATED, validator) == (
            "Someone other than the person who recorded that the outcomes lasted must validate the claim"
        )
    assert registration.status == Status.CLAIM_READY


def test_registration_validated_by_a_third_person_who_took_no_part(
    own_family, cfs_worker_user, sf_officer_user, validator, council
):
    with at(date(2026, 1, 15)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.SUSTAINING, sf_officer_user)
    registration = claim_ready_by(registration, sf_officer_user, sf_officer_user)
    with at(date(2026, 7, 21)):
        assert move(registration, Status.VALIDATED, validator).validated_by == validator


# --- Consent to data matching --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "consent",
    ["none", "given without data matching", "withdrawn", "refused", "safeguarding override"],
)
def test_claim_ready_refused_without_current_consent_to_data_matching(
    consent, own_family, cfs_worker_user, sf_officer_user
):
    given = ConsentRecord.Status.GIVEN
    records = {
        "none": [],
        "given without data matching": [(given, False)],
        "withdrawn": [(ConsentRecord.Status.WITHDRAWN, True)],
        "refused": [(ConsentRecord.Status.REFUSED, True)],
        "safeguarding override": [(ConsentRecord.Status.DISPENSED, True)],
    }[consent]
    for status, data_matching in records:
        data_matching_consent(own_family, status=status, data_matching=data_matching)
    with at(date(2026, 1, 15)):
        registration = register(own_family, cfs_worker_user, consent=False)
        registration = moved_to(registration, Status.SUSTAINING, sf_officer_user)
    with at(date(2026, 7, 20)):
        resolve_all(registration, sf_officer_user, achieved_on=date(2026, 1, 10), checked_on=date(2026, 7, 20))
        assert refusal(registration, Status.CLAIM_READY, sf_officer_user) == selectors.DATA_MATCHING_MISSING
    assert registration.status == Status.SUSTAINING
    assert "record their consent with Supporting Families data matching ticked" in selectors.DATA_MATCHING_MISSING


def test_validated_and_claimed_refused_once_consent_to_data_matching_is_withdrawn(
    own_family, cfs_worker_user, sf_officer_user, validator
):
    with at(date(2026, 1, 15)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.SUSTAINING, sf_officer_user)
    registration = claim_ready_by(registration, sf_officer_user, sf_officer_user)
    ConsentRecord.objects.filter(family=own_family).update(status=ConsentRecord.Status.WITHDRAWN)
    assert refusal(registration, Status.VALIDATED, validator) == selectors.DATA_MATCHING_MISSING
    SupportingFamiliesRegistration.objects.filter(pk=registration.pk).update(status=Status.VALIDATED)
    registration.refresh_from_db()
    assert refusal(registration, Status.CLAIMED, validator, claim_reference="SF-1") == selectors.DATA_MATCHING_MISSING
    assert registration.status == Status.VALIDATED


# --- Closing: only once early help has ended -----------------------------------------------------------------------


@pytest.mark.parametrize("episode_status", ["plan_active", "reviewing", "closing"])
def test_registration_closed_refused_while_early_help_is_open(
    episode_status, own_family, cfs_worker_user, sf_officer_user
):
    registration = moved_to(register(own_family, cfs_worker_user), Status.WORKING, sf_officer_user)
    registration.episode.status = episode_status
    registration.episode.save()
    message = refusal(registration, Status.CLOSED, sf_officer_user)
    assert message.startswith("The family's early help is ")
    assert "once the episode has been closed, stepped up or transferred out" in message
    assert (registration.status, registration.closed_on) == (Status.WORKING, None)


def test_registration_closed_on_is_the_date_the_closure_was_approved(own_family, cfs_worker_user, sf_officer_user):
    with at(date(2026, 1, 12)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.WORKING, sf_officer_user)
        episode_end(registration)
    with at(date(2026, 2, 3)):
        registration = move(registration, Status.CLOSED, sf_officer_user)
    assert (registration.closed_on, registration.sustain_until) == (date(2026, 1, 12), date(2026, 7, 12))


def test_registration_closed_on_is_the_date_of_the_step_up(own_family, cfs_worker_user, sf_officer_user):
    from cases.models import Transfer

    with at(date(2026, 3, 4)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.WORKING, sf_officer_user)
        Transfer.objects.create(
            family=own_family,
            episode=registration.episode,
            direction=Transfer.Direction.STEP_UP,
            kind=Transfer.Kind.SOCIAL_CARE,
            created_by=cfs_worker_user,
        )
        registration.episode.status = "stepped_up"
        registration.episode.save()
    with at(date(2026, 4, 1)):
        registration = move(registration, Status.CLOSED, sf_officer_user)
    assert (registration.closed_on, registration.sustain_until) == (date(2026, 3, 4), date(2026, 9, 4))


def test_registration_claimed_refused_without_a_reference(own_family, cfs_worker_user, sf_officer_user):
    registration = register(own_family, cfs_worker_user)
    SupportingFamiliesRegistration.objects.filter(pk=registration.pk).update(status=Status.VALIDATED)
    registration.refresh_from_db()
    assert refusal(registration, Status.CLAIMED, sf_officer_user, claim_reference="  ") == "Enter the claim reference"


# --- Sustainment, with time moved ----------------------------------------------------------------------------------


@pytest.fixture
def sustaining(own_family, cfs_worker_user, sf_officer_user):
    """Closed on 31 January 2026 (so six months run to 31 July), every need resolved before closure."""
    with at(date(2026, 1, 31)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.SUSTAINING, sf_officer_user)
        resolve_all(registration, sf_officer_user, achieved_on=date(2026, 1, 20))
    return registration


def test_sustain_until_is_six_months_after_closure(sustaining):
    assert (sustaining.closed_on, sustaining.sustain_until) == (date(2026, 1, 31), date(2026, 7, 31))


def test_claim_ready_refused_before_six_months_even_with_every_need_lasting(sustaining, sf_officer_user):
    with at(date(2026, 7, 30)):
        resolve_all(sustaining, sf_officer_user, achieved_on=date(2026, 1, 20), checked_on=date(2026, 7, 30))
        message = refusal(sustaining, Status.CLAIM_READY, sf_officer_user)
    assert message.startswith("The claim is not ready.")
    assert "check again on or after 31 July 2026" in message
    assert sustaining.status == Status.SUSTAINING


def test_claim_ready_after_six_months_with_every_need_lasting(sustaining, sf_officer_user):
    with at(date(2026, 8, 3)):
        resolve_all(sustaining, sf_officer_user, achieved_on=date(2026, 1, 20), checked_on=date(2026, 8, 3))
        assert move(sustaining, Status.CLAIM_READY, sf_officer_user).status == Status.CLAIM_READY


def test_claim_ready_refused_and_not_achieved_allowed_when_one_need_did_not_last(sustaining, sf_officer_user):
    with at(date(2026, 8, 3)):
        resolve_all(sustaining, sf_officer_user, achieved_on=date(2026, 1, 20), checked_on=date(2026, 8, 3))
        housing = sustaining.needs.get(headline=Headline.HOUSING)
        services.need_outcome_record(
            user=sf_officer_user,
            need=housing,
            achieved_on=date(2026, 1, 20),
            outcome_evidence="Arrears again",
            sustained=False,
            sustained_checked_on=date(2026, 8, 3),
        )
        assert "Secure housing: record that the outcome lasted" in refusal(
            sustaining, Status.CLAIM_READY, sf_officer_user
        )
        assert move(sustaining, Status.NOT_ACHIEVED, sf_officer_user).status == Status.NOT_ACHIEVED


def test_not_achieved_refused_while_every_need_is_resolved(sustaining, sf_officer_user):
    assert refusal(sustaining, Status.NOT_ACHIEVED, sf_officer_user).startswith("Every need recorded was resolved")


def test_need_outcome_sustainment_only_by_the_officer_and_after_closure(own_family, cfs_worker_user, sf_officer_user):
    registration = register(own_family, cfs_worker_user)
    need = registration.needs.first()
    with pytest.raises(services.SupportingFamiliesError, match="Only the Supporting Families officer"):
        services.need_outcome_record(
            user=cfs_worker_user,
            need=need,
            achieved_on=date(2026, 1, 2),
            outcome_evidence="",
            sustained=True,
            sustained_checked_on=date(2026, 1, 3),
        )
    with pytest.raises(ValidationError) as error:
        services.need_outcome_record(
            user=sf_officer_user,
            need=need,
            achieved_on=date(2026, 1, 2),
            outcome_evidence="",
            sustained=True,
            sustained_checked_on=date(2026, 1, 3),
        )
    assert "sustained" in error.value.message_dict


def test_need_outcome_by_a_caseworker_records_the_date_resolved(own_family, cfs_worker_user):
    need = register(own_family, cfs_worker_user).needs.first()
    services.need_outcome_record(user=cfs_worker_user, need=need, achieved_on=date(2026, 1, 2), outcome_evidence="Done")
    need.refresh_from_db()
    assert (need.achieved_on, need.outcome_evidence, need.sustained) == (date(2026, 1, 2), "Done", None)
    assert need.history.count() == 2


# --- The daily sweep -----------------------------------------------------------------------------------------------


def test_sweep_starts_sustaining_and_tells_the_officers_once_when_six_months_pass(
    own_family, cfs_worker_user, sf_officer_user
):
    with at(date(2026, 1, 31)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.CLOSED, sf_officer_user)
        assert supporting_families_sustain_task.delay().get() == {"started": 1, "due": 0}
    registration.refresh_from_db()
    assert registration.status == Status.SUSTAINING
    assert registration.history.latest().history_user.email.startswith("supporting-families@")
    with at(date(2026, 7, 30)):
        assert supporting_families_sustain_task.delay().get() == {"started": 0, "due": 0}
    assert not Notification.objects.exists()
    with at(date(2026, 7, 31)):
        assert supporting_families_sustain_task.delay().get() == {"started": 0, "due": 1}
    with at(date(2026, 8, 1)):
        assert supporting_families_sustain_task.delay().get() == {"started": 0, "due": 0}
    [notification] = Notification.objects.all()
    assert notification.user == sf_officer_user
    assert notification.url == reverse("cases:sf_detail", kwargs={"uuid": registration.uuid})
    assert own_family.reference in notification.message
    assert own_family.name not in notification.message


# --- The quarterly return ------------------------------------------------------------------------------------------


def test_quarter_parse_and_bounds():
    quarter = selectors.Quarter.parse("2026-Q3")
    assert (quarter.start, quarter.end, str(quarter)) == (date(2026, 7, 1), date(2026, 9, 30), "2026-Q3")
    assert selectors.Quarter.parse("2026-Q5") is None
    assert selectors.Quarter.containing(date(2026, 11, 2)) == selectors.Quarter(2026, 4)


def test_quarterly_return_rows_by_reference_naming_no_one(lats, own_family, cfs_worker_user, sf_officer_user):
    with at(date(2026, 8, 10)):
        eligible = move(register(own_family, cfs_worker_user), Status.ELIGIBLE, sf_officer_user)
        other = FamilyFactory(name="Latersome", local_area_team=lats["clifton"])
        register(other, cfs_worker_user, headlines=THREE[:1], complete=False)
    with at(date(2026, 10, 5)):
        register(FamilyFactory.create(local_area_team=lats["clifton"]), cfs_worker_user, complete=False)
    rows = selectors.quarterly_return_rows(quarter=selectors.Quarter(2026, 3))
    by_reference = {row[0]: row for row in rows}
    assert set(by_reference) == {own_family.reference, other.reference}
    assert by_reference[own_family.reference] == (
        own_family.reference,
        own_family.local_area_team.name,
        "2026-08-10",
        "Eligible",
        "Getting a good education; Financial stability; Secure housing",
        3,
        "Yes",
        "",
        "",
        0,
        0,
        "",
        "",
        "",
        "Yes",
    )
    assert by_reference[other.reference][5:7] == (1, "No")
    text = repr(rows)
    for name in (own_family.name, other.name, cfs_worker_user.full_name, sf_officer_user.full_name):
        assert name not in text
    assert eligible.status == Status.ELIGIBLE


def test_quarterly_return_includes_restricted_families_and_is_the_same_for_every_officer(
    own_family, restricted_family, cfs_worker_user, sf_officer_user, validator
):
    with at(date(2026, 8, 10)):
        register(own_family, cfs_worker_user)
        register(restricted_family, cfs_worker_user, consent=False)
    assert not selectors.registrations_visible_to(sf_officer_user).filter(family=restricted_family).exists()
    quarter = selectors.Quarter(2026, 3)
    rows = selectors.quarterly_return_rows(quarter=quarter)
    by_reference = {row[0]: row for row in rows}
    assert set(by_reference) == {own_family.reference, restricted_family.reference}
    assert by_reference[own_family.reference][-1] == "Yes"
    assert by_reference[restricted_family.reference][-1] == "No"
    assert selectors.RETURN_HEADER[-1] == "Consent to data matching"
    assert restricted_family.name not in repr(rows)


def test_sweep_is_scheduled_daily_before_the_working_day():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["supporting-families-sustainment"]
    assert entry["task"] == "cases.tasks.supporting_families_sustain_task"
    assert entry["schedule"].hour == {5} and entry["schedule"].minute == {45}


def _seed_demo(families: int) -> str:
    import io

    from django.core.management import call_command

    output = io.StringIO()
    call_command("seed_demo", families=families, seed=5, stdout=output)
    return output.getvalue()


def _demo_dates_follow_the_casework(today: date) -> None:
    """Registered as the episode began (before its plan was agreed), closed when it ended, six months of sustainment,
    outcomes checked, validated and claimed after them, by an officer who took no part."""
    registrations = SupportingFamiliesRegistration.objects.select_related("episode", "plan", "validated_by")
    for registration in registrations:
        episode = registration.episode
        assert episode.requested_at.date() <= registration.registered_on <= today
        assert registration.plan.agreed_on is None or registration.registered_on <= registration.plan.agreed_on
        assert set(registration.needs.values_list("identified_on", flat=True)) == {registration.registered_on}
        if registration.status in (Status.IDENTIFIED, Status.ELIGIBLE, Status.WORKING):
            assert registration.closed_on is None
            continue
        assert registration.closed_on == selectors.episode_ended_on(episode)
        assert registration.registered_on < registration.closed_on
        assert registration.sustain_until == add_months(registration.closed_on, 6)
        if registration.status == Status.SUSTAINING:
            assert registration.sustain_until > today
            continue
        assert registration.sustain_until <= min(registration.needs.values_list("sustained_checked_on", flat=True))
        if registration.status in (Status.VALIDATED, Status.CLAIMED):
            assert registration.sustain_until < registration.validated_on <= today
            assert registration.validated_by.email == "sf.validator@example.org"
        if registration.status == Status.CLAIMED:
            assert registration.validated_on < registration.claimed_on <= today
            assert registration.claim_reference


def test_seed_supporting_families_registers_demo_families_at_each_stage_once(york_reference_data):
    from django.utils import timezone

    from cases.supporting_families_demo import seed_supporting_families

    output = _seed_demo(60)  # the demo's default size
    made = SupportingFamiliesRegistration.objects.count()
    assert made > 0
    assert f"Supporting Families: {made} demo families registered (" in output
    statuses = set(SupportingFamiliesRegistration.objects.values_list("status", flat=True))
    assert statuses == {"identified", "eligible", "working", "sustaining", "claim_ready", "validated", "claimed"}
    _demo_dates_follow_the_casework(timezone.localdate())
    assert seed_supporting_families(today=timezone.localdate()).startswith("Supporting Families: 0 demo families")
    assert SupportingFamiliesRegistration.objects.count() == made


def test_seed_supporting_families_small_demo_has_every_stage_its_dates_allow(york_reference_data):
    """With 30 families no episode closed six months ago, so no claim is under way; every other stage is there."""
    from django.utils import timezone

    _seed_demo(30)
    statuses = set(SupportingFamiliesRegistration.objects.values_list("status", flat=True))
    assert {"identified", "eligible", "working", "sustaining"} <= statuses
    _demo_dates_follow_the_casework(timezone.localdate())


# --- The next step -----------------------------------------------------------------------------------------------


def next_step(registration) -> str:
    registration = SupportingFamiliesRegistration.objects.select_related("episode").get(pk=registration.pk)
    return selectors.next_step(registration, list(registration.needs.all()))


def test_next_step_identified_says_what_is_missing_then_mark_eligible(own_family, cfs_worker_user):
    registration = register(own_family, cfs_worker_user, headlines=THREE[:2], complete=False)
    step = next_step(registration)
    assert step.startswith("Record needs under at least 3 headlines (there are 2). Choose the family's whole-family")
    assert step.endswith("; then mark as eligible")
    complete = register(FamilyFactory(local_area_team=own_family.local_area_team), cfs_worker_user)
    assert next_step(complete) == "Mark as eligible"


def test_next_step_list_uses_the_headline_count(own_family, cfs_worker_user, sf_officer_user):
    register(own_family, cfs_worker_user)
    row = selectors.registration_list(user=sf_officer_user).get()
    assert selectors.next_step(row) == "Mark as eligible"


def test_next_step_eligible_working_closed_follow_the_episode(own_family, cfs_worker_user, sf_officer_user):
    registration = move(register(own_family, cfs_worker_user), Status.ELIGIBLE, sf_officer_user)
    assert next_step(registration) == "Mark as working with the family"
    registration = move(registration, Status.WORKING, sf_officer_user)
    assert next_step(registration) == "Wait for the early help to end; then record that it closed"
    episode_end(registration)
    assert next_step(registration) == "Record that early help closed"
    registration = move(registration, Status.CLOSED, sf_officer_user)
    assert next_step(registration) == "Nothing: the six months of sustainment start overnight"


def test_next_step_sustaining_claim_ready_validated_claimed(own_family, cfs_worker_user, sf_officer_user, validator):
    with at(date(2026, 2, 2)):
        registration = moved_to(register(own_family, cfs_worker_user), Status.SUSTAINING, sf_officer_user)
        assert next_step(registration) == "Check the outcomes lasted on or after 2 August 2026"
    with at(date(2026, 8, 3)):
        assert next_step(registration) == "Check the outcomes lasted; then mark as claim ready"
        resolve_all(registration, sf_officer_user, achieved_on=date(2026, 1, 20), checked_on=date(2026, 8, 3))
        assert next_step(registration) == "Mark as claim ready"
        registration = move(registration, Status.CLAIM_READY, sf_officer_user)
        assert next_step(registration) == "Validate the claim (someone who took no part)"
        registration = move(registration, Status.VALIDATED, validator)
        assert next_step(registration) == "Record the claim reference"
        registration = move(registration, Status.CLAIMED, sf_officer_user, claim_reference="SF-1")
        assert next_step(registration) == "None: the registration has ended"
