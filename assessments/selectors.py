"""Reads of assessments, always through a family the user may see."""

from django.db.models import QuerySet
from django.http import Http404

from assessments.models import AssessmentSection, EarlyHelpAssessment, Need, Scaling
from assessments.sections import SECTIONS_BY_KEY
from cases.selectors import families_visible_to
from consent.models import ConsentRecord


def assessments_visible_to(user) -> QuerySet[EarlyHelpAssessment]:
    return EarlyHelpAssessment.objects.filter(family__in=families_visible_to(user))


def assessment_get(*, user, uuid) -> EarlyHelpAssessment:
    """An assessment of a family `user` may see, or 404."""
    try:
        return (
            assessments_visible_to(user)
            .select_related("family", "family__local_area_team", "assessor", "organisation", "decided_by")
            .get(uuid=uuid)
        )
    except (EarlyHelpAssessment.DoesNotExist, ValueError):
        raise Http404("No such assessment") from None


def assessment_sections(*, assessment: EarlyHelpAssessment) -> list[AssessmentSection]:
    """Every section row in task-list order, each with its spec attached; one query however many children."""
    sections = list(assessment.sections.select_related("person"))
    for section in sections:
        section.spec = SECTIONS_BY_KEY[section.key]
    return sections


def section_get(*, assessment: EarlyHelpAssessment, key: str, person_uuid=None) -> AssessmentSection:
    if key not in SECTIONS_BY_KEY:
        raise Http404("No such section")
    filters = {"person__uuid": person_uuid} if person_uuid else {"person__isnull": True}
    try:
        section = assessment.sections.select_related("person").get(key=key, **filters)
    except (AssessmentSection.DoesNotExist, ValueError):
        raise Http404("No such section") from None
    section.spec = SECTIONS_BY_KEY[key]
    return section


def consent_allows_assessment(*, family) -> bool:
    """Starting an assessment needs consent to engage and to store, or a safeguarding override."""
    return (
        ConsentRecord.objects.filter(family=family).filter(status=ConsentRecord.Status.DISPENSED).exists()
        or ConsentRecord.objects.filter(
            family=family, status=ConsentRecord.Status.GIVEN, engage=True, store=True
        ).exists()
    )


def assessment_in_progress(*, family) -> EarlyHelpAssessment | None:
    return family.assessments.filter(
        status__in=(
            EarlyHelpAssessment.Status.DRAFT,
            EarlyHelpAssessment.Status.SUBMITTED,
            EarlyHelpAssessment.Status.RETURNED,
        )
    ).first()


def assessment_previous(*, assessment: EarlyHelpAssessment) -> EarlyHelpAssessment | None:
    return (
        EarlyHelpAssessment.objects.filter(family_id=assessment.family_id, version__lt=assessment.version)
        .order_by("-version")
        .first()
    )


def assessment_comparison(*, assessment: EarlyHelpAssessment, previous: EarlyHelpAssessment) -> dict:
    """How scaling and needs changed between two assessments of the same family."""
    scalings = {}
    for scaling in Scaling.objects.filter(assessment__in=[assessment, previous]).select_related("person"):
        row = scalings.setdefault(scaling.participant, {"participant": scaling.participant})
        row["now" if scaling.assessment_id == assessment.pk else "before"] = scaling.score
    needs = {}
    for need in Need.objects.filter(assessment__in=[assessment, previous]):
        row = needs.setdefault(need.headline, {"headline": need.get_headline_display(), "now": 0, "before": 0})
        row["now" if need.assessment_id == assessment.pk else "before"] += 1
    return {"scalings": list(scalings.values()), "needs": sorted(needs.values(), key=lambda r: r["headline"])}


def needs_for_plan(*, assessment: EarlyHelpAssessment) -> list[dict]:
    """An authorised assessment's needs, shaped for pre-filling plan goals (used by the plans feature)."""
    if assessment.status != EarlyHelpAssessment.Status.AUTHORISED:
        return []
    return [
        {
            "need_uuid": need.uuid,
            "headline": need.headline,
            "headline_label": need.get_headline_display(),
            "person_uuid": need.person.uuid if need.person_id else None,
            "for_whom": str(need.person) if need.person_id else "Whole family",
            "description": need.description,
            "baseline": assessment_practitioner_score(assessment=assessment),
        }
        for need in assessment.needs.select_related("person")
    ]


def assessment_practitioner_score(*, assessment: EarlyHelpAssessment) -> int | None:
    scaling = assessment.scalings.filter(person__isnull=True).first()
    return scaling.score if scaling else None
