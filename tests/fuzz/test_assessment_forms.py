"""Bad input through the assessment forms: never a server error; refused input changes nothing."""

import os

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import Need, Scaling

pytestmark = pytest.mark.django_db

fuzz = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
text = st.one_of(st.text(max_size=200), st.sampled_from(["", "\x00", "<script>alert(1)</script>", "x" * 50_001]))
number = st.one_of(text, st.integers(-1000, 1000).map(str), st.sampled_from(["0", "10", "11", "-1", "5.5", "1e3"]))


@fuzz
@given(reason=text, family_view=text, button=st.sampled_from(["complete", "later"]))
def test_section_page_never_errors(cfs_worker_client, draft, reason, family_view, button):
    url = reverse("assessments:section", kwargs={"uuid": draft.uuid, "key": "reason"})
    response = cfs_worker_client.post(url, {"reason": reason, "family_view": family_view, button: "1"})
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "govuk-error-summary" in response.content.decode()


@fuzz
@given(score=number, note=text)
def test_scaling_page_never_errors_and_stores_only_0_to_10(cfs_worker_client, draft, score, note):
    url = reverse("assessments:section", kwargs={"uuid": draft.uuid, "key": "scaling"})
    response = cfs_worker_client.post(url, {"score_practitioner": score, "note_practitioner": note, "complete": "1"})
    assert response.status_code in (200, 302)
    assert all(0 <= s <= 10 for s in Scaling.objects.values_list("score", flat=True))


@fuzz
@given(headline=text, person=number, description=text)
def test_needs_page_never_errors(cfs_worker_client, draft, headline, person, description):
    before = Need.objects.count()
    url = reverse("assessments:needs", kwargs={"uuid": draft.uuid})
    response = cfs_worker_client.post(
        url, {"headline": headline, "person": person, "description": description, "add": "1"}
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Need.objects.count() == before


@fuzz
@given(decision=text, comments=text, day=number, month=number, year=number)
def test_submit_and_decision_pages_never_error(
    cfs_worker_client, lat_manager_client, draft, decision, comments, day, month, year
):
    data = {"completed_on_0": day, "completed_on_1": month, "completed_on_2": year}
    assert cfs_worker_client.post(reverse("assessments:submit", kwargs={"uuid": draft.uuid}), data).status_code == 200
    response = lat_manager_client.post(
        reverse("assessments:decide", kwargs={"uuid": draft.uuid}), {"decision": decision, "comments": comments}
    )
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.status == "draft", "a draft cannot be authorised or returned"
