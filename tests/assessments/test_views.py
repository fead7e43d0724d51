import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentSection, EarlyHelpAssessment
from assessments.services import assessment_decide, assessment_start, assessment_submit
from tests.assessment_fixtures import complete_everything, years_ago
from tests.factories import ConsentRecordFactory, FamilyFactory, FamilyMemberFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _url(name, assessment, **kwargs):
    return reverse(f"assessments:{name}", kwargs={"uuid": assessment.uuid, **kwargs})


def test_start_page_starts_an_assessment_and_shows_the_task_list(cfs_worker_client, consenting_family):
    people = [m.person.pk for m in consenting_family.members.all()]
    today = timezone.localdate()
    data = {"subjects": people, "started_on_0": today.day, "started_on_1": today.month, "started_on_2": today.year}
    response = cfs_worker_client.post(reverse("assessments:start", kwargs={"uuid": consenting_family.uuid}), data)
    assessment = EarlyHelpAssessment.objects.get()
    assert response["Location"] == _url("summary", assessment)
    page = cfs_worker_client.get(response["Location"]).content.decode()
    assert "govuk-task-list" in page and "sections still to complete" in page


def test_start_page_without_consent_says_what_to_do(cfs_worker_client, own_family):
    person = FamilyMemberFactory(family=own_family).person
    page = cfs_worker_client.post(
        reverse("assessments:start", kwargs={"uuid": own_family.uuid}),
        {"subjects": [person.pk], "started_on_0": "1", "started_on_1": "1", "started_on_2": "2026"},
    ).content.decode()
    assert "Record their consent first" in page


def test_save_and_come_back_later_keeps_the_answers(cfs_worker_client, draft):
    url = _url("section", draft, key="household")
    cfs_worker_client.post(url, {"household": "Mum and Eight", "later": "1"})
    section = draft.sections.get(key="household")
    assert (section.status, section.answers["household"]) == ("in_progress", "Mum and Eight")
    assert "Mum and Eight" in cfs_worker_client.get(url).content.decode()


def test_very_long_answers_are_kept_and_shown_escaped(cfs_worker_client, draft):
    long_text = "<b>x</b>" * 6250  # 50,000 characters
    url = _url("section", draft, key="reason")
    response = cfs_worker_client.post(url, {"reason": long_text, "family_view": "ok", "complete": "1"})
    assert response.status_code == 302
    assert draft.sections.get(key="reason").answers["reason"] == long_text
    page = cfs_worker_client.get(url).content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page


def test_scaling_page_refuses_scores_outside_0_to_10(cfs_worker_client, draft):
    page = cfs_worker_client.post(
        _url("section", draft, key="scaling"), {"score_practitioner": "11", "complete": "1"}
    ).content.decode()
    assert "Enter a score from 0 to 10" in page and "govuk-error-summary" in page


def test_submit_with_incomplete_sections_is_refused_on_the_page(cfs_worker_client, draft):
    today = timezone.localdate()
    data = {"completed_on_0": today.day, "completed_on_1": today.month, "completed_on_2": today.year}
    page = cfs_worker_client.post(_url("submit", draft), data).content.decode()
    assert "Complete every section before submitting" in page


def test_an_authorised_assessment_shows_read_only_and_refuses_edits(
    cfs_worker_client, cfs_worker_user, lat_manager_user, draft
):
    complete_everything(draft, cfs_worker_user)
    assessment_submit(user=cfs_worker_user, assessment=draft)
    assessment_decide(user=lat_manager_user, assessment=draft, approve=True)
    page = cfs_worker_client.get(_url("summary", draft)).content.decode()
    assert "Authorised" in page and "About reason" in page and "govuk-task-list" not in page
    response = cfs_worker_client.post(_url("section", draft, key="reason"), {"reason": "Changed", "complete": "1"})
    assert response.status_code == 302
    assert draft.sections.get(key="reason").answers["reason"] == "About reason"


def test_manager_returns_and_authorises_through_the_decision_page(
    lat_manager_client, cfs_worker_client, cfs_worker_user, draft
):
    complete_everything(draft, cfs_worker_user)
    assessment_submit(user=cfs_worker_user, assessment=draft)
    page = lat_manager_client.post(_url("decide", draft), {"decision": "return"}).content.decode()
    assert "Say what needs to change" in page
    lat_manager_client.post(_url("decide", draft), {"decision": "return", "comments": "More on housing"})
    draft.refresh_from_db()
    assert draft.status == "returned"
    home = cfs_worker_client.get(reverse("core:home")).content.decode()
    assert "returned for changes" in home


def _family_with_children(lats, count):
    family = FamilyFactory(local_area_team=lats["tang-hall"])
    FamilyMemberFactory(
        family=family, role="parent", parental_responsibility=True, person=PersonFactory(date_of_birth=years_ago(30))
    )
    for _ in range(count):
        FamilyMemberFactory(family=family, person=PersonFactory(date_of_birth=years_ago(9)))
    ConsentRecordFactory(family=family, status="given", engage=True, store=True)
    return family


@pytest.mark.parametrize("children", [1, 6])
def test_summary_page_query_count_is_constant_in_the_number_of_children(
    cfs_worker_client, cfs_worker_user, lats, children, django_assert_num_queries
):
    family = _family_with_children(lats, children)
    people = [m.person for m in family.members.all()]
    assessment = assessment_start(user=cfs_worker_user, family=family, subjects=people)
    assert assessment.sections.filter(person__isnull=False).count() == 2 * children
    # Session, user, permissions, assessment, sections, scalings, needs, previous, access event: 12. The session is
    # not saved (it was saved at sign-in, less than a minute ago).
    with django_assert_num_queries(12):
        response = cfs_worker_client.get(_url("summary", assessment))
    assert response.status_code == 200
    assert AssessmentSection.objects.filter(assessment=assessment).count() > children
