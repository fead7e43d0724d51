"""Bad input through the filters of the team's task list and caseload, sent to the real pages as a manager.

The filters are query-string forms: whatever arrives (markup, quotes, names like O'Brien, Zoë and Nguyễn, NUL,
very long text, numbers that are no one's, huge or negative numbers, page numbers past the end), the page answers
200 with the list (and an error summary for a worker it does not know), never a server error, and echoes
nothing unescaped.
"""

import os

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

fuzz = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

XSS = "<script>alert(1)</script>"
hostile = st.one_of(
    st.sampled_from([XSS, "O'Brien", "Zoë", "Nguyễn", "\x00", "x" * 5000, "-1", "0", "99999999999999999999", "1e3"]),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.text(max_size=50),
)


@fuzz
@given(worker=hostile, overdue=hostile, page=hostile)
def test_team_tasks_filter_never_fails(lat_manager_client, worker, overdue, page):
    response = lat_manager_client.get(reverse("cases:team_tasks"), {"worker": worker, "overdue": overdue, "page": page})
    assert response.status_code == 200
    assert XSS not in response.content.decode()


@fuzz
@given(worker=hostile, page=hostile, interventions_page=hostile)
def test_team_caseload_filter_never_fails(lat_manager_client, cfs_worker_user, worker, page, interventions_page):
    params = {"worker": worker, "page": page, "interventions_page": interventions_page}
    response = lat_manager_client.get(reverse("cases:team_caseload"), params)
    assert response.status_code == 200
    assert XSS not in response.content.decode()


def test_team_caseload_names_an_unknown_worker_in_the_error_summary(lat_manager_client):
    page = lat_manager_client.get(reverse("cases:team_caseload"), {"worker": XSS}).content.decode()
    assert 'class="govuk-error-summary"' in page and "Choose a worker from the list" in page
