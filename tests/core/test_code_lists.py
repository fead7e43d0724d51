"""Code lists come from the cache after the first read, and a change to one of their rows is seen at once."""

import pytest

from earlyhelp.core.code_lists import code_list
from tests.factories import LocalAreaTeamFactory

pytestmark = pytest.mark.django_db


def test_a_code_list_is_read_once_then_served_from_the_cache(django_assert_num_queries):
    LocalAreaTeamFactory(slug="acomb", name="Acomb")
    with django_assert_num_queries(1):
        first = code_list("local_area_teams")
    with django_assert_num_queries(0):
        again = code_list("local_area_teams")

    assert [team.name for team in again] == [team.name for team in first]
    assert "Acomb" in [team.name for team in first]


def test_saving_or_deleting_a_row_drops_its_code_list_so_the_next_read_sees_the_change():
    team = LocalAreaTeamFactory(slug="acomb", name="Acomb")
    code_list("local_area_teams")

    team.name = "Acomb and Westfield"
    team.save()
    assert "Acomb and Westfield" in [t.name for t in code_list("local_area_teams")]

    added = LocalAreaTeamFactory(slug="haxby", name="Haxby")
    assert "Haxby" in [t.name for t in code_list("local_area_teams")]
    added.delete()
    assert "Haxby" not in [t.name for t in code_list("local_area_teams")]


def test_the_family_lawful_basis_is_a_code_list(django_assert_num_queries):
    first = code_list("family_lawful_basis")
    with django_assert_num_queries(0):
        assert code_list("family_lawful_basis") == first
