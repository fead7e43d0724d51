"""Small-number suppression for the indicators downloads: which figures are left out so that no count of 1 to 4
families can be read, or worked out by subtraction, from the York file and the team files together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reporting.indicators import CITY, Figure

SMALL = range(1, 5)  # a count of 1 to 4 could identify a family


@dataclass(frozen=True)
class Hidden:
    """Which parts of one area's figure a download leaves out (a value worked out from either is left out too)."""

    numerator: bool = False
    denominator: bool = False

    @property
    def any(self) -> bool:
        return self.numerator or self.denominator


def suppression(figures: Mapping[int | None, Figure | None], *, unit: str) -> dict[int | None, Hidden]:
    """What to leave out of one indicator's month, for York (key CITY) and every Local Area Team (key: its id).

    Decided over all the areas together, so the York file and each team's file (separate downloads of the same
    figures) leave out the same cells:

    1. Primary: a numerator or denominator of 1 to 4 is left out.
    2. Complementary: for a rate (unit "percent") a numerator is left out when the denominator minus it is 1 to 4,
       since "38 of 40" says 2 were not.
    3. Secondary, for the numerators and then the denominators separately: York is the sum of the teams (plus
       any records with no team) for most indicators, so when exactly one area's figure is left out it could be
       worked out as York minus the others. Then the team with the next-smallest non-zero figure still shown is
       left out as well (York itself when no team has one). The same is done when nothing is left out but York
       minus the teams (the records with no team) is 1 to 4.

    A zero is left out only by rule 2 ("0 of 3" says all 3 were not), and is never the figure chosen in rule 3,
    since hiding it would protect nothing. A figure of None (not recorded) counts as 0. An area missing
    from `figures` is not in the result.
    """
    numerators = {area: figure.numerator if figure else None for area, figure in figures.items()}
    denominators = {area: figure.denominator if figure else None for area, figure in figures.items()}
    hidden_numerators = {area for area, number in numerators.items() if number in SMALL}
    hidden_denominators = {area for area, number in denominators.items() if number in SMALL}
    if unit == "percent":
        hidden_numerators |= {
            area
            for area, figure in figures.items()
            if figure and figure.denominator is not None and figure.denominator - figure.numerator in SMALL
        }
    _hide_one_more_if_one_is_alone(numerators, hidden_numerators)
    _hide_one_more_if_one_is_alone(denominators, hidden_denominators)
    return {
        area: Hidden(numerator=area in hidden_numerators, denominator=area in hidden_denominators) for area in figures
    }


def _hide_one_more_if_one_is_alone(numbers: Mapping[int | None, int | None], hidden: set[int | None]) -> None:
    """Step 3 of `suppression`, for one of numerator or denominator: adds to `hidden` in place."""
    city = numbers.get(CITY)
    if city is None:
        return  # no York figure: nothing to subtract from
    teams = {area: number or 0 for area, number in numbers.items() if area is not CITY}
    no_team = city - sum(teams.values())
    if len(hidden) != 1 and not (not hidden and no_team in SMALL):
        return
    shown = sorted((number, area) for area, number in teams.items() if area not in hidden and number > 0)
    hidden.add(shown[0][1] if shown else CITY)
