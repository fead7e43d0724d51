"""Writes for assessments: start, save sections, scaling, analysis and needs, submit, authorise or return."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.models import AssessmentSection, AssessmentSubject, EarlyHelpAssessment, Need, Scaling
from assessments.sections import NEEDS, SECTIONS, VOICE
from assessments.selectors import assessment_in_progress, consent_allows_assessment
from cases.models import Family, FamilyMember, Task
from cases.selectors import families_visible_to
from cases.services import family_access_grant
from consent.services import ConsentError, family_share_with_practitioner
from earlyhelp.accounts.services import notify
from earlyhelp.core import perms
from earlyhelp.core.states import status_move
from locality.selectors import team_ids_with_case_access

VOICE_FROM_AGE = 5
Status = EarlyHelpAssessment.Status


class AssessmentError(Exception):
    """A change to an assessment the rules refuse; the message is shown to the user."""


def _transition(assessment: EarlyHelpAssessment, status: str) -> None:
    status_move(assessment, status, error=AssessmentError, noun="An assessment")


def _editable(assessment: EarlyHelpAssessment) -> None:
    if not assessment.is_editable:
        raise AssessmentError(
            f"This assessment is {assessment.get_status_display().lower()} and can no longer be changed"
        )


@transaction.atomic
def assessment_start(*, user, family: Family, subjects, started_on=None) -> EarlyHelpAssessment:
    """Start a draft assessment with a section row for every section (and every child for per-child ones)."""
    if not consent_allows_assessment(family=family):
        raise AssessmentError(
            "The family has not given consent to take part in early help and to have their information stored. "
            "Record their consent first (or a manager can record a safeguarding override)."
        )
    if assessment_in_progress(family=family):
        raise AssessmentError("This family already has an assessment in progress. Continue that one instead.")
    if not subjects:
        raise ValidationError({"subjects": "Choose who the assessment covers"})
    started_on = started_on or timezone.localdate()
    if started_on > timezone.localdate():
        raise ValidationError({"started_on": "The start date must be today or in the past"})
    roles = dict(FamilyMember.objects.filter(family=family).values_list("person_id", "role"))
    if any(person.pk not in roles for person in subjects):
        raise ValidationError({"subjects": "Everyone the assessment covers must be a member of this family"})
    assessment = EarlyHelpAssessment.objects.create(
        family=family,
        version=family.assessments.count() + 1,
        assessor=user,
        organisation=user.agency,
        started_on=started_on,
    )
    children = [p for p in subjects if roles[p.pk] == FamilyMember.Role.CHILD]
    for person in subjects:
        AssessmentSubject.objects.create(assessment=assessment, person=person, is_child=person in children)
    position = 0
    for spec in SECTIONS:
        for person in children if spec.per_child else [None]:
            position += 1
            AssessmentSection.objects.create(assessment=assessment, key=spec.key, person=person, position=position)
    if not families_visible_to(user).filter(pk=family.pk, restricted=False).exists():
        family_access_grant(family=family, user=user)
    return assessment


def _missing_answers(section: AssessmentSection, answers: dict) -> dict[str, str]:
    errors = {
        q.name: f"Answer: {q.label}"
        for q in section.spec.questions
        if q.required and not str(answers.get(q.name, "")).strip()
    }
    if section.key == VOICE and section.person is not None:
        age = section.person.age_on(section.assessment.started_on)
        words = str(answers.get("words", "")).strip()
        reason = str(answers.get("not_recorded_reason", "")).strip()
        if age is not None and age >= VOICE_FROM_AGE and not words and not reason:
            errors["words"] = (
                f"{section.person} is {age}: record what they said, or say why their voice could not be recorded"
            )
    return errors


@transaction.atomic
def section_save(*, user, section: AssessmentSection, answers: dict, complete: bool) -> AssessmentSection:
    """Save a section's answers. Marking it completed needs every required answer; a draft needs none."""
    _editable(section.assessment)
    if complete:
        errors = _missing_answers(section, answers)
        if errors:
            raise ValidationError(errors)
    section.answers = answers
    section.status = AssessmentSection.Status.COMPLETED if complete else AssessmentSection.Status.IN_PROGRESS
    section.save(update_fields=["answers", "status", "updated_at"])
    return section


@transaction.atomic
def scaling_save(*, user, section: AssessmentSection, scores: list[tuple], complete: bool) -> None:
    """Record each participant's 0 to 10 score and note; `scores` holds (person or None, score, note)."""
    assessment = section.assessment
    _editable(assessment)
    for person, score, note in scores:
        if score is None:
            Scaling.objects.filter(assessment=assessment, person=person).delete()
            continue
        if not 0 <= score <= 10:
            raise ValidationError({"scores": "Enter a score from 0 to 10"})
        Scaling.objects.update_or_create(assessment=assessment, person=person, defaults={"score": score, "note": note})
    if complete and not Scaling.objects.filter(assessment=assessment, person__isnull=True).exists():
        raise ValidationError({"practitioner_score": "Enter the practitioner's score from 0 to 10"})
    section_save(user=user, section=section, answers={}, complete=complete)


@transaction.atomic
def analysis_save(
    *, user, section: AssessmentSection, level_of_need, pathway: str, analysis: str, complete: bool
) -> None:
    """Record the analysis, the level of need and the recommended pathway."""
    assessment = section.assessment
    _editable(assessment)
    if complete:
        errors = {}
        if not level_of_need:
            errors["level_of_need"] = "Select the level of need"
        if not pathway:
            errors["pathway"] = "Select the recommended pathway"
        if not analysis.strip():
            errors["analysis"] = "Write the analysis"
        if errors:
            raise ValidationError(errors)
    assessment.level_of_need = level_of_need or None
    assessment.pathway = pathway
    assessment.analysis = analysis
    assessment.full_clean()
    assessment.save(update_fields=["level_of_need", "pathway", "analysis", "updated_at"])
    section_save(user=user, section=section, answers={}, complete=complete)


@transaction.atomic
def need_add(*, user, assessment: EarlyHelpAssessment, headline: str, description: str, person=None) -> Need:
    _editable(assessment)
    if person is not None and not assessment.subjects.filter(person=person).exists():
        raise ValidationError({"person": "Choose someone the assessment covers"})
    need = Need(assessment=assessment, person=person, headline=headline, description=description.strip())
    need.full_clean()
    need.save()
    for section in assessment.sections.filter(key=NEEDS, status=AssessmentSection.Status.NOT_STARTED):
        section.status = AssessmentSection.Status.IN_PROGRESS
        section.save(update_fields=["status", "updated_at"])
    return need


@transaction.atomic
def need_remove(*, user, need: Need) -> None:
    """Remove a need; the section must be completed again afterwards."""
    assessment = need.assessment
    _editable(assessment)
    need.delete()
    for section in assessment.sections.filter(key=NEEDS, status=AssessmentSection.Status.COMPLETED):
        section.status = AssessmentSection.Status.IN_PROGRESS
        section.save(update_fields=["status", "updated_at"])


@transaction.atomic
def needs_complete(*, user, section: AssessmentSection) -> None:
    assessment = section.assessment
    if assessment.level_of_need != EarlyHelpAssessment.Level.UNIVERSAL and not assessment.needs.exists():
        raise AssessmentError("Add at least one identified need")
    section_save(user=user, section=section, answers={}, complete=True)


@transaction.atomic
def assessment_submit(*, user, assessment: EarlyHelpAssessment, completed_on=None) -> EarlyHelpAssessment:
    """Submit for authorisation: every section completed, and the completion date after the start."""
    _editable(assessment)
    left = [s for s in assessment.sections.select_related("person") if s.status != AssessmentSection.Status.COMPLETED]
    if left:
        names = ", ".join(_section_name(s) for s in left)
        raise AssessmentError(f"Complete every section before submitting. Still to do: {names}")
    if assessment.level_of_need != EarlyHelpAssessment.Level.UNIVERSAL and not assessment.needs.exists():
        raise AssessmentError("Add at least one identified need before submitting")
    completed_on = completed_on or timezone.localdate()
    if completed_on > timezone.localdate():
        raise ValidationError({"completed_on": "The completion date must be today or in the past"})
    if completed_on < assessment.started_on:
        raise ValidationError({"completed_on": "The completion date must be on or after the start date"})
    _transition(assessment, Status.SUBMITTED)
    assessment.completed_on = completed_on
    assessment.full_clean()
    assessment.save(update_fields=["status", "completed_on", "updated_at"])
    due = timezone.localdate() + timedelta(days=5)
    title = f"Authorise or return {assessment}"
    Task.objects.create(family=assessment.family, title=title, team=assessment.family.local_area_team, due_on=due)
    for lead in _agency_leads(assessment).exclude(pk=user.pk):
        try:
            family_share_with_practitioner(user=user, family=assessment.family, practitioner=lead)
        except ConsentError:
            continue  # consent no longer covers the agency: the team's managers will decide
        Task.objects.create(family=assessment.family, title=title, assigned_to=lead, due_on=due)
    return assessment


def may_decide(*, user, assessment: EarlyHelpAssessment) -> bool:
    """A manager of the family's team, or the early help lead of the agency that completed the assessment."""
    if not user.has_perm(perms.AUTHORISE_ASSESSMENT) or user.pk == assessment.assessor_id:
        return False  # nobody authorises their own assessment
    if team_ids_with_case_access(user).filter(pk=assessment.family.local_area_team_id).exists():
        return True
    return _agency_leads(assessment).filter(pk=user.pk).exists()


def _agency_leads(assessment: EarlyHelpAssessment):
    from earlyhelp.accounts.models import User

    if assessment.organisation_id is None:
        return User.objects.none()
    return User.objects.filter(
        is_active=True, agency_id=assessment.organisation_id, memberships__role=perms.AGENCY_LEAD
    ).distinct()


def _section_name(section: AssessmentSection) -> str:
    from assessments.sections import SECTIONS_BY_KEY

    title = SECTIONS_BY_KEY[section.key].title
    return f"{title} ({section.person})" if section.person_id else title


@transaction.atomic
def assessment_decide(*, user, assessment: EarlyHelpAssessment, approve: bool, comments: str = "") -> None:
    """A Local Area Team manager of the family's team authorises the assessment or returns it with comments."""
    if not may_decide(user=user, assessment=assessment):
        raise AssessmentError(
            "Only a manager of the family's Local Area Team, or the early help lead of the assessor's agency, "
            "can authorise or return this assessment"
        )
    if not approve and not comments.strip():
        raise ValidationError({"comments": "Say what needs to change"})
    if approve:
        for previous in assessment.family.assessments.filter(status=Status.AUTHORISED).exclude(pk=assessment.pk):
            _transition(previous, Status.SUPERSEDED)
            previous.save(update_fields=["status", "updated_at"])
    _transition(assessment, Status.AUTHORISED if approve else Status.RETURNED)
    assessment.decided_by = user
    assessment.decided_at = timezone.now()
    assessment.return_comments = "" if approve else comments.strip()
    assessment.save(update_fields=["status", "decided_by", "decided_at", "return_comments", "updated_at"])
    for task in assessment.family.tasks.filter(status=Task.Status.OPEN, title=f"Authorise or return {assessment}"):
        task.status = Task.Status.DONE
        task.completed_on = timezone.localdate()
        task.save(update_fields=["status", "completed_on", "updated_at"])
    outcome = "authorised" if approve else "returned for changes"
    notify(
        user=assessment.assessor,
        message=f"{assessment} for the {assessment.family.name} family was {outcome} by {user}.",
        url=reverse("assessments:summary", kwargs={"uuid": assessment.uuid}),
    )
