"""Training records: recording one, importing a CSV with a per-row error report, the list with its counts and
filters, and who may open which page (the performance analyst and Local Area Team managers; not workers)."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from reporting.models import TrainingRecord
from reporting.training import COLUMNS, DUPLICATE, FUTURE
from tests.factories import AgencyFactory, UserFactory
from tests.pages import page_of

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)
# Session, user, user and group permissions (4); the page's count (1), its rows with agency and team (1) and the
# counts per course (1); the filter's Local Area Team choices (1). The session is not saved (it was saved at sign-in,
# less than a minute ago).
LIST_QUERIES = 8


def upload(content: str | bytes, name: str = "training.csv") -> SimpleUploadedFile:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def csv_of(*rows: str) -> str:
    return "\r\n".join((HEADER, *rows)) + "\r\n"


def import_file(client, content, name: str = "training.csv"):
    return client.post(reverse("reporting:training_import"), {"file": upload(content, name)})


def record(email: str = "pat@example.org", course: str = "neglect", completed_on=date(2026, 3, 2), **fields):
    values = {"practitioner_name": "Pat Practitioner", "recorded_by": UserFactory()} | fields
    return TrainingRecord.objects.create(practitioner_email=email, course=course, completed_on=completed_on, **values)


def test_training_new_adds_a_record_linked_to_the_practitioners_account(lat_manager_client, lat_manager_user, lats):
    practitioner = UserFactory(email="jo.Bloggs@example.ORG")  # mixed case, typed differently
    agency = AgencyFactory(name="Test Secondary School")
    response = lat_manager_client.post(
        reverse("reporting:training_new"),
        {
            "practitioner_name": "Jo Bloggs",
            "practitioner_email": "Jo.Bloggs@Example.org",
            "agency": agency.pk,
            "local_area_team": lats["clifton"].pk,
            "course": "parental_conflict",
            "completed_on_0": "2",
            "completed_on_1": "3",
            "completed_on_2": "2026",
        },
    )

    assert response.url == reverse("reporting:training")
    saved = TrainingRecord.objects.get()
    assert (saved.practitioner_email, saved.user, saved.agency) == ("jo.bloggs@example.org", practitioner, agency)
    assert (saved.course, saved.completed_on, saved.local_area_team) == (
        "parental_conflict",
        date(2026, 3, 2),
        lats["clifton"],
    )
    assert (saved.source, saved.recorded_by) == (TrainingRecord.Source.FORM, lat_manager_user)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Training recorded: Jo Bloggs, Understanding parental conflict on 02 March 2026."
    ]


def test_training_new_refuses_a_future_date_a_duplicate_and_an_untitled_other_course(analyst_client):
    record(email="pat@example.org", course="neglect", completed_on=date(2026, 3, 2))
    tomorrow = timezone.localdate() + timedelta(days=1)
    base = {"practitioner_name": "Pat", "practitioner_email": "pat@example.org"}

    def post(course, day):
        data = base | {
            "course": course,
            "completed_on_0": day.day,
            "completed_on_1": day.month,
            "completed_on_2": day.year,
        }
        return page_of(analyst_client.post(reverse("reporting:training_new"), data))

    assert FUTURE in post("neglect", tomorrow)
    assert DUPLICATE.replace("'", "&#x27;") in post("neglect", date(2026, 3, 2))
    assert "Enter the course&#x27;s title when the course is Other" in post("other", date(2026, 3, 2))
    page = page_of(analyst_client.post(reverse("reporting:training_new"), {}))
    assert "Enter the practitioner&#x27;s name" in page and "Choose the course" in page
    assert TrainingRecord.objects.count() == 1


def test_training_import_imports_good_rows_and_reports_each_bad_one(analyst_client, analyst_user, lats):
    AgencyFactory(name="Test Primary School")
    record(email="dup@example.org", course="mental_health", completed_on=date(2026, 1, 5))
    linked = UserFactory(email="Linked@Example.org")  # the account's address in mixed case
    content = csv_of(
        "Ann Able,ann@example.org,Test Primary School,Tang Hall,neglect,,2026-02-01",  # 2: good
        "Ben Bright,LINKED@example.org,,hob moor,Understanding parental conflict,UPC level 1,01/02/2026",  # 3: good
        "Cat Dup,dup@example.org,,,mental_health,,2026-01-05",  # 4: duplicate of a record
        "Ann Again,ann@example.org,,,Neglect,,01/02/2026",  # 5: duplicate of row 2
        "Dan Date,dan@example.org,,,neglect,,31/02/2026",  # 6: no such date
        "Eve Course,eve@example.org,,,knitting,,2026-02-01",  # 7: unknown course
        "Fay Email,not-an-email,Nowhere Agency,Acomb,other,,2099-01-01",  # 8: five problems
        ",gus@example.org,,,neglect,,2026-02-01,extra",  # 9: no name, too many values
    )

    page = page_of(import_file(analyst_client, content))

    assert TrainingRecord.objects.filter(source=TrainingRecord.Source.IMPORT).count() == 2
    ann = TrainingRecord.objects.get(practitioner_email="ann@example.org")
    assert (ann.agency.name, ann.local_area_team, ann.user, ann.recorded_by) == (
        "Test Primary School",
        lats["tang-hall"],
        None,
        analyst_user,
    )
    ben = TrainingRecord.objects.get(practitioner_email="linked@example.org")
    assert (ben.user, ben.course, ben.course_title, ben.completed_on) == (
        linked,
        "parental_conflict",
        "UPC level 1",
        date(2026, 2, 1),
    )
    assert ben.local_area_team == lats["hob-moor"]
    assert "2 training records imported." in page
    assert (
        '<dt class="govuk-summary-list__key">Rows not imported</dt>\n  <dd class="govuk-summary-list__value">6</dd>'
        in page
    )
    for row, column, message in [
        (4, "Whole row", DUPLICATE.replace("'", "&#x27;")),
        (5, "Whole row", DUPLICATE.replace("'", "&#x27;")),
        (6, "completed_on", "Enter the date completed as YYYY-MM-DD or DD/MM/YYYY, like 2026-03-31"),
        (
            7,
            "course",
            "Unknown course &#x27;knitting&#x27;: use one of parental_conflict, neglect, domestic_abuse, "
            "mental_health, other",
        ),
        (8, "practitioner_email", "Enter an e-mail address in the correct format, like name@example.org"),
        (8, "agency", "No agency is called &#x27;Nowhere Agency&#x27;: use its name exactly as listed"),
        (8, "team", "The team must be one of Clifton, Hob Moor, Tang Hall, or empty"),
        (8, "course_title", "Enter the course&#x27;s title when the course is Other"),
        (8, "completed_on", FUTURE),
        (9, "Whole row", "The row has more values than there are columns"),
        (9, "practitioner_name", "Enter the practitioner&#x27;s name"),
    ]:
        cells = (
            f'<td class="govuk-table__cell govuk-table__cell--numeric">{row}</td>\n'
            f'      <td class="govuk-table__cell">{column}</td>\n'
            f'      <td class="govuk-table__cell">{message}</td>'
        )
        assert cells in page, (row, column, message)


def test_training_import_service_reports_rows_columns_and_counts(analyst_user, lats):
    from reporting.training import RowError, training_import

    content = csv_of("Ann Able,ann@example.org,,,neglect,,2026-02-01", "Bo,bo@example.org,,,neglect,,2026-13-01")
    result = training_import(user=analyst_user, file=upload(content))
    assert (result.rows, result.imported, result.rejected) == (2, 1, 1)
    assert result.errors == [
        RowError(3, "completed_on", "Enter the date completed as YYYY-MM-DD or DD/MM/YYYY, like 2026-03-31")
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"practitioner_name,course\r\nAnn,neglect\r\n",
            "The first row must name the columns; missing: "
            "practitioner_email, agency, team, course_title, completed_on",
        ),
        (
            csv_of("Zoë Brontë,zoe@example.org,,,neglect,,2026-02-01").encode("latin-1"),
            "The file must be a CSV file saved as UTF-8",
        ),
        (b"", "The file is empty"),
        (b"\r\n  \r\n", "The file is empty"),
        (csv_of().encode(), "The file has no rows below the column names"),
    ],
    ids=["missing-columns", "not-utf8", "empty", "blank", "header-only"],
)
def test_training_import_refuses_a_file_it_cannot_read(analyst_client, lats, content, message):
    page = page_of(import_file(analyst_client, content))
    assert message in page.replace("&#x27;", "'")
    assert "There is a problem" in page
    assert not TrainingRecord.objects.exists()


def test_training_import_with_every_row_refused_warns_rather_than_congratulates(analyst_client, lats):
    page = page_of(import_file(analyst_client, csv_of("Ann Able,not-an-address,,,neglect,,2026-02-01")))
    assert "No training records were imported: the reasons are listed below." in page
    assert "govuk-notification-banner--success" not in page
    assert not TrainingRecord.objects.exists()


def test_training_import_refuses_a_file_over_2_mb(analyst_client, lats):
    row = "Ann Able,ann@example.org,,,neglect,,2026-02-01\r\n"
    content = csv_of() + row * (2 * 1024 * 1024 // len(row) + 1)
    page = page_of(import_file(analyst_client, content))
    assert "The file must be smaller than 2 MB" in page
    assert not TrainingRecord.objects.exists()


def test_training_import_reads_a_utf8_file_with_a_byte_order_mark(analyst_client, lats):
    content = "\ufeff" + csv_of("Zoë Brontë,zoe@example.org,,,domestic abuse,,2026-02-01")
    page_of(import_file(analyst_client, content))
    assert TrainingRecord.objects.get().practitioner_name == "Zoë Brontë"


def test_training_import_template_has_the_columns(analyst_client):
    response = analyst_client.get(reverse("reporting:training_import_template"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode() == HEADER + "\r\n"


def test_training_import_page_documents_the_columns(lat_manager_client):
    page = page_of(lat_manager_client.get(reverse("reporting:training_import")))
    for column in COLUMNS:
        assert f'<th scope="row" class="govuk-table__header">{column}</th>' in page
    assert reverse("reporting:training_import_template") in page


def test_training_list_filters_and_counts_per_course(analyst_client, lats):
    record(email="a@example.org", course="neglect", local_area_team=lats["tang-hall"], practitioner_name="Al A")
    record(email="a@example.org", course="neglect", completed_on=date(2026, 4, 1), practitioner_name="Al A")
    record(
        email="b@example.org", course="parental_conflict", local_area_team=lats["clifton"], practitioner_name="Bea B"
    )
    url = reverse("reporting:training")

    page = page_of(analyst_client.get(url))
    assert "3 training records" in page and "Al A" in page and "Bea B" in page
    neglect = (
        '<th scope="row" class="govuk-table__header">Neglect</th>\n'
        '      <td class="govuk-table__cell govuk-table__cell--numeric">2</td>\n'
        '      <td class="govuk-table__cell govuk-table__cell--numeric">1</td>'
    )
    assert neglect in page
    page = page_of(analyst_client.get(url, {"local_area_team": lats["clifton"].pk}))
    assert "1 training record" in page and "Al A" not in page
    page = page_of(
        analyst_client.get(
            url, {"course": "neglect", "completed_from_0": "1", "completed_from_1": "4", "completed_from_2": "2026"}
        )
    )
    assert "1 training record" in page and "Bea B" not in page
    page = page_of(analyst_client.get(url, {"course": "mental_health"}))
    assert "No training records match these filters." in page


def test_training_list_empty_state(lat_manager_client):
    assert "No training has been recorded yet." in page_of(lat_manager_client.get(reverse("reporting:training")))


@pytest.mark.parametrize("name", ["training", "training_new", "training_import", "training_import_template"])
def test_training_pages_open_to_the_analyst_and_managers_not_workers(
    name, analyst_client, lat_manager_client, cfs_worker_client, anonymous_client
):
    url = reverse(f"reporting:{name}")
    assert analyst_client.get(url).status_code == 200
    assert lat_manager_client.get(url).status_code == 200
    assert cfs_worker_client.get(url).status_code == 403
    assert anonymous_client.get(url).status_code == 302


def test_training_import_is_forbidden_to_a_worker(cfs_worker_client, lats):
    response = import_file(cfs_worker_client, csv_of("Ann Able,ann@example.org,,,neglect,,2026-02-01"))
    assert response.status_code == 403
    assert not TrainingRecord.objects.exists()


@pytest.mark.parametrize("count", [2, 20])
def test_training_list_query_count_is_constant(analyst_client, lats, count, django_assert_num_queries):
    agency = AgencyFactory(name="Test Agency")
    recorder = UserFactory()
    for n in range(count):
        record(email=f"p{n}@example.org", agency=agency, local_area_team=lats["hob-moor"], recorded_by=recorder)
    with django_assert_num_queries(LIST_QUERIES):
        response = analyst_client.get(reverse("reporting:training"))
    assert response.status_code == 200
