"""Case audits: a Tang Hall manager audits a worker's assessment and plan or direct work against the checklist;
the worker is told and reads it; other managers of the team see it in their list; everyone else gets 404 or 403."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from cases.services import family_restricted_allow
from earlyhelp.accounts.models import Notification
from reporting.audits import CHECKLISTS, NO, NOT_APPLICABLE, OWN_WORK, YES
from reporting.models import CaseAudit
from tests.auth import signed_in_client
from tests.factories import (
    AllocatedEpisodeFactory,
    AssessmentFactory,
    FamilyFactory,
    FamilyPlanFactory,
    InterventionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

AP = CaseAudit.Kind.ASSESSMENT_PLAN
DW = CaseAudit.Kind.DIRECT_WORK
# Session, user, user and group permissions (4); the page's count (1) and rows with family, worker, auditor and
# team joined (1), each limited to the teams the manager manages. The session is not saved (it was saved at sign-in,
# less than a minute ago).
LIST_QUERIES = 6


@pytest.fixture
def work(own_family, cfs_worker_user):
    """A Tang Hall family whose episode Chris Worker leads, with an assessment, a plan and an intervention."""
    episode = AllocatedEpisodeFactory(family=own_family, lead_practitioner=cfs_worker_user)
    return {
        "family": own_family,
        "episode": episode,
        "assessment": AssessmentFactory(family=own_family, assessor=cfs_worker_user),
        "plan": FamilyPlanFactory(episode=episode, created_by=cfs_worker_user),
        "intervention": InterventionFactory(episode=episode, worker=cfs_worker_user),
    }


def new_url(family, kind: str = "") -> str:
    url = reverse("reporting:case_audit_new", kwargs={"uuid": family.uuid})
    return f"{url}?kind={kind}" if kind else url


def answers(kind: str, answer: str = YES) -> dict:
    return {f"check_{key}": answer for key, _ in CHECKLISTS[kind]}


def posted(work, worker, kind: str = AP, **changes) -> dict:
    data = {"worker": worker.pk, "episode": work["episode"].pk, "grade": "good", "comments": "Clear, child-centred."}
    if kind == AP:
        data |= {"assessment": work["assessment"].pk, "plan": work["plan"].pk}
    else:
        data |= {"intervention": work["intervention"].pk}
    return data | answers(kind) | changes


def record(client, work, worker, kind: str = AP, **changes):
    return client.post(new_url(work["family"], kind), posted(work, worker, kind, **changes))


def audit_of(work, auditor, worker, **fields) -> CaseAudit:
    values = {
        "kind": AP,
        "family": work["family"],
        "episode": work["episode"],
        "local_area_team": work["family"].local_area_team,
        "worker": worker,
        "auditor": auditor,
        "audited_on": "2026-10-01",
        "grade": "good",
        "checklist": {key: YES for key, _ in CHECKLISTS[AP]},
        "comments": "Good work.",
    } | fields
    return CaseAudit.objects.create(**values)


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_case_audit_new_records_an_assessment_and_plan_audit_and_tells_the_worker(
    lat_manager_client, lat_manager_user, cfs_worker_user, work
):
    response = record(
        lat_manager_client, work, cfs_worker_user, check_smart_goals=NO, check_reviewed_on_time=NOT_APPLICABLE
    )

    audit = CaseAudit.objects.get()
    assert response.url == reverse("reporting:case_audit", kwargs={"uuid": audit.uuid})
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Audit recorded. Chris Worker has been told."]
    assert (audit.kind, audit.grade, audit.auditor, audit.worker) == (AP, "good", lat_manager_user, cfs_worker_user)
    assert (audit.assessment, audit.plan, audit.intervention) == (work["assessment"], work["plan"], None)
    assert audit.local_area_team == work["family"].local_area_team
    assert audit.checklist["smart_goals"] == NO and audit.checklist["reviewed_on_time"] == NOT_APPLICABLE
    assert audit.checklist["voice_of_child"] == YES and len(audit.checklist) == 6
    assert audit.worker_told_at is not None
    told = Notification.objects.get(user=cfs_worker_user)
    assert told.message == "Mel Manager audited your assessment and plan for the Ownteam family: good practice"
    assert told.url == reverse("reporting:case_audit", kwargs={"uuid": audit.uuid})


def test_case_audit_new_records_direct_work_with_its_intervention(lat_manager_client, cfs_worker_user, work):
    record(lat_manager_client, work, cfs_worker_user, kind=DW, grade="inadequate")

    audit = CaseAudit.objects.get()
    assert (audit.kind, audit.grade, audit.intervention) == (DW, "inadequate", work["intervention"])
    assert audit.plan is None and audit.assessment is None
    assert set(audit.checklist) == {key for key, _ in CHECKLISTS[DW]}


def test_case_audit_new_asks_for_the_kind_first(lat_manager_client, work):
    page = errors_of(lat_manager_client.get(new_url(work["family"])))
    assert "What work are you auditing?" in page and "Continue" in page

    page = errors_of(lat_manager_client.get(new_url(work["family"], "nonsense")))
    assert "What work are you auditing?" in page

    page = errors_of(lat_manager_client.get(new_url(work["family"], DW)))
    assert "Sessions recorded within 2 working days" in page and "The voice of the child" not in page


def test_case_audit_new_says_what_is_missing_when_continued_without_a_kind(lat_manager_client, work):
    page = lat_manager_client.get(new_url(work["family"]) + "?step=kind").content.decode()
    assert "There is a problem" in page and "Choose what kind of work you are auditing" in page
    get_form = page[page.index('<form method="get"') :].split("</form>", 1)[0]
    assert "csrfmiddlewaretoken" not in get_form  # the token would go into the address


def test_case_audit_new_requires_every_answer_a_grade_and_comments(lat_manager_client, cfs_worker_user, work):
    data = posted(work, cfs_worker_user, DW, comments="  ")
    del data["check_child_seen"], data["grade"]
    page = errors_of(lat_manager_client.post(new_url(work["family"], DW), data))

    assert "Answer &#x27;The child was seen and their views recorded&#x27;: yes, no or not applicable" in page
    assert "Choose a grade" in page
    assert "Enter your comments on the work" in page
    assert not CaseAudit.objects.exists()


def test_case_audit_new_requires_the_assessment_or_the_plan(lat_manager_client, cfs_worker_user, work):
    page = errors_of(record(lat_manager_client, work, cfs_worker_user, assessment="", plan=""))
    assert "Choose the assessment, the plan, or both" in page
    assert not CaseAudit.objects.exists()


def test_case_audit_new_refuses_records_of_another_family(lat_manager_client, cfs_worker_user, work, lats):
    elsewhere = FamilyPlanFactory(
        episode=AllocatedEpisodeFactory(family=FamilyFactory(local_area_team=lats["tang-hall"]))
    )
    stranger = UserFactory()
    page = errors_of(record(lat_manager_client, work, cfs_worker_user, plan=elsewhere.pk))
    assert "Choose the plan from the list" in page
    page = errors_of(record(lat_manager_client, work, stranger))
    assert "Choose a worker from the list" in page
    assert not CaseAudit.objects.exists()


def test_case_audit_new_refuses_a_managers_own_work(lat_manager_client, lat_manager_user, work):
    work["episode"].lead_practitioner = lat_manager_user
    work["episode"].save()
    page = errors_of(record(lat_manager_client, work, lat_manager_user))
    assert OWN_WORK in page
    assert not CaseAudit.objects.exists()


def test_case_audit_new_is_404_outside_the_managers_team(lat_manager_client, other_family):
    assert lat_manager_client.get(new_url(other_family)).status_code == 404


def test_case_audit_new_is_forbidden_without_the_permission(cfs_worker_client, analyst_client, work):
    assert cfs_worker_client.get(new_url(work["family"])).status_code == 403
    assert analyst_client.get(new_url(work["family"])).status_code == 403


def test_family_page_links_managers_to_the_audit(lat_manager_client, cfs_worker_client, work):
    family_url = reverse("cases:family_detail", kwargs={"uuid": work["family"].uuid})
    assert "Audit this family's work" in lat_manager_client.get(family_url).content.decode()
    assert "Audit this family" not in cfs_worker_client.get(family_url).content.decode()


def test_case_audit_is_read_by_the_auditor_the_teams_managers_and_the_worker(
    lat_manager_user, cfs_worker_user, second_manager_user, work, lat_manager_client, cfs_worker_client, client
):
    audit = audit_of(work, lat_manager_user, cfs_worker_user, grade="requires_improvement")
    url = reverse("reporting:case_audit", kwargs={"uuid": audit.uuid})
    signed_in_client(second_manager_user, client)
    for reader in (lat_manager_client, cfs_worker_client, client):
        page = errors_of(reader.get(url))
        assert "Requires improvement" in page and "The voice of the child is recorded" in page
        assert "Ownteam family" in page


def test_case_audit_is_404_to_anyone_else(
    lat_manager_user, cfs_worker_user, work, other_lat_client, analyst_client, lats, client
):
    audit = audit_of(work, lat_manager_user, cfs_worker_user)
    url = reverse("reporting:case_audit", kwargs={"uuid": audit.uuid})
    colleague = UserFactory()
    signed_in_client(colleague, client)
    assert other_lat_client.get(url).status_code == 404
    assert analyst_client.get(url).status_code == 404
    assert client.get(url).status_code == 404


@pytest.fixture
def restricted_audit(restricted_family, lat_manager_user, cfs_worker_user):
    """An audit, by an allow-listed Tang Hall manager, of Chris Worker's work on a restricted Tang Hall family."""
    family_restricted_allow(family=restricted_family, user=lat_manager_user)
    episode = AllocatedEpisodeFactory(family=restricted_family, lead_practitioner=cfs_worker_user)
    return audit_of(
        {"family": restricted_family, "episode": episode}, lat_manager_user, cfs_worker_user, comments="Sensitive."
    )


def test_case_audit_of_a_restricted_family_is_404_to_a_manager_off_its_allow_list(
    restricted_audit, restricted_family, second_manager_user, lat_manager_client, cfs_worker_client, client
):
    url = reverse("reporting:case_audit", kwargs={"uuid": restricted_audit.uuid})
    signed_in_client(second_manager_user, client)
    assert client.get(url).status_code == 404
    page = errors_of(client.get(reverse("reporting:case_audits")))
    assert restricted_family.reference not in page and "There are no audits of your teams' work yet." in page
    # The auditor and the worker audited still read it.
    assert "Sensitive." in errors_of(lat_manager_client.get(url))
    assert "Sensitive." in errors_of(cfs_worker_client.get(url))

    family_restricted_allow(family=restricted_family, user=second_manager_user)
    assert "Sensitive." in errors_of(client.get(url))
    page = errors_of(client.get(reverse("reporting:case_audits")))
    assert "1 audit." in page and restricted_family.reference in page


def test_case_audits_lists_the_teams_audits_by_kind_and_grade(
    lat_manager_client, lat_manager_user, second_manager_user, cfs_worker_user, work, other_family, other_lat_user
):
    audit_of(work, second_manager_user, cfs_worker_user, comments="Mine")
    audit_of(work, second_manager_user, cfs_worker_user, kind=DW, grade="inadequate", intervention=work["intervention"])
    elsewhere = AllocatedEpisodeFactory(family=other_family, lead_practitioner=other_lat_user)
    audit_of(
        {"family": other_family, "episode": elsewhere},
        UserFactory(),
        other_lat_user,
        local_area_team=other_family.local_area_team,
    )
    url = reverse("reporting:case_audits")

    page = errors_of(lat_manager_client.get(url))
    assert "2 audits." in page and "Otherteam" not in page and "Olly Other" not in page
    page = errors_of(lat_manager_client.get(url, {"kind": DW}))
    assert "1 audit." in page and "Inadequate" in page
    page = errors_of(lat_manager_client.get(url, {"grade": "requires_improvement"}))
    assert "No audits match these filters." in page


def test_case_audits_is_forbidden_to_a_worker_who_sees_their_own_instead(
    cfs_worker_client, lat_manager_user, cfs_worker_user, work
):
    assert cfs_worker_client.get(reverse("reporting:case_audits")).status_code == 403
    page = errors_of(cfs_worker_client.get(reverse("reporting:my_audits")))
    assert "None of your work has been audited yet." in page

    audit_of(work, lat_manager_user, cfs_worker_user)
    page = errors_of(cfs_worker_client.get(reverse("reporting:my_audits")))
    assert "Mel Manager" in page and "Good practice" in page


def test_case_audits_empty_for_a_manager_without_audits(lat_manager_client):
    page = errors_of(lat_manager_client.get(reverse("reporting:case_audits")))
    assert "There are no audits of your teams' work yet." in page


@pytest.mark.parametrize("count", [2, 20])
def test_case_audits_query_count_is_constant(
    lat_manager_client, second_manager_user, cfs_worker_user, work, count, django_assert_num_queries
):
    for _ in range(count):
        audit_of(work, second_manager_user, cfs_worker_user)
    with django_assert_num_queries(LIST_QUERIES):
        response = lat_manager_client.get(reverse("reporting:case_audits"))
    assert response.status_code == 200
