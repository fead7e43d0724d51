"""Fixtures for assessment tests, shared with the fuzz tests: a consenting family and a draft assessment."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from assessments.models import AssessmentSection
from assessments.sections import ANALYSIS, NEEDS, SCALING, SECTIONS_BY_KEY
from assessments.services import analysis_save, assessment_start, need_add, needs_complete, scaling_save, section_save
from cases.models import FamilyMember
from tests.factories import ConsentRecordFactory, FamilyMemberFactory, PersonFactory


def years_ago(years: int) -> date:
    return timezone.localdate() - timedelta(days=int(years * 365.25) + 10)


@pytest.fixture
def consenting_family(own_family):
    """A Tang Hall family that agreed to take part and to have its information stored."""
    FamilyMemberFactory(
        family=own_family,
        role=FamilyMember.Role.PARENT,
        parental_responsibility=True,
        person=PersonFactory(first_name="Parent", date_of_birth=years_ago(35)),
    )
    FamilyMemberFactory(family=own_family, person=PersonFactory(first_name="Eight", date_of_birth=years_ago(8)))
    ConsentRecordFactory(family=own_family, status="given", engage=True, store=True)
    return own_family


@pytest.fixture
def draft(consenting_family, cfs_worker_user):
    people = [m.person for m in consenting_family.members.select_related("person")]
    return assessment_start(user=cfs_worker_user, family=consenting_family, subjects=people)


def complete_everything(assessment, user) -> None:
    """Fill every section with plausible answers and mark it completed."""
    for section in assessment.sections.select_related("person"):
        section.spec = SECTIONS_BY_KEY[section.key]
        if section.key == SCALING:
            scaling_save(user=user, section=section, scores=[(None, 4, "Some way to go")], complete=True)
        elif section.key == ANALYSIS:
            analysis_save(
                user=user, section=section, level_of_need=3, pathway="partner_led", analysis="A", complete=True
            )
        elif section.key == NEEDS:
            need_add(user=user, assessment=assessment, headline="housing", description="Arrears")
            section.refresh_from_db()
            needs_complete(user=user, section=section)
        else:
            answers = {q.name: ("yes" if q.kind == "yesno" else f"About {q.name}") for q in section.spec.questions}
            section_save(user=user, section=section, answers=answers, complete=True)
    assert not assessment.sections.exclude(status=AssessmentSection.Status.COMPLETED).exists()
