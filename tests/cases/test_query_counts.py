"""Pages run a fixed number of queries however many rows they show (QUALITY.md: lists <= 12, detail <= 20)."""

from itertools import pairwise

import pytest
from django.urls import reverse

from tests.factories import (
    AssessmentFactory,
    ConsentRecordFactory,
    ConsentShareFactory,
    FamilyFactory,
    FamilyMemberFactory,
    ProfessionalInvolvementFactory,
    RelationshipFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

# Session, user, role permissions, then the page's own queries. Access-event writes included. The session is not
# saved (it was saved at sign-in, less than a minute ago).
# The family page: family, members, relationships, involvements, consent records, their shares,
# lawful basis, open tasks, assessments, and the access event (lock the chain head, insert, update).
FAMILY_LIST_QUERIES = 6  # the list pages by keyset: no count
FAMILY_PAGE_QUERIES = 17


def _families(lats, count):
    for _ in range(count):
        FamilyFactory(local_area_team=lats["tang-hall"])


def _family_with_members(lats, count):
    family = FamilyFactory(local_area_team=lats["tang-hall"])
    members = [FamilyMemberFactory(family=family) for _ in range(count)]
    for first, second in pairwise(members):
        RelationshipFactory(family=family, person=first.person, relative=second.person, kind="sibling")
        ProfessionalInvolvementFactory(family=family, person=first.person)
        ConsentShareFactory(
            consent=ConsentRecordFactory(family=family, status="given"), agency=None, agency_type="school"
        )
        TaskFactory(family=family)
        AssessmentFactory(family=family)
    return family


@pytest.mark.parametrize("count", [2, 30])
def test_family_list_query_count_is_constant(cfs_worker_client, lats, count, django_assert_num_queries):
    _families(lats, count)
    with django_assert_num_queries(FAMILY_LIST_QUERIES):
        response = cfs_worker_client.get(reverse("cases:family_list"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [2, 30])
def test_family_page_query_count_is_constant(cfs_worker_client, lats, count, django_assert_num_queries):
    family = _family_with_members(lats, count)
    with django_assert_num_queries(FAMILY_PAGE_QUERIES):
        response = cfs_worker_client.get(reverse("cases:family_detail", kwargs={"uuid": family.uuid}))
    assert response.status_code == 200
