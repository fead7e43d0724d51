"""Recording what children's social care did with a step-up (indicators d and f): the service's rules, the page for
a Local Area Team manager (from the episode) and for the MASH manager (from the contact), and who may not."""

import io
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cases.models import Episode, SocialCareOutcome, Transfer
from cases.services import family_restricted_allow
from cases.services.episodes import EpisodeError, transfer_outcome_record
from cases.transfer_outcome_demo import seed_social_care_outcomes
from earlyhelp.audit.context import acting_as
from referrals.models import Contact, MashDecision
from tests.factories import AllocatedEpisodeFactory, ContactFactory

pytestmark = pytest.mark.django_db

ERROR_SUMMARY = 'class="govuk-error-summary"'


def _step_up(family, *, by, episode=None, contact=None, days_ago: int = 10, direction="step_up") -> Transfer:
    transfer = Transfer.objects.create(
        family=family,
        episode=episode,
        contact=contact,
        direction=direction,
        kind="social_care" if direction == "step_up" else "step_down",
        reason="Bruising seen at school",
        created_by=by,
    )
    Transfer.objects.filter(pk=transfer.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    transfer.refresh_from_db()
    return transfer


@pytest.fixture
def stepped_up_episode(own_family, cfs_worker_user):
    return AllocatedEpisodeFactory(
        family=own_family, lead_practitioner=cfs_worker_user, status=Episode.Status.STEPPED_UP
    )


@pytest.fixture
def episode_step_up(stepped_up_episode, cfs_worker_user):
    return _step_up(stepped_up_episode.family, by=cfs_worker_user, episode=stepped_up_episode)


@pytest.fixture
def contact_step_up(own_family, mash_manager_user):
    """A step-up the MASH decided; the reference is recorded, so the contact is closed."""
    contact = ContactFactory(family=own_family, status=Contact.Status.CLOSED)
    MashDecision.objects.create(
        contact=contact,
        level=4,
        outcome=MashDecision.Outcome.SOCIAL_CARE,
        rationale="Bruising seen at school",
        next_steps="Children's social care will assess",
        consent_basis=MashDecision.ConsentBasis.DISPENSED,
        decided_by=mash_manager_user,
    )
    return _step_up(own_family, by=mash_manager_user, contact=contact)


def _url(transfer) -> str:
    return reverse("cases:transfer_outcome", kwargs={"uuid": transfer.uuid})


def _post(outcome: str, on: date) -> dict:
    return {
        "outcome": outcome,
        "outcome_on_0": str(on.day),
        "outcome_on_1": str(on.month),
        "outcome_on_2": str(on.year),
    }


def _days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


# The service -------------------------------------------------------------------------------------------------


def test_transfer_outcome_record_saves_the_outcome_its_date_and_who(episode_step_up, lat_manager_user):
    transfer_outcome_record(
        user=lat_manager_user,
        transfer=episode_step_up,
        outcome=SocialCareOutcome.CHILD_IN_NEED,
        outcome_on=_days_ago(2),
    )
    episode_step_up.refresh_from_db()
    assert (episode_step_up.social_care_outcome, episode_step_up.outcome_on, episode_step_up.outcome_recorded_by) == (
        "cin",
        _days_ago(2),
        lat_manager_user,
    )
    with acting_as(lat_manager_user):  # as a request (or a task) names who acts
        transfer_outcome_record(user=lat_manager_user, transfer=episode_step_up, outcome="cin", outcome_on=_days_ago(1))
    latest = episode_step_up.history.latest()
    assert (latest.social_care_outcome, latest.outcome_on, latest.history_user) == (
        "cin",
        _days_ago(1),
        lat_manager_user,
    )


def test_transfer_outcome_record_again_corrects_it_and_history_keeps_both(episode_step_up, lat_manager_user):
    transfer_outcome_record(user=lat_manager_user, transfer=episode_step_up, outcome="nfa", outcome_on=_days_ago(5))
    transfer_outcome_record(user=lat_manager_user, transfer=episode_step_up, outcome="cp", outcome_on=_days_ago(1))
    episode_step_up.refresh_from_db()
    assert (episode_step_up.social_care_outcome, episode_step_up.outcome_on) == ("cp", _days_ago(1))
    assert list(episode_step_up.history.order_by("history_id").values_list("social_care_outcome", flat=True)) == [
        "",
        "nfa",
        "cp",
    ]


def test_transfer_outcome_record_on_the_day_of_the_step_up_and_today_are_allowed(episode_step_up, lat_manager_user):
    transfer_outcome_record(user=lat_manager_user, transfer=episode_step_up, outcome="nfa", outcome_on=_days_ago(10))
    transfer_outcome_record(
        user=lat_manager_user, transfer=episode_step_up, outcome="nfa", outcome_on=timezone.localdate()
    )
    episode_step_up.refresh_from_db()
    assert episode_step_up.outcome_on == timezone.localdate()


@pytest.mark.parametrize(
    ("outcome", "days_ago", "field", "message"),
    [
        ("cin", -1, "outcome_on", "The date of the outcome must be today or in the past"),
        ("cin", 11, "outcome_on", "The date of the outcome must be on or after the step-up"),
        ("adopted", 1, "outcome", "Choose what children's social care decided"),
    ],
)
def test_transfer_outcome_record_refuses_wrong_answers(
    episode_step_up, lat_manager_user, outcome, days_ago, field, message
):
    with pytest.raises(ValidationError) as refusal:
        transfer_outcome_record(
            user=lat_manager_user, transfer=episode_step_up, outcome=outcome, outcome_on=_days_ago(days_ago)
        )
    assert list(refusal.value.error_dict) == [field]
    assert refusal.value.error_dict[field][0].message.startswith(message)
    episode_step_up.refresh_from_db()
    assert episode_step_up.social_care_outcome == "" and episode_step_up.outcome_on is None


def test_transfer_outcome_record_refuses_a_step_down(own_family, lat_manager_user):
    step_down = _step_up(own_family, by=lat_manager_user, direction="step_down")
    with pytest.raises(EpisodeError, match="Only a step-up"):
        transfer_outcome_record(user=lat_manager_user, transfer=step_down, outcome="nfa", outcome_on=_days_ago(1))


# The page, for a Local Area Team manager ----------------------------------------------------------------------


def test_transfer_outcome_view_from_the_episode_page(lat_manager_client, lat_manager_user, episode_step_up):
    episode_url = reverse("cases:episode_detail", kwargs={"uuid": episode_step_up.episode.uuid})
    page = lat_manager_client.get(episode_url).content.decode()
    assert "Record the outcome" in page and _url(episode_step_up) in page

    assert lat_manager_client.get(_url(episode_step_up)).status_code == 200
    response = lat_manager_client.post(_url(episode_step_up), _post("cp", _days_ago(3)))
    assert response.status_code == 302 and response["Location"] == episode_url
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The outcome in children's social care is recorded."
    ]
    episode_step_up.refresh_from_db()
    assert (episode_step_up.social_care_outcome, episode_step_up.outcome_recorded_by) == ("cp", lat_manager_user)
    assert episode_step_up.history.latest().history_user == lat_manager_user

    page = lat_manager_client.get(episode_url).content.decode()
    assert "child protection plan" in page and "Change the outcome" in page


def test_transfer_outcome_view_shows_errors_and_keeps_nothing(lat_manager_client, episode_step_up):
    response = lat_manager_client.post(_url(episode_step_up), _post("cin", _days_ago(-3)))
    assert response.status_code == 200
    page = response.content.decode()
    assert ERROR_SUMMARY in page and "The date of the outcome must be today or in the past" in page
    response = lat_manager_client.post(_url(episode_step_up), {"outcome": ""})
    page = response.content.decode()
    assert "Choose what children&#x27;s social care decided" in page and "Enter the date of the outcome" in page
    episode_step_up.refresh_from_db()
    assert episode_step_up.social_care_outcome == ""


def test_transfer_outcome_view_of_a_step_down_says_there_is_nothing_to_record(
    lat_manager_client, lat_manager_user, own_family
):
    step_down = _step_up(own_family, by=lat_manager_user, direction="step_down")
    response = lat_manager_client.get(_url(step_down))
    assert response.status_code == 200
    assert "This is a step-down, so there is no outcome from children&#x27;s social care to record" in (
        response.content.decode()
    )
    response = lat_manager_client.post(_url(step_down), _post("nfa", _days_ago(1)))
    assert ERROR_SUMMARY in response.content.decode()
    step_down.refresh_from_db()
    assert step_down.social_care_outcome == ""


def test_transfer_outcome_view_outside_the_managers_families_is_404(
    lat_manager_client, lat_manager_user, other_family, restricted_family, cfs_worker_user
):
    other_team = _step_up(other_family, by=cfs_worker_user)
    restricted = _step_up(restricted_family, by=cfs_worker_user)
    assert lat_manager_client.get(_url(other_team)).status_code == 404
    assert lat_manager_client.post(_url(other_team), _post("nfa", _days_ago(1))).status_code == 404
    assert lat_manager_client.get(_url(restricted)).status_code == 404
    family_restricted_allow(family=restricted_family, user=lat_manager_user)
    assert lat_manager_client.get(_url(restricted)).status_code == 200


def test_transfer_outcome_view_unknown_uuid_is_404(lat_manager_client):
    url = reverse("cases:transfer_outcome", kwargs={"uuid": "00000000-0000-0000-0000-000000000000"})
    assert lat_manager_client.get(url).status_code == 404


@pytest.mark.parametrize(
    "persona", ["cfs_worker_client", "mash_screener_client", "analyst_client", "partner_client", "sf_officer_client"]
)
def test_transfer_outcome_view_refused_without_the_permission(request, persona, episode_step_up):
    client = request.getfixturevalue(persona)
    assert client.get(_url(episode_step_up)).status_code == 403
    assert client.post(_url(episode_step_up), _post("nfa", _days_ago(1))).status_code == 403


def test_transfer_outcome_view_anonymous_is_sent_to_sign_in(anonymous_client, episode_step_up):
    response = anonymous_client.get(_url(episode_step_up))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/sign-in/")


# The page, for the MASH manager --------------------------------------------------------------------------------


def test_transfer_outcome_view_mash_manager_from_the_closed_contact(
    mash_manager_client, mash_manager_user, contact_step_up
):
    contact_url = reverse("referrals:contact_detail", kwargs={"uuid": contact_step_up.contact.uuid})
    page = mash_manager_client.get(contact_url).content.decode()
    assert "Outcome in children's social care" in page and _url(contact_step_up) in page

    response = mash_manager_client.post(_url(contact_step_up), _post("nfa", _days_ago(1)))
    assert response.status_code == 302 and response["Location"] == contact_url
    contact_step_up.refresh_from_db()
    assert (contact_step_up.social_care_outcome, contact_step_up.outcome_recorded_by) == ("nfa", mash_manager_user)
    assert "Assessment ended in no further action" in mash_manager_client.get(contact_url).content.decode()


def test_transfer_outcome_contact_page_has_no_link_for_the_screener(mash_screener_client, contact_step_up):
    contact_url = reverse("referrals:contact_detail", kwargs={"uuid": contact_step_up.contact.uuid})
    page = mash_screener_client.get(contact_url).content.decode()
    assert "Not recorded yet" in page and _url(contact_step_up) not in page


def test_transfer_outcome_view_mash_manager_cannot_reach_an_episode_step_up(mash_manager_client, episode_step_up):
    """No contact behind it and the family is not at the front door: the MASH does not see it."""
    assert mash_manager_client.get(_url(episode_step_up)).status_code == 404


def test_transfer_outcome_view_mash_manager_and_a_restricted_contact(
    mash_manager_client, mash_manager_user, restricted_family
):
    contact = ContactFactory(family=restricted_family, status=Contact.Status.CLOSED)
    transfer = _step_up(restricted_family, by=mash_manager_user, contact=contact)
    assert mash_manager_client.get(_url(transfer)).status_code == 404
    family_restricted_allow(family=restricted_family, user=mash_manager_user)
    assert mash_manager_client.get(_url(transfer)).status_code == 200


# Demo data ------------------------------------------------------------------------------------------------------


def test_seed_social_care_outcomes_steps_up_demo_families_with_their_outcomes(york_reference_data):
    output = io.StringIO()
    call_command("seed_demo", families=30, seed=5, stdout=output)
    assert "4 families stepped up to children's social care, 3 with the outcome recorded" in output.getvalue()
    again = seed_social_care_outcomes(today=timezone.localdate())
    assert again == "Step-ups to children's social care already in the demo data; none added"
    step_ups = Transfer.objects.filter(external_reference__startswith="CSC-DEMO-").select_related("episode")
    assert sorted(t.social_care_outcome for t in step_ups) == ["", "cin", "cp", "nfa"]
    recorded = [t for t in step_ups if t.social_care_outcome]
    assert all(t.outcome_recorded_by.email.startswith("manager.") for t in recorded)
    assert all(t.outcome_on >= timezone.localdate(t.created_at) for t in recorded)
    # Each step-up comes after the episode's work began, and none is in the future.
    for transfer in step_ups:
        began = transfer.episode.allocated_at or transfer.episode.requested_at
        assert began < transfer.created_at <= timezone.now()
    assert Episode.objects.filter(transfers__in=step_ups, status=Episode.Status.STEPPED_UP).count() == 4
