"""Supporting Families pages: registering from the family's page, needs and outcomes, moving the claim on with the
reason shown when refused, the officer's city-wide list (restricted families only from the allow-list) and the
quarterly return download; 404 outside scope, 403 without the permission."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from cases.models.supporting_families import SupportingFamiliesRegistration
from cases.services import family_restricted_allow
from earlyhelp.audit.models import AccessEvent
from tests.cases.test_supporting_families_services import THREE, at, family_records, move, register
from tests.factories import FamilyFactory
from tests.pages import messages_of, page_of

pytestmark = pytest.mark.django_db

Status = SupportingFamiliesRegistration.Status
# Session, user, user and group permissions (4); the page's count (1); the page's rows with their family, team and
# headline count (1). The session is not saved (it was saved at sign-in, less than a minute ago). The same for 2
# and 20 rows.
LIST_QUERIES = 6


def url(name: str, record=None) -> str:
    return reverse(f"cases:{name}", kwargs={"uuid": record.uuid} if record is not None else None)


@pytest.fixture
def registration(own_family, cfs_worker_user):
    return register(own_family, cfs_worker_user)


# --- Registering -------------------------------------------------------------------------------------------------


def test_family_page_links_to_supporting_families_for_caseworkers(cfs_worker_client, own_family):
    assert url("sf_register", own_family) in page_of(cfs_worker_client.get(url("family_detail", own_family)))


def test_sf_register_post_registers_the_family_with_its_records(cfs_worker_client, cfs_worker_user, own_family):
    assessment, plan = family_records(own_family, cfs_worker_user)
    data = {"lead_practitioner": cfs_worker_user.pk, "assessment": assessment.pk, "plan": plan.pk}
    response = cfs_worker_client.post(url("sf_register", own_family), data)
    registration = SupportingFamiliesRegistration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("sf_detail", registration)
    assert messages_of(response) == [f"Family {own_family.reference} registered with Supporting Families."]
    assert (registration.lead_practitioner, registration.assessment, registration.plan) == (
        cfs_worker_user,
        assessment,
        plan,
    )
    assert registration.episode == plan.episode
    assert registration.registered_by == cfs_worker_user


def test_sf_register_refuses_another_familys_plan_with_an_error_summary(
    cfs_worker_client, cfs_worker_user, own_family, other_family
):
    _, plan = family_records(other_family, cfs_worker_user)
    page = page_of(cfs_worker_client.post(url("sf_register", own_family), {"plan": plan.pk}))
    assert "govuk-error-summary" in page
    assert "Choose a plan from the list" in page
    assert not SupportingFamiliesRegistration.objects.exists()


def test_sf_register_for_a_registered_family_opens_its_registration(cfs_worker_client, cfs_worker_user, own_family):
    registration = register(own_family, cfs_worker_user, complete=False)
    response = cfs_worker_client.get(url("sf_register", own_family))
    assert response.status_code == 302
    assert response["Location"] == url("sf_detail", registration)
    page = page_of(cfs_worker_client.get(url("sf_detail", registration)))
    assert f"{url('sf_register', own_family)}?change=1" in page
    assert "Change the lead practitioner, assessment or plan" in page


def test_sf_register_change_link_changes_the_registrations_details(cfs_worker_client, cfs_worker_user, own_family):
    registration = register(own_family, cfs_worker_user, complete=False)
    page = page_of(cfs_worker_client.get(f"{url('sf_register', own_family)}?change=1"))
    assert "Change the registration" in page
    assert "Save changes" in page
    assert "Register with Supporting Families" not in page
    response = cfs_worker_client.post(
        f"{url('sf_register', own_family)}?change=1", {"lead_practitioner": cfs_worker_user.pk}
    )
    assert response["Location"] == url("sf_detail", registration)
    assert messages_of(response) == ["Lead practitioner, assessment and plan saved."]
    registration.refresh_from_db()
    assert registration.lead_practitioner == cfs_worker_user
    assert SupportingFamiliesRegistration.objects.count() == 1


def test_sf_register_for_an_unregistered_family_offers_registering(cfs_worker_client, own_family):
    page = page_of(cfs_worker_client.get(url("sf_register", own_family)))
    assert "Register with Supporting Families" in page
    assert "Register the family" in page


def test_sf_register_is_404_for_another_team_and_restricted_families(
    other_lat_client, cfs_worker_client, own_family, restricted_family
):
    assert other_lat_client.get(url("sf_register", own_family)).status_code == 404
    assert cfs_worker_client.get(url("sf_register", restricted_family)).status_code == 404


def test_sf_register_is_403_for_the_analyst(analyst_client, own_family):
    assert analyst_client.get(url("sf_register", own_family)).status_code == 403


# --- The registration page, needs and outcomes ---------------------------------------------------------------------


def test_sf_detail_shows_why_not_eligible_and_is_in_the_access_log(cfs_worker_client, own_family, cfs_worker_user):
    registration = register(own_family, cfs_worker_user, headlines=THREE[:2], complete=False)
    page = page_of(cfs_worker_client.get(url("sf_detail", registration)))
    assert "The family is not eligible yet" in page
    assert "Record needs under at least 3 headlines (there are 2)" in page
    assert "Choose the family&#x27;s plan" in page
    assert AccessEvent.objects.filter(action="view", object_uuid=registration.uuid).exists()
    assert url("sf_move", registration) not in page  # a caseworker does not move the claim on


@pytest.mark.parametrize(
    ("persona", "status"),
    [("cfs_worker_client", 200), ("lat_manager_client", 200), ("other_lat_client", 404), ("analyst_client", 403)],
)
def test_sf_detail_access(persona, status, request, registration):
    assert request.getfixturevalue(persona).get(url("sf_detail", registration)).status_code == status


def test_sf_officer_sees_every_team_but_not_restricted_families(
    sf_officer_client, sf_officer_user, cfs_worker_user, other_lat_user, other_family, restricted_family, registration
):
    elsewhere = register(other_family, other_lat_user)
    restricted = SupportingFamiliesRegistration.objects.create(family=restricted_family, registered_by=cfs_worker_user)
    assert sf_officer_client.get(url("sf_detail", registration)).status_code == 200
    assert sf_officer_client.get(url("sf_detail", elsewhere)).status_code == 200
    assert sf_officer_client.get(url("sf_detail", restricted)).status_code == 404
    listing = page_of(sf_officer_client.get(url("sf_list")))
    assert registration.family.reference in listing and other_family.reference in listing
    assert restricted_family.reference not in listing
    family_restricted_allow(family=restricted_family, user=sf_officer_user)
    assert sf_officer_client.get(url("sf_detail", restricted)).status_code == 200


def test_sf_need_add_records_a_need_or_shows_the_error_summary(cfs_worker_client, own_family, cfs_worker_user):
    registration = register(own_family, cfs_worker_user, headlines=())
    page = page_of(cfs_worker_client.post(url("sf_need_add", registration), {"headline": "housing"}))
    assert "govuk-error-summary" in page and "Say what shows the family has this need" in page
    response = cfs_worker_client.post(
        url("sf_need_add", registration), {"headline": "housing", "evidence": "Rent arrears"}
    )
    assert response["Location"] == url("sf_detail", registration)
    assert messages_of(response) == ["Need recorded under secure housing."]
    assert list(registration.needs.values_list("headline", "evidence")) == [("housing", "Rent arrears")]


def test_sf_need_add_is_404_for_another_team(other_lat_client, registration):
    assert other_lat_client.get(url("sf_need_add", registration)).status_code == 404


def test_sf_need_outcome_caseworker_records_the_date_but_not_sustainment(cfs_worker_client, registration):
    need = registration.needs.first()
    page = page_of(cfs_worker_client.get(url("sf_need_outcome", need)))
    assert "Did the outcome last" not in page
    data = {"achieved_on_0": "2", "achieved_on_1": "3", "achieved_on_2": "2026", "outcome_evidence": "Attending"}
    response = cfs_worker_client.post(url("sf_need_outcome", need), data)
    assert messages_of(response) == [f"Outcome saved for {need.get_headline_display().lower()}."]
    need.refresh_from_db()
    assert (need.achieved_on, need.outcome_evidence) == (date(2026, 3, 2), "Attending")


def test_sf_need_outcome_officer_sees_sustainment_and_errors(sf_officer_client, registration):
    need = registration.needs.first()
    assert "Did the outcome last" in page_of(sf_officer_client.get(url("sf_need_outcome", need)))
    page = page_of(sf_officer_client.post(url("sf_need_outcome", need), {"sustained": "yes"}))
    assert "govuk-error-summary" in page
    assert "after the family&#x27;s early help has closed" in page


def test_sf_need_outcome_is_404_for_another_team(other_lat_client, registration):
    assert other_lat_client.get(url("sf_need_outcome", registration.needs.first())).status_code == 404


# --- Moving the claim on ---------------------------------------------------------------------------------------------


def test_sf_move_refused_shows_the_reason_in_an_error_summary(sf_officer_client, own_family, cfs_worker_user):
    registration = register(own_family, cfs_worker_user, headlines=THREE[:2])
    page = page_of(sf_officer_client.post(url("sf_move", registration), {"status": "eligible"}))
    assert "govuk-error-summary" in page
    assert "Record needs under at least 3 headlines (there are 2)" in page
    registration.refresh_from_db()
    assert registration.status == Status.IDENTIFIED


def test_sf_move_eligible_then_working_with_messages(sf_officer_client, registration):
    response = sf_officer_client.post(url("sf_move", registration), {"status": "eligible"})
    assert response["Location"] == url("sf_detail", registration)
    assert messages_of(response) == ["Registration is now eligible."]
    response = sf_officer_client.post(url("sf_move", registration), {"status": "working"}, follow=True)
    assert "Registration is now working with the family." in page_of(response)


def test_sf_move_claimed_needs_a_reference(sf_officer_client, registration):
    SupportingFamiliesRegistration.objects.filter(pk=registration.pk).update(status=Status.VALIDATED)
    page = page_of(sf_officer_client.post(url("sf_move", registration), {"status": "claimed"}))
    assert "govuk-error-summary" in page and "Enter the claim reference" in page
    sf_officer_client.post(url("sf_move", registration), {"status": "claimed", "claim_reference": "SF-1"})
    registration.refresh_from_db()
    assert (registration.status, registration.claim_reference) == (Status.CLAIMED, "SF-1")


def test_sf_move_is_post_only_and_for_the_officer(sf_officer_client, cfs_worker_client, registration):
    assert sf_officer_client.get(url("sf_move", registration)).status_code == 405
    assert cfs_worker_client.post(url("sf_move", registration), {"status": "eligible"}).status_code == 403


# --- The list ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_sf_list_query_count_is_constant(count, lats, sf_officer_client, cfs_worker_user, django_assert_num_queries):
    for _ in range(count):
        register(FamilyFactory(local_area_team=lats["tang-hall"]), cfs_worker_user, complete=False)
    with django_assert_num_queries(LIST_QUERIES):
        page = page_of(sf_officer_client.get(url("sf_list")))
    assert page.count(">3</td>") == count  # each row's headline count


def test_sf_list_filters_by_status_and_names_no_one(
    sf_officer_client, sf_officer_user, registration, other_family, other_lat_user
):
    other = move(register(other_family, other_lat_user), Status.ELIGIBLE, sf_officer_user)
    page = page_of(sf_officer_client.get(url("sf_list"), {"status": "eligible"}))
    assert other.family.reference in page
    assert registration.family.reference not in page
    assert other_family.name not in page
    assert "Mark as working with the family" in page  # the next step


@pytest.mark.parametrize(("persona", "status"), [("cfs_worker_client", 403), ("analyst_client", 403)])
def test_sf_list_and_return_are_for_the_officer_only(persona, status, request):
    client = request.getfixturevalue(persona)
    assert client.get(url("sf_list")).status_code == status
    assert client.get(url("sf_return"), {"quarter": "2026-Q3", "format": "csv"}).status_code == status


# --- The quarterly return ------------------------------------------------------------------------------------------


def test_sf_return_csv_rows_by_reference_naming_no_one_and_logged(
    sf_officer_client, own_family, cfs_worker_user, sf_officer_user
):
    with at(date(2026, 8, 10)):
        register(own_family, cfs_worker_user)
    response = sf_officer_client.get(url("sf_return"), {"quarter": "2026-Q3", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="supporting-families-2026-Q3.csv"'
    text = response.content.decode()
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[0] == "Family reference"
    assert [row[0] for row in rows] == [own_family.reference]
    for name in (own_family.name, cfs_worker_user.full_name, sf_officer_user.full_name):
        assert name not in text
    event = AccessEvent.objects.get(action="export")
    assert event.user == sf_officer_user
    assert "2026-Q3" in event.detail


def test_sf_return_xlsx_is_a_workbook(sf_officer_client):
    response = sf_officer_client.get(url("sf_return"), {"quarter": "2026-Q3", "format": "xlsx"})
    assert response.status_code == 200
    assert response.content[:2] == b"PK"


def test_sf_return_bad_quarter_shows_the_error_summary(sf_officer_client):
    page = page_of(sf_officer_client.get(url("sf_return"), {"quarter": "2026-Q9", "format": "csv"}))
    assert "govuk-error-summary" in page and "Enter the quarter like 2026-Q3" in page
    assert not AccessEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize("quarter", ["0000-Q1", "1999-Q4", "9999-Q4"])
def test_sf_return_quarter_outside_the_years_shows_the_error_summary(quarter, sf_officer_client):
    from django.utils import timezone

    page = page_of(sf_officer_client.get(url("sf_return"), {"quarter": quarter, "format": "csv"}))
    last_year = timezone.localdate().year + 1
    assert "govuk-error-summary" in page and f"Enter a quarter from 2000 to {last_year}, like 2026-Q3" in page
    assert not AccessEvent.objects.filter(action="export").exists()


def test_sf_detail_shows_whether_consent_covers_data_matching(cfs_worker_client, own_family, cfs_worker_user):
    from consent.models import ConsentRecord

    registration = register(own_family, cfs_worker_user)
    page = page_of(cfs_worker_client.get(url("sf_detail", registration)))
    assert "Consent to data matching" in page and "Yes, given" in page
    ConsentRecord.objects.filter(family=own_family).update(status=ConsentRecord.Status.WITHDRAWN)
    page = page_of(cfs_worker_client.get(url("sf_detail", registration)))
    assert "does not cover Supporting Families data matching, so the claim cannot be marked ready" in page
    assert reverse("consent:new", kwargs={"uuid": own_family.uuid}) in page
