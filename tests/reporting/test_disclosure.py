"""Small-number suppression for the indicators downloads: counts of 1 to 4 left out, a rate's count left out when it
gives away a remainder of 1 to 4, and one more team left out whenever a single left-out figure could be worked out
as York minus the other teams."""

import random

from reporting.disclosure import SMALL, Hidden, suppression
from reporting.indicators import CITY, Figure

TANG_HALL, HOB_MOOR, CLIFTON = 1, 2, 3


def counts(york, tang_hall, hob_moor, clifton) -> dict:
    return {
        CITY: Figure(numerator=york),
        TANG_HALL: Figure(numerator=tang_hall),
        HOB_MOOR: Figure(numerator=hob_moor),
        CLIFTON: Figure(numerator=clifton),
    }


def rates(*pairs) -> dict:
    """(numerator, denominator) for York, Tang Hall, Hob Moor and Clifton."""
    areas = (CITY, TANG_HALL, HOB_MOOR, CLIFTON)
    return {area: Figure(numerator=n, denominator=d) for area, (n, d) in zip(areas, pairs, strict=True)}


def hidden_numerators(result) -> set:
    return {area for area, hidden in result.items() if hidden.numerator}


def hidden_denominators(result) -> set:
    return {area for area, hidden in result.items() if hidden.denominator}


def test_suppression_hides_the_next_smallest_team_when_one_team_alone_is_small():
    # York 30, Tang Hall 12, Hob Moor 15: Clifton's 3 would be 30 - 12 - 15, so Tang Hall (the next smallest) goes.
    result = suppression(counts(30, 12, 15, 3), unit="count")
    assert hidden_numerators(result) == {CLIFTON, TANG_HALL}
    assert result[CITY] == result[HOB_MOOR] == Hidden()


def test_suppression_leaves_zeros_and_figures_of_five_or_more_alone():
    assert hidden_numerators(suppression(counts(27, 12, 15, 0), unit="count")) == set()
    assert hidden_numerators(suppression(counts(5, 5, 0, 0), unit="count")) == set()


def test_suppression_adds_nothing_when_two_teams_are_already_small():
    assert hidden_numerators(suppression(counts(20, 3, 2, 15), unit="count")) == {TANG_HALL, HOB_MOOR}


def test_suppression_never_hides_a_zero_as_the_second_team():
    # Hob Moor's 0 would hide nothing: the next smallest non-zero is Tang Hall's 25.
    assert hidden_numerators(suppression(counts(29, 25, 0, 4), unit="count")) == {CLIFTON, TANG_HALL}


def test_suppression_of_a_small_york_figure_hides_the_small_teams_in_it():
    result = suppression(counts(4, 3, 1, 0), unit="count")
    assert hidden_numerators(result) == {CITY, TANG_HALL, HOB_MOOR}


def test_suppression_protects_a_small_number_of_records_with_no_team():
    # York 30 is 3 more than the teams: those 3 (records with no team) would be York minus the teams.
    assert hidden_numerators(suppression(counts(30, 12, 15, 0), unit="count")) == {TANG_HALL}


def test_suppression_hides_york_when_no_team_has_a_figure_to_hide_with_it():
    # Clifton's 3 is the only team figure; York's 7 includes 4 records with no team.
    assert hidden_numerators(suppression(counts(7, 0, 0, 3), unit="count")) == {CLIFTON, CITY}


def test_suppression_hides_a_rates_count_that_gives_away_a_remainder_of_1_to_4():
    # Tang Hall's 38 of 40 says 2 were not: its 38 goes, and Clifton's 20 (the next smallest) so York cannot give it.
    result = suppression(rates((88, 100), (38, 40), (30, 40), (20, 20)), unit="percent")
    assert hidden_numerators(result) == {TANG_HALL, CLIFTON}
    assert hidden_denominators(result) == set()


def test_suppression_hides_a_small_denominator_and_one_more_team_with_it():
    result = suppression(rates((10, 44), (0, 4), (5, 20), (5, 20)), unit="percent")
    assert hidden_denominators(result) == {TANG_HALL, HOB_MOOR}  # tied at 20: the first team by id
    # "0 of 4" says all 4 were not: the 0 goes too, and Hob Moor's 5 (the smallest other) with it.
    assert hidden_numerators(result) == {TANG_HALL, HOB_MOOR}


def test_suppression_does_not_treat_an_average_as_a_remainder():
    # 38 days over 40 interventions leaves no one out: only the 1 to 4 rule applies to an average's parts.
    result = suppression(rates((98, 100), (38, 40), (30, 30), (30, 30)), unit="average")
    assert all(hidden == Hidden() for hidden in result.values())


def test_suppression_counts_a_team_not_recorded_as_zero():
    figures = counts(30, 12, 15, 3) | {HOB_MOOR: None}
    assert hidden_numerators(suppression(figures, unit="count")) == {CLIFTON, TANG_HALL}


def test_suppression_of_many_made_up_months_never_leaves_one_figure_to_subtract():
    """York is the sum of the teams in each made-up month: a figure left out must never be the only unknown."""
    rng = random.Random(8)
    for _ in range(2000):
        unit = rng.choice(["count", "percent", "average"])
        teams = {}
        for team in (TANG_HALL, HOB_MOOR, CLIFTON):
            denominator = rng.choice([0, 1, 3, 5, 6, 9, 20, 40])
            numerator = rng.randint(0, denominator) if unit == "percent" else rng.choice([0, 2, 4, 5, 7, 30])
            teams[team] = (numerator, denominator if unit != "count" else None)
        york = (
            sum(n for n, _ in teams.values()),
            None if unit == "count" else sum(d for _, d in teams.values()),
        )
        figures = {area: Figure(numerator=n, denominator=d) for area, (n, d) in {CITY: york, **teams}.items()}
        result = suppression(figures, unit=unit)
        for part in ("numerator", "denominator"):
            hidden = {area for area, one in result.items() if getattr(one, part)}
            assert len(hidden) != 1, (unit, figures, result)
            for area, figure in figures.items():
                if area not in hidden:
                    assert getattr(figure, part) not in SMALL, (unit, figures, result)
        if unit == "percent":
            for area, figure in figures.items():
                if result[area] == Hidden():
                    assert figure.denominator - figure.numerator not in SMALL, (figures, result)
