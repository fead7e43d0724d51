"""Validation that spares the queries which cannot fail, and still refuses everything full_clean refuses."""

import pytest
from django.core.exceptions import ValidationError

from cases.models import FamilyPlan, Goal
from documents.models import DocumentRequest
from earlyhelp.core.validation import full_clean_new, full_clean_only
from tests.factories import FamilyPlanFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    return FamilyPlanFactory()


def test_a_new_row_whose_foreign_keys_were_read_is_validated_without_a_query(plan, django_assert_num_queries):
    goal = Goal(plan=plan, text="At school by 8:50 every day", baseline=3, target=8, latest=3, position=1)
    with django_assert_num_queries(0):
        full_clean_new(goal)


def test_a_new_row_still_has_its_fields_clean_and_unknown_foreign_keys_refused(plan):
    goal = Goal(plan_id=plan.pk + 1000, text="", baseline=3, target=11, latest=3, position=1)
    with pytest.raises(ValidationError) as refused:
        full_clean_new(goal)
    assert set(refused.value.message_dict) == {"plan", "text", "target"}


def test_a_new_row_still_runs_clean(plan):
    goal = Goal(plan=plan, text="Calmer mornings", baseline=6, target=4, latest=6, position=1)
    with pytest.raises(ValidationError, match="The target must be higher"):
        full_clean_new(goal)


def test_a_new_row_still_checks_its_constraints():
    request = DocumentRequest(kind="plan", requested_by=UserFactory(), template_version="plan-1")
    with pytest.raises(ValidationError, match="document_request_has_a_subject"):
        full_clean_new(request)


def test_a_stored_row_checks_only_the_fields_being_written(plan, django_assert_num_queries):
    plan.summary = "Steady routines"
    plan.version = 0  # invalid, but not being written: left alone as when it was saved
    with django_assert_num_queries(0):
        full_clean_only(plan, "summary")
    goal = Goal(plan=plan, text="", baseline=3, target=8, latest=3, position=1)
    with pytest.raises(ValidationError) as refused:
        full_clean_only(goal, "text")
    assert set(refused.value.message_dict) == {"text"}


def test_a_stored_row_keeps_the_unique_checks_of_the_fields_written(plan):
    other = FamilyPlanFactory(episode=plan.episode, family=plan.family, version=plan.version + 1, status="agreed")
    other.version = plan.version
    with pytest.raises(ValidationError, match="this Episode and Version already exists"):
        full_clean_only(other, "episode", "version")
    assert FamilyPlan.objects.count() == 2
