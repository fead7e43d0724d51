from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import AssessmentSection, EarlyHelpAssessment
from assessments.sections import SECTIONS, SECTIONS_BY_KEY
from assessments.selectors import assessment_comparison, needs_for_plan
from assessments.services import (
    AssessmentError,
    _transition,
    assessment_decide,
    assessment_start,
    assessment_submit,
    scaling_save,
    section_save,
)
from cases.selectors import families_visible_to
from earlyhelp.accounts.models import Notification
from tests.assessment_fixtures import complete_everything, years_ago
from tests.factories import FamilyMemberFactory, PersonFactory

pytestmark = pytest.mark.django_db
Status = EarlyHelpAssessment.Status
ALLOWED = {
    (Status.DRAFT, Status.SUBMITTED),
    (Status.SUBMITTED, Status.AUTHORISED),
    (Status.SUBMITTED, Status.RETURNED),
    (Status.RETURNED, Status.SUBMITTED),
    (Status.AUTHORISED, Status.SUPERSEDED),
}


@pytest.mark.parametrize("start", Status.values)
@pytest.mark.parametrize("end", Status.values)
def test_assessment_state_machine_allows_only_the_listed_transitions(start, end):
    assessment = EarlyHelpAssessment(status=start)
    if (start, end) in ALLOWED:
        _transition(assessment, end)
    else:
        with pytest.raises(AssessmentError, match="cannot become"):
            _transition(assessment, end)


def _section(assessment, key, person=None):
    section = assessment.sections.select_related("person").get(key=key, person=person)
    section.spec = SECTIONS_BY_KEY[key]
    return section


def test_assessment_start_creates_every_section_and_one_per_child(draft):
    per_child = [s.key for s in SECTIONS if s.per_child]
    assert draft.sections.count() == len(SECTIONS), "one row each; per-child sections once for the one child"
    assert sorted(draft.sections.filter(person__isnull=False).values_list("key", flat=True)) == sorted(per_child)
    assert draft.version == 1 and draft.status == Status.DRAFT


def test_assessment_start_needs_consent_to_engage_and_store(own_family, cfs_worker_user):
    person = FamilyMemberFactory(family=own_family).person
    with pytest.raises(AssessmentError, match="has not given consent"):
        assessment_start(user=cfs_worker_user, family=own_family, subjects=[person])


def test_assessment_start_by_a_partner_without_consent_is_refused(granted_family, partner_user):
    person = FamilyMemberFactory(family=granted_family).person
    with pytest.raises(AssessmentError, match="has not given consent"):
        assessment_start(user=partner_user, family=granted_family, subjects=[person])


def test_assessment_start_by_a_partner_grants_them_the_family(consenting_family, partner_user):
    from tests.factories import ConsentShareFactory

    ConsentShareFactory(consent=consenting_family.consents.get(), agency=None, agency_type="school")
    assert not families_visible_to(partner_user).filter(pk=consenting_family.pk).exists()
    people = [m.person for m in consenting_family.members.all()]
    assessment_start(user=partner_user, family=consenting_family, subjects=people)
    assert families_visible_to(partner_user).filter(pk=consenting_family.pk).exists()


def test_assessment_start_refuses_a_second_one_in_progress(draft, consenting_family, cfs_worker_user):
    with pytest.raises(AssessmentError, match="already has an assessment in progress"):
        assessment_start(user=cfs_worker_user, family=consenting_family, subjects=[draft.subjects.first().person])


def test_section_save_completed_needs_every_required_answer_but_a_draft_does_not(draft, cfs_worker_user):
    section = _section(draft, "reason")
    with pytest.raises(ValidationError, match="Answer: Why is the family being assessed now"):
        section_save(user=cfs_worker_user, section=section, answers={"reason": ""}, complete=True)
    section_save(user=cfs_worker_user, section=section, answers={"reason": "Started"}, complete=False)
    section.refresh_from_db()
    assert (section.status, section.answers["reason"]) == ("in_progress", "Started")
    assert section.history.count() == 2, "every save of a section keeps a history row"


def test_voice_of_a_child_aged_5_or_over_needs_words_or_a_reason(draft, cfs_worker_user):
    child = draft.subjects.get(is_child=True).person
    section = _section(draft, "voice", child)
    with pytest.raises(ValidationError, match="is 8: record what they said"):
        section_save(user=cfs_worker_user, section=section, answers={"seen": "yes", "seen_alone": "no"}, complete=True)
    answers = {"seen": "no", "seen_alone": "no", "not_recorded_reason": "Away at a residential trip all month"}
    section_save(user=cfs_worker_user, section=section, answers=answers, complete=True)
    assert section.status == "completed"


def test_voice_of_a_baby_is_not_required(consenting_family, cfs_worker_user):
    baby = FamilyMemberFactory(family=consenting_family, person=PersonFactory(date_of_birth=years_ago(1))).person
    people = [m.person for m in consenting_family.members.all()]
    assessment = assessment_start(user=cfs_worker_user, family=consenting_family, subjects=people)
    section = _section(assessment, "voice", baby)
    section_save(user=cfs_worker_user, section=section, answers={"seen": "yes", "seen_alone": "no"}, complete=True)


def test_scaling_outside_0_to_10_is_refused(draft, cfs_worker_user):
    section = _section(draft, "scaling")
    with pytest.raises(ValidationError, match="from 0 to 10"):
        scaling_save(user=cfs_worker_user, section=section, scores=[(None, 11, "")], complete=False)
    with pytest.raises(ValidationError, match="practitioner's score"):
        scaling_save(user=cfs_worker_user, section=section, scores=[(None, None, "")], complete=True)


def test_submit_with_incomplete_sections_lists_what_is_left(draft, cfs_worker_user):
    with pytest.raises(AssessmentError, match="Still to do: Reason for the assessment"):
        assessment_submit(user=cfs_worker_user, assessment=draft)


def test_submit_refuses_a_completion_date_before_the_start(draft, cfs_worker_user):
    complete_everything(draft, cfs_worker_user)
    with pytest.raises(ValidationError, match="on or after the start date"):
        assessment_submit(user=cfs_worker_user, assessment=draft, completed_on=draft.started_on - timedelta(days=1))
    assessment_submit(user=cfs_worker_user, assessment=draft)
    assert draft.status == Status.SUBMITTED and draft.completed_on == timezone.localdate()


def test_return_for_changes_round_trip_then_authorise_and_tell_the_assessor(
    draft, cfs_worker_user, lat_manager_user, other_lat_user
):
    complete_everything(draft, cfs_worker_user)
    assessment_submit(user=cfs_worker_user, assessment=draft)
    with pytest.raises(AssessmentError, match="Only a manager of the family's Local Area Team"):
        assessment_decide(user=other_lat_user, assessment=draft, approve=True)
    with pytest.raises(ValidationError, match="Say what needs to change"):
        assessment_decide(user=lat_manager_user, assessment=draft, approve=False, comments="")
    assessment_decide(user=lat_manager_user, assessment=draft, approve=False, comments="Add the school's view")
    assert draft.status == Status.RETURNED
    section = _section(draft, "reason")
    section_save(user=cfs_worker_user, section=section, answers=section.answers | {"reason": "Updated"}, complete=True)
    assessment_submit(user=cfs_worker_user, assessment=draft)
    assessment_decide(user=lat_manager_user, assessment=draft, approve=True)
    assert (draft.status, draft.decided_by) == (Status.AUTHORISED, lat_manager_user)
    messages = list(Notification.objects.filter(user=cfs_worker_user).values_list("message", flat=True))
    assert any("returned for changes" in m for m in messages) and any("authorised" in m for m in messages)
    assert len(mail.outbox) == 2 and mail.outbox[0].to == [cfs_worker_user.email]
    assert "Parent" not in mail.outbox[0].body, "no personal data in the e-mail"


def test_an_authorised_assessment_cannot_be_changed(draft, cfs_worker_user, lat_manager_user):
    complete_everything(draft, cfs_worker_user)
    assessment_submit(user=cfs_worker_user, assessment=draft)
    assessment_decide(user=lat_manager_user, assessment=draft, approve=True)
    with pytest.raises(AssessmentError, match="authorised and can no longer be changed"):
        section_save(user=cfs_worker_user, section=_section(draft, "reason"), answers={}, complete=False)


def test_authorising_a_new_assessment_supersedes_the_old_and_compares_with_it(
    draft, consenting_family, cfs_worker_user, lat_manager_user
):
    complete_everything(draft, cfs_worker_user)
    assessment_submit(user=cfs_worker_user, assessment=draft)
    assessment_decide(user=lat_manager_user, assessment=draft, approve=True)
    people = [m.person for m in consenting_family.members.all()]
    second = assessment_start(user=cfs_worker_user, family=consenting_family, subjects=people)
    complete_everything(second, cfs_worker_user)
    scaling_save(user=cfs_worker_user, section=_section(second, "scaling"), scores=[(None, 7, "Better")], complete=True)
    assessment_submit(user=cfs_worker_user, assessment=second)
    assessment_decide(user=lat_manager_user, assessment=second, approve=True)
    draft.refresh_from_db()
    assert (draft.status, second.version) == (Status.SUPERSEDED, 2)
    comparison = assessment_comparison(assessment=second, previous=draft)
    assert comparison["scalings"] == [{"participant": "Practitioner", "before": 4, "now": 7}]
    plan_needs = needs_for_plan(assessment=second)
    assert [(n["headline"], n["for_whom"], n["baseline"]) for n in plan_needs] == [("housing", "Whole family", 7)]


def test_needs_for_plan_is_empty_until_authorised(draft):
    assert needs_for_plan(assessment=draft) == []


def test_every_section_row_keeps_its_history_with_the_user(draft, cfs_worker_user):
    from earlyhelp.audit.context import acting_as

    section = _section(draft, "household")
    with acting_as(cfs_worker_user):
        section_save(user=cfs_worker_user, section=section, answers={"household": "Mum and Eight"}, complete=False)
    assert section.history.first().history_user == cfs_worker_user
    assert AssessmentSection.history.filter(assessment_id=draft.pk).count() == draft.sections.count() + 1


def test_the_assessors_agency_lead_is_granted_the_family_and_may_authorise(consenting_family, partner_user):
    from earlyhelp.core import perms
    from locality.services import membership_add
    from tests.factories import AgencyFactory, ConsentShareFactory, TeamFactory, UserFactory

    ConsentShareFactory(consent=consenting_family.consents.get(), agency=None, agency_type="school")
    school = partner_user.agency
    lead = UserFactory(full_name="School Lead", agency=school)
    membership_add(user=lead, team=TeamFactory(agency=school, name="School leads"), role=perms.AGENCY_LEAD)
    other = UserFactory(full_name="Other Lead", agency=AgencyFactory(name="Another School", type="school"))
    membership_add(user=other, team=TeamFactory(agency=other.agency, name="Other leads"), role=perms.AGENCY_LEAD)
    people = [m.person for m in consenting_family.members.all()]
    assessment = assessment_start(user=partner_user, family=consenting_family, subjects=people)
    complete_everything(assessment, partner_user)
    assessment_submit(user=partner_user, assessment=assessment)
    assert families_visible_to(lead).filter(pk=consenting_family.pk).exists()
    assert lead.tasks.filter(title__startswith="Authorise or return").exists()
    with pytest.raises(AssessmentError, match="early help lead of the assessor's agency"):
        assessment_decide(user=other, assessment=assessment, approve=True)
    assessment_decide(user=lead, assessment=assessment, approve=True)
    assert assessment.status == Status.AUTHORISED


def test_nobody_authorises_their_own_assessment(consenting_family, lat_manager_user):
    people = [m.person for m in consenting_family.members.all()]
    assessment = assessment_start(user=lat_manager_user, family=consenting_family, subjects=people)
    complete_everything(assessment, lat_manager_user)
    assessment_submit(user=lat_manager_user, assessment=assessment)
    with pytest.raises(AssessmentError, match="can authorise or return"):
        assessment_decide(user=lat_manager_user, assessment=assessment, approve=True)


def test_removing_the_last_need_reopens_the_section_and_blocks_submission(draft, cfs_worker_user):
    from assessments.services import need_remove

    complete_everything(draft, cfs_worker_user)
    need_remove(user=cfs_worker_user, need=draft.needs.get())
    assert draft.sections.get(key="needs").status == "in_progress"
    with pytest.raises(AssessmentError, match="Identified needs"):
        assessment_submit(user=cfs_worker_user, assessment=draft)


def test_sharing_with_the_agency_lead_is_logged_as_a_disclosure(consenting_family, partner_user):
    from consent.models import DisclosureLog
    from earlyhelp.core import perms
    from locality.services import membership_add
    from tests.factories import ConsentShareFactory, TeamFactory, UserFactory

    ConsentShareFactory(consent=consenting_family.consents.get(), agency=None, agency_type="school")
    lead = UserFactory(agency=partner_user.agency)
    membership_add(user=lead, team=TeamFactory(agency=partner_user.agency, name="Leads"), role=perms.AGENCY_LEAD)
    people = [m.person for m in consenting_family.members.all()]
    assessment = assessment_start(user=partner_user, family=consenting_family, subjects=people)
    complete_everything(assessment, partner_user)
    assessment_submit(user=partner_user, assessment=assessment)
    log = DisclosureLog.objects.get(recipient_user=lead)
    assert (log.family, log.disclosed_by, log.basis) == (consenting_family, partner_user, "consent")
