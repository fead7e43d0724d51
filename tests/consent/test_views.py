from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.models import FamilyMember
from consent.models import ConsentRecord, DisclosureLog
from earlyhelp.audit.models import AccessEvent
from tests.factories import (
    FamilyMemberFactory,
    LawfulBasisFactory,
    PersonFactory,
    PrivacyNoticeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def household(own_family):
    parent = FamilyMemberFactory(
        family=own_family,
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
        person=PersonFactory(first_name="Pat", date_of_birth=date(1988, 6, 1)),
    ).person
    child = FamilyMemberFactory(family=own_family, person=PersonFactory(date_of_birth=date(2016, 5, 1))).person
    return own_family, parent, child


def _form(parent, child, **overrides):
    data = {
        "decision": "given",
        "subjects": [parent.pk, child.pk],
        "given_by": parent.pk,
        "giver_kind": "parental_responsibility",
        "engage": "on",
        "store": "on",
        "share_agency_types": ["school"],
        "method": "written",
        "review_on_0": "1",
        "review_on_1": "1",
        "review_on_2": str(timezone.localdate().year + 1),
        "notice_shown": "on",
    }
    return data | overrides


def _post(client, family, data):
    return client.post(reverse("consent:new", kwargs={"uuid": family.uuid}), data)


def test_consent_new_records_the_privacy_notice_version_shown(cfs_worker_client, household):
    family, parent, child = household
    notice = PrivacyNoticeFactory(version="2099-test", effective_from=timezone.localdate())
    page = cfs_worker_client.get(reverse("consent:new", kwargs={"uuid": family.uuid})).content.decode()
    assert "Privacy notice 2099-test" in page
    response = _post(cfs_worker_client, family, _form(parent, child))
    assert response.status_code == 302
    assert ConsentRecord.objects.get().privacy_notice == notice


def test_consent_new_without_giver_subjects_or_scope_shows_field_messages(cfs_worker_client, household):
    family, parent, child = household
    data = _form(parent, child, given_by="", subjects=[], engage="", store="", share_agency_types=[])
    page = _post(cfs_worker_client, family, data).content.decode()
    for message in (
        "Choose who gave or refused consent",
        "Choose who the consent covers",
        "Choose at least one thing the family agreed to",
    ):
        assert message in page
    assert 'href="#id_given_by"' in page and 'href="#id_subjects_1"' in page
    assert not ConsentRecord.objects.exists()


def test_consent_new_refuses_a_review_date_in_the_past(cfs_worker_client, household):
    family, parent, child = household
    page = _post(cfs_worker_client, family, _form(parent, child, review_on_2="2020")).content.decode()
    assert "The review date must be in the future" in page


def test_consent_new_young_person_under_12_must_have_the_judgement_recorded(cfs_worker_client, household):
    family, parent, child = household
    data = _form(parent, child, given_by=child.pk, giver_kind="competent_young_person")
    page = _post(cfs_worker_client, family, data).content.decode()
    assert "Record why you judged the young person competent to decide" in page
    assert 'href="#id_competence_judgement"' in page


def test_evidence_upload_refuses_an_executable_renamed_pdf(cfs_worker_client, household):
    family, parent, child = household
    fake = SimpleUploadedFile("consent.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, content_type="application/pdf")
    page = _post(cfs_worker_client, family, _form(parent, child, evidence=fake)).content.decode()
    assert "The evidence file must be a PDF, PNG or JPEG" in page
    assert not ConsentRecord.objects.exists()


def test_evidence_upload_refuses_a_30_mb_file(cfs_worker_client, household):
    family, parent, child = household
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (30 * 1024 * 1024), content_type="application/pdf")
    page = _post(cfs_worker_client, family, _form(parent, child, evidence=big)).content.decode()
    assert "The evidence file must be smaller than 10 MB" in page


def test_evidence_is_stored_privately_and_downloaded_only_through_the_family(cfs_worker_client, household, settings):
    family, parent, child = household
    upload = SimpleUploadedFile("Pat Smith signed form.pdf", PDF, content_type="application/pdf")
    assert _post(cfs_worker_client, family, _form(parent, child, evidence=upload)).status_code == 302
    consent = ConsentRecord.objects.get()
    assert "Smith" not in consent.evidence.name and consent.evidence.name.endswith(".pdf")
    assert not settings.MEDIA_URL or not consent.evidence.name.startswith(settings.STATIC_URL)
    url = reverse("consent:evidence", kwargs={"uuid": family.uuid, "consent_uuid": consent.uuid})
    response = cfs_worker_client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert 'filename="consent-evidence.pdf"' in response["Content-Disposition"]
    assert AccessEvent.objects.filter(action="export", detail="consent evidence").exists()


def test_partner_sees_the_family_with_consent_and_loses_it_at_withdrawal(
    cfs_worker_client, partner_client, partner_user, household
):
    family, parent, child = household
    from cases.services import family_access_grant

    family_access_grant(family=family, user=partner_user)
    family_url = reverse("cases:family_detail", kwargs={"uuid": family.uuid})
    assert partner_client.get(family_url).status_code == 200
    _post(cfs_worker_client, family, _form(parent, child, share_agency_types=["health"]))
    assert partner_client.get(family_url).status_code == 404, "consent does not cover schools"
    _post(cfs_worker_client, family, _form(parent, child))
    assert partner_client.get(family_url).status_code == 200
    for consent in ConsentRecord.objects.filter(status="given"):
        url = reverse("consent:withdraw", kwargs={"uuid": family.uuid, "consent_uuid": consent.uuid})
        assert cfs_worker_client.post(url, {"reason": "The family asked us to stop"}).status_code == 302
    assert partner_client.get(family_url).status_code == 404
    page = cfs_worker_client.get(family_url).content.decode()
    assert "Consent withdrawn" in page and "The family asked us to stop" in page
    assert "Review the plan: consent was withdrawn" in page


def test_share_page_refuses_an_agency_outside_consent_and_says_why(cfs_worker_client, household):
    family, parent, child = household
    _post(cfs_worker_client, family, _form(parent, child))
    police_officer = UserFactory(
        full_name="Officer Dee",
        agency=__import__("tests.factories").factories.AgencyFactory(name="Test Police", type="police"),
    )
    from earlyhelp.core import perms
    from locality.services import membership_add
    from tests.factories import TeamFactory

    membership_add(user=police_officer, team=TeamFactory(agency=police_officer.agency), role=perms.PARTNER_PRACTITIONER)
    url = reverse("consent:share", kwargs={"uuid": family.uuid})
    page = cfs_worker_client.post(url, {"practitioner": police_officer.pk}).content.decode()
    assert "The family has not agreed to share its information with Test Police" in page
    assert "safeguarding override" in page
    assert not DisclosureLog.objects.exists()


def test_share_within_consent_is_listed_on_the_information_shared_page(cfs_worker_client, partner_user, household):
    family, parent, child = household
    _post(cfs_worker_client, family, _form(parent, child))
    response = cfs_worker_client.post(
        reverse("consent:share", kwargs={"uuid": family.uuid}), {"practitioner": partner_user.pk}
    )
    assert response.status_code == 302
    page = cfs_worker_client.get(reverse("consent:disclosures", kwargs={"uuid": family.uuid})).content.decode()
    assert "Access to the family record" in page and partner_user.full_name in page and "Consent" in page


def test_override_page_needs_a_reason_and_records_the_override(
    lat_manager_client, lat_manager_user, second_manager_user, household
):
    family, _, child = household
    url = reverse("consent:override", kwargs={"uuid": family.uuid})
    page = lat_manager_client.post(url, {}).content.decode()
    assert "Select why consent is not being sought" in page and "Describe the risk" in page
    data = {
        "reason": "increases_risk",
        "detail": "Telling dad would put the children at risk",
        "subjects": [child.pk],
        "approver": second_manager_user.pk,
        "review_on_0": "1",
        "review_on_1": "1",
        "review_on_2": str(timezone.localdate().year + 1),
    }
    assert lat_manager_client.post(url, data).status_code == 302
    override = ConsentRecord.objects.get()
    assert (override.status, override.approved_by, override.obtained_by) == (
        "dispensed",
        second_manager_user,
        lat_manager_user,
    )
    page = lat_manager_client.get(reverse("cases:family_detail", kwargs={"uuid": family.uuid})).content.decode()
    assert "Safeguarding override" in page


def test_family_page_warns_30_days_before_review_and_shows_the_lawful_basis(cfs_worker_client, household):
    family, _, _ = household
    LawfulBasisFactory()
    from tests.factories import ConsentRecordFactory

    ConsentRecordFactory(family=family, status="given", review_on=timezone.localdate() + timedelta(days=20))
    page = cfs_worker_client.get(reverse("cases:family_detail", kwargs={"uuid": family.uuid})).content.decode()
    assert "Consent must be reviewed by" in page
    assert "UK GDPR Article 6(1)(e)" in page


def test_answering_a_requested_consent_and_completing_tasks(cfs_worker_client, cfs_worker_user, household):
    family, parent, child = household
    _post(cfs_worker_client, family, _form(parent, child, decision="requested"))
    consent = ConsentRecord.objects.get()
    url = reverse("consent:answer", kwargs={"uuid": family.uuid, "consent_uuid": consent.uuid})
    cfs_worker_client.post(url, {"answer": "maybe"})
    consent.refresh_from_db()
    assert consent.status == "requested", "only 'given' or 'refused' count as an answer"
    cfs_worker_client.post(url, {"answer": "given"})
    consent.refresh_from_db()
    assert consent.status == "given"
    from tests.factories import TaskFactory

    someone_elses = TaskFactory(family=family)
    refused = reverse("cases:task_complete", kwargs={"uuid": family.uuid, "task_uuid": someone_elses.uuid})
    assert "so only they can mark it as done" in cfs_worker_client.post(refused, follow=True).content.decode()
    task = TaskFactory(family=family, assigned_to=cfs_worker_user)
    done = reverse("cases:task_complete", kwargs={"uuid": family.uuid, "task_uuid": task.uuid})
    assert "Task done" in cfs_worker_client.post(done, follow=True).content.decode()
    task.refresh_from_db()
    someone_elses.refresh_from_db()
    assert (task.status, someone_elses.status) == ("done", "open")


def test_consent_form_never_offers_a_restricted_person(cfs_worker_client, household):
    family, parent, child = household
    hidden = FamilyMemberFactory(family=family, person=PersonFactory(first_name="Hiddenname", restricted=True)).person
    page = cfs_worker_client.get(reverse("consent:new", kwargs={"uuid": family.uuid})).content.decode()
    assert "Hiddenname" not in page
    response = _post(cfs_worker_client, family, _form(parent, child, subjects=[parent.pk, hidden.pk]))
    assert response.status_code == 200 and not ConsentRecord.objects.exists()


def test_only_a_manager_can_end_a_safeguarding_override(cfs_worker_client, household, lat_manager_user):
    family, _, _ = household
    from tests.factories import ConsentRecordFactory

    override = ConsentRecordFactory(family=family, status="dispensed", override_reason="significant_harm")
    url = reverse("consent:withdraw", kwargs={"uuid": family.uuid, "consent_uuid": override.uuid})
    page = cfs_worker_client.post(url, {"reason": "No longer needed"}).content.decode()
    assert "Only a MASH manager or a Local Area Team manager can end a safeguarding override" in page
    override.refresh_from_db()
    assert override.status == "dispensed"
