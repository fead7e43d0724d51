"""Bad input through the consent forms: never a server error, always a clear answer, nothing half-saved."""

import os
from datetime import date

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import FamilyMember
from consent.models import ConsentRecord, DisclosureLog
from tests.factories import FamilyMemberFactory, PersonFactory

pytestmark = pytest.mark.django_db

fuzz = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.one_of(st.text(max_size=300), st.sampled_from(["", "\x00", "<script>alert(1)</script>", "9" * 5000]))
choice = st.one_of(text, st.sampled_from(["given", "refused", "requested", "school", "health", "written", "1", "-1"]))
date_part = st.one_of(st.sampled_from(["", "0", "29", "2", "2015", "2099", "99999999999999999999"]), text)


@pytest.fixture
def household(own_family):
    parent = FamilyMemberFactory(
        family=own_family,
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
        person=PersonFactory(date_of_birth=date(1988, 6, 1)),
    ).person
    return own_family, parent


def _assert_answered(response, before: int) -> None:
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert "govuk-error-summary" in response.content.decode()
        assert ConsentRecord.objects.count() == before


@fuzz
@given(
    decision=choice,
    giver=st.one_of(choice, st.just("PARENT")),
    kind=choice,
    judgement=text,
    types=st.lists(choice, max_size=3),
    method=choice,
    day=date_part,
    month=date_part,
    year=date_part,
)
def test_consent_new_never_errors_on_arbitrary_input(
    cfs_worker_client, household, decision, giver, kind, judgement, types, method, day, month, year
):
    family, parent = household
    before = ConsentRecord.objects.count()
    data = {
        "decision": decision,
        "subjects": [parent.pk],
        "given_by": parent.pk if giver == "PARENT" else giver,
        "giver_kind": kind,
        "competence_judgement": judgement,
        "engage": "on",
        "share_agency_types": types,
        "method": method,
        "review_on_0": day,
        "review_on_1": month,
        "review_on_2": year,
        "notice_shown": "on",
    }
    response = cfs_worker_client.post(reverse("consent:new", kwargs={"uuid": family.uuid}), data)
    _assert_answered(response, before)


@fuzz
@given(reason=choice, detail=text, approver=choice, day=date_part, month=date_part, year=date_part)
def test_consent_override_never_errors_on_arbitrary_input(
    lat_manager_client, household, reason, detail, approver, day, month, year
):
    family, parent = household
    before = ConsentRecord.objects.count()
    data = {
        "reason": reason,
        "detail": detail,
        "subjects": [parent.pk],
        "approver": approver,
        "review_on_0": day,
        "review_on_1": month,
        "review_on_2": year,
    }
    response = lat_manager_client.post(reverse("consent:override", kwargs={"uuid": family.uuid}), data)
    _assert_answered(response, before)


@fuzz
@given(reason=text, practitioner=choice)
def test_withdraw_and_share_never_error_on_arbitrary_input(cfs_worker_client, household, reason, practitioner):
    family, parent = household
    from tests.factories import ConsentRecordFactory

    consent = ConsentRecordFactory(family=family, status="given", given_by=parent)
    url = reverse("consent:withdraw", kwargs={"uuid": family.uuid, "consent_uuid": consent.uuid})
    response = cfs_worker_client.post(url, {"reason": reason})
    assert response.status_code in (200, 302)
    consent.refresh_from_db()
    assert (consent.status == "withdrawn") == (response.status_code == 302)
    share = cfs_worker_client.post(
        reverse("consent:share", kwargs={"uuid": family.uuid}), {"practitioner": practitioner}
    )
    assert share.status_code == 200
    assert not DisclosureLog.objects.exists()
