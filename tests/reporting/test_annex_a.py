"""Ofsted Annex A Lists 1 to 3: exact headers and codes, the window's edges, ages, re-referrals, NFA, allocation,
CSV and XLSX alike, the access log, the form's errors and who may download."""

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.models import AssessmentSubject
from cases.models import Episode
from earlyhelp.audit.models import AccessEvent
from referrals.models import MashDecision
from reporting.annex_a import LISTS, Window, list_1_contacts, list_2_early_help, list_3_referrals
from reporting.indicators import Period
from tests.factories import (
    AgencyFactory,
    AssessmentFactory,
    ContactChildFactory,
    ContactFactory,
    EpisodeFactory,
    FamilyFactory,
    PersonFactory,
)

URL = reverse("reporting:annex_a")
# The window ending last month: always offered by the form, and wholly in the past.
LAST_MONTH = Period.containing(timezone.localdate()).preceding()
WINDOW = Window.ending(LAST_MONTH.start.year, LAST_MONTH.start.month)
ENDING = f"{LAST_MONTH.start:%Y-%m}"
IN_WINDOW = WINDOW.start + timedelta(days=40)


def at(day: date, clock: time = time(10, 0)) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def dmy(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def contact_about(*children, on: date = IN_WINDOW, clock: time = time(10, 0), source: str = "2A", family=None):
    contact = ContactFactory(received_at=at(on, clock), source=source, **({"family": family} if family else {}))
    for child in children:
        ContactChildFactory(contact=contact, person=child)
    return contact


def decide(contact, *, by, on: date = IN_WINDOW, outcome: str = MashDecision.Outcome.TARGETED) -> MashDecision:
    return MashDecision.objects.create(
        contact=contact,
        level=3,
        outcome=outcome,
        rationale="Test rationale",
        next_steps="Test next steps",
        consent_basis=MashDecision.ConsentBasis.HELD,
        decided_by=by,
        decided_at=at(on, time(15, 0)),
    )


def download(client, number: int, file_format: str = "csv", ending: str = ENDING):
    return client.get(URL, {"annex_list": number, "ending": ending, "file_format": file_format})


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def xlsx_rows(response) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    return [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]


# Headers -------------------------------------------------------------------------------------------------------


def test_annex_a_list_1_header_is_exact(analyst_client):
    assert csv_rows(download(analyst_client, 1))[0] == [
        "Child unique ID",
        "Gender",
        "Ethnicity",
        "Date of birth",
        "Age of child (years)",
        "Date of contact",
        "Contact source",
    ]


def test_annex_a_list_2_header_is_exact(analyst_client):
    assert csv_rows(download(analyst_client, 2))[0] == [
        "Child unique ID",
        "Gender",
        "Ethnicity",
        "Date of birth",
        "Age of child (years)",
        "Assessment start date",
        "Assessment completion date",
        "Organisation completing assessment",
    ]


def test_annex_a_list_3_header_is_exact(analyst_client):
    assert csv_rows(download(analyst_client, 3))[0] == [
        "Child unique ID",
        "Gender",
        "Ethnicity",
        "Date of birth",
        "Age of child (years)",
        "Date of referral",
        "Referral source",
        "Referral NFA",
        "Number of referrals in last 12 months",
        "Allocated team",
        "Allocated worker",
    ]


# Codes ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sex", "code"), [("male", "a"), ("female", "b"), ("not_stated", "c"), ("neither", "d")])
def test_annex_a_list_1_gender_codes(lats, sex, code):
    contact_about(PersonFactory(sex=sex))
    [row] = list_1_contacts(window=WINDOW)
    assert row[1] == code


def test_annex_a_list_1_child_columns_and_source_code(lats):
    child = PersonFactory(sex="male", ethnicity="MWBA", date_of_birth=date(2016, 1, 5))
    contact_about(child, source="3B", on=IN_WINDOW)
    [row] = list_1_contacts(window=WINDOW)
    assert row == (
        str(child.uuid),
        "a",
        "MWBA",
        "05/01/2016",
        child.age_on(IN_WINDOW),
        dmy(IN_WINDOW),
        "3B",
    )


def test_annex_a_list_1_unborn_child_has_expected_date_and_no_age(lats):
    unborn = PersonFactory(date_of_birth=None, expected_date_of_birth=IN_WINDOW + timedelta(days=60))
    contact_about(unborn)
    [row] = list_1_contacts(window=WINDOW)
    assert (row[3], row[4]) == (dmy(IN_WINDOW + timedelta(days=60)), "")


def test_annex_a_list_1_default_codes_for_a_child_not_yet_described(lats):
    contact_about(PersonFactory(sex="not_stated", ethnicity="NOBT"))
    [row] = list_1_contacts(window=WINDOW)
    assert (row[1], row[2]) == ("c", "NOBT")


# Window edges and rows -----------------------------------------------------------------------------------------


def test_annex_a_list_1_window_edges(lats):
    before = PersonFactory()
    first_day = PersonFactory()
    last_day = PersonFactory()
    after = PersonFactory()
    contact_about(before, on=WINDOW.start - timedelta(days=1), clock=time(23, 59))
    contact_about(first_day, on=WINDOW.start, clock=time(0, 0))
    contact_about(last_day, on=WINDOW.end, clock=time(23, 59))
    contact_about(after, on=WINDOW.end + timedelta(days=1), clock=time(0, 0))
    rows = list_1_contacts(window=WINDOW)
    assert [row[0] for row in rows] == [str(first_day.uuid), str(last_day.uuid)]
    assert [row[5] for row in rows] == [dmy(WINDOW.start), dmy(WINDOW.end)]


def test_annex_a_list_1_one_row_per_child_per_contact_duplicates_left_out(lats):
    older, younger = PersonFactory(), PersonFactory()
    contact_about(older, younger)
    contact_about(older, on=IN_WINDOW + timedelta(days=1))
    duplicate = contact_about(younger, on=IN_WINDOW + timedelta(days=2))
    duplicate.status = duplicate.Status.DUPLICATE
    duplicate.save()
    rows = list_1_contacts(window=WINDOW)
    assert [row[0] for row in rows] == [str(older.uuid), str(younger.uuid), str(older.uuid)]


def test_annex_a_list_1_age_is_computed_at_the_contact_date(lats):
    """Born 8 years before a day after the contact: 7 at the contact, though 8 by now."""
    born = (IN_WINDOW + timedelta(days=1)).replace(year=IN_WINDOW.year - 8)
    child = PersonFactory(date_of_birth=born)
    contact_about(child)
    [row] = list_1_contacts(window=WINDOW)
    assert row[4] == 7
    assert child.age == 8


def test_annex_a_list_1_includes_restricted_families_without_names(lats):
    restricted = FamilyFactory(restricted=True, local_area_team=lats["tang-hall"])
    child = PersonFactory(first_name="Secretname", last_name="Hiddenfamily", restricted=True)
    contact_about(child, family=restricted)
    [row] = list_1_contacts(window=WINDOW)
    assert row[0] == str(child.uuid)
    assert not any("Secretname" in str(cell) or "Hiddenfamily" in str(cell) for cell in row)


def test_annex_a_list_2_children_of_assessments_started_or_completed_in_the_window(lats, cfs_worker_user):
    school = AgencyFactory(name="Annex Primary School")
    started_in = AssessmentFactory(started_on=IN_WINDOW, organisation=school)
    completed_in = AssessmentFactory(
        started_on=WINDOW.start - timedelta(days=20), completed_on=WINDOW.start, assessor=cfs_worker_user
    )
    outside = AssessmentFactory(started_on=WINDOW.start - timedelta(days=30), completed_on=WINDOW.start - timedelta(1))
    child, sibling, parent, other = PersonFactory(), PersonFactory(), PersonFactory(), PersonFactory()
    AssessmentSubject.objects.create(assessment=started_in, person=child, is_child=True)
    AssessmentSubject.objects.create(assessment=started_in, person=parent, is_child=False)
    AssessmentSubject.objects.create(assessment=completed_in, person=sibling, is_child=True)
    AssessmentSubject.objects.create(assessment=outside, person=other, is_child=True)

    rows = list_2_early_help(window=WINDOW)
    assert [row[0] for row in rows] == [str(sibling.uuid), str(child.uuid)]
    assert rows[0][5:] == (dmy(WINDOW.start - timedelta(days=20)), dmy(WINDOW.start), cfs_worker_user.agency.name)
    assert rows[1][5:] == (dmy(IN_WINDOW), "", "Annex Primary School")
    assert rows[1][4] == child.age_on(IN_WINDOW)


# List 3 ---------------------------------------------------------------------------------------------------------


def test_annex_a_list_3_counts_referrals_in_the_last_12_months(lats, mash_manager_user):
    child = PersonFactory()
    decide(
        contact_about(child, on=IN_WINDOW - timedelta(days=400)), by=mash_manager_user, on=IN_WINDOW - timedelta(400)
    )
    decide(
        contact_about(child, on=IN_WINDOW - timedelta(days=200)), by=mash_manager_user, on=IN_WINDOW - timedelta(200)
    )
    decide(contact_about(child), by=mash_manager_user)
    decide(contact_about(child, on=IN_WINDOW + timedelta(days=10)), by=mash_manager_user, on=IN_WINDOW + timedelta(10))
    first_time = PersonFactory()
    decide(contact_about(first_time), by=mash_manager_user)

    rows = list_3_referrals(window=WINDOW)
    counts = {(row[0], row[5]): row[8] for row in rows}
    assert counts == {
        (str(child.uuid), dmy(IN_WINDOW)): 2,
        (str(first_time.uuid), dmy(IN_WINDOW)): 1,
        (str(child.uuid), dmy(IN_WINDOW + timedelta(days=10))): 3,
    }


def test_annex_a_list_3_nfa_yes_or_no(lats, mash_manager_user):
    nfa_child, help_child = PersonFactory(), PersonFactory()
    decide(contact_about(nfa_child, source="6"), by=mash_manager_user, outcome=MashDecision.Outcome.NO_FURTHER_ACTION)
    decide(contact_about(help_child, source="1C"), by=mash_manager_user, outcome=MashDecision.Outcome.SIGNPOSTING)
    rows = {row[0]: row for row in list_3_referrals(window=WINDOW)}
    assert (rows[str(nfa_child.uuid)][6], rows[str(nfa_child.uuid)][7]) == ("6", "Yes")
    assert (rows[str(help_child.uuid)][6], rows[str(help_child.uuid)][7]) == ("1C", "No")


def test_annex_a_list_3_allocated_team_and_worker_from_the_episode(lats, mash_manager_user, cfs_worker_user):
    allocated, waiting, no_episode = PersonFactory(), PersonFactory(), PersonFactory()
    contact = contact_about(allocated)
    decide(contact, by=mash_manager_user)
    EpisodeFactory(
        family=contact.family, contact=contact, status=Episode.Status.ALLOCATED, lead_practitioner=cfs_worker_user
    )
    contact = contact_about(waiting, family=FamilyFactory(local_area_team=lats["clifton"]))
    decide(contact, by=mash_manager_user)
    EpisodeFactory(family=contact.family, contact=contact)
    decide(contact_about(no_episode), by=mash_manager_user, outcome=MashDecision.Outcome.NO_FURTHER_ACTION)

    rows = {row[0]: row[9:] for row in list_3_referrals(window=WINDOW)}
    assert rows == {
        str(allocated.uuid): ("Tang Hall", "Chris Worker"),
        str(waiting.uuid): ("Clifton", ""),
        str(no_episode.uuid): ("", ""),
    }


def test_annex_a_list_3_window_edges_by_decision_date(lats, mash_manager_user):
    before, last_day = PersonFactory(), PersonFactory()
    decide(contact_about(before), by=mash_manager_user, on=WINDOW.start - timedelta(days=1))
    decide(contact_about(last_day), by=mash_manager_user, on=WINDOW.end)
    rows = list_3_referrals(window=WINDOW)
    assert [(row[0], row[5]) for row in rows] == [(str(last_day.uuid), dmy(WINDOW.end))]


# Downloads ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [1, 2, 3])
def test_annex_a_csv_and_xlsx_have_identical_rows(lats, analyst_client, mash_manager_user, number):
    child = PersonFactory(sex="male", ethnicity="WBRI")
    contact = contact_about(child, source="2A")
    decide(contact, by=mash_manager_user)
    assessment = AssessmentFactory(started_on=IN_WINDOW, completed_on=IN_WINDOW + timedelta(days=20))
    AssessmentSubject.objects.create(assessment=assessment, person=child, is_child=True)

    as_csv = csv_rows(download(analyst_client, number, "csv"))
    as_xlsx = xlsx_rows(download(analyst_client, number, "xlsx"))
    assert len(as_csv) == 2
    assert as_csv == as_xlsx
    assert as_csv[0] == list(LISTS[number].header)


def test_annex_a_download_is_an_attachment_named_by_list_and_window(analyst_client):
    response = download(analyst_client, 3, "xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="annex-a-list-3-{WINDOW.slug}.xlsx"'
    assert "no-store" in response["Cache-Control"]
    assert WINDOW.slug == f"{WINDOW.start:%Y-%m}-to-{ENDING}"


def test_annex_a_download_is_in_the_access_log(analyst_client, analyst_user):
    download(analyst_client, 2)
    event = AccessEvent.objects.get()
    assert (event.user, event.action, event.detail) == (
        analyst_user,
        AccessEvent.Action.EXPORT,
        f"Annex A list 2 {WINDOW.start:%Y-%m} to {ENDING}",
    )


def test_annex_a_page_shows_the_form_without_a_download(analyst_client):
    response = analyst_client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Ofsted Annex A lists" in page
    form = page[page.index('<form method="get"') :]
    assert "csrfmiddlewaretoken" not in form[: form.index("</form>")]  # a GET form: no token in the address
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"annex_list": 1, "ending": "2026-13", "file_format": "csv"}, "Choose the last month of the window"),
        ({"annex_list": 1, "ending": "2099-01", "file_format": "csv"}, "Choose the last month of the window"),
        ({"annex_list": 1, "ending": "", "file_format": "csv"}, "Choose the last month of the window"),
        ({"annex_list": 4, "ending": ENDING, "file_format": "csv"}, "Choose list 1, 2 or 3"),
        ({"annex_list": 1, "ending": ENDING, "file_format": "pdf"}, "Choose XLSX or CSV"),
    ],
)
def test_annex_a_form_errors(analyst_client, params, message):
    response = analyst_client.get(URL, params)
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert message in page
    assert not AccessEvent.objects.exists()


def test_annex_a_only_for_the_analyst(lat_manager_client, mash_manager_client, anonymous_client):
    assert lat_manager_client.get(URL).status_code == 403
    assert download(lat_manager_client, 1).status_code == 403
    assert mash_manager_client.get(URL).status_code == 403
    assert anonymous_client.get(URL).status_code == 302
    assert not AccessEvent.objects.exists()


@pytest.mark.parametrize("number", [1, 2, 3])
def test_annex_a_query_count_is_constant(lats, analyst_client, mash_manager_user, django_assert_num_queries, number):
    def add(n):
        for _ in range(n):
            children = [PersonFactory(), PersonFactory()]
            contact = contact_about(*children)
            decide(contact, by=mash_manager_user)
            EpisodeFactory(family=contact.family, contact=contact)
            assessment = AssessmentFactory(family=contact.family, started_on=IN_WINDOW, organisation=AgencyFactory())
            for child in children:
                AssessmentSubject.objects.create(assessment=assessment, person=child, is_child=True)

    add(2)
    download(analyst_client, number)  # the first download creates the access log's chain head
    with django_assert_num_queries(QUERIES[number]):
        assert len(csv_rows(download(analyst_client, number))) == 1 + 4
    add(18)
    with django_assert_num_queries(QUERIES[number]):
        assert len(csv_rows(download(analyst_client, number))) == 1 + 40


QUERIES = {1: 8, 2: 8, 3: 10}
