import pytest
from django.core.exceptions import ValidationError

from earlyhelp.core.validators import (
    nhs_number_is_valid,
    postcode_district,
    postcode_normalise,
    postcode_sector,
    validate_nhs_number,
    validate_postcode,
)


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "9990000018"])
def test_nhs_number_is_valid_accepts_correct_check_digits(number):
    assert nhs_number_is_valid(number)


@pytest.mark.parametrize("number", ["9434765918", "943476591", "94347659190", "ABCDEFGHIJ", "", "4857773456"])
def test_nhs_number_is_valid_refuses_wrong_length_letters_and_check_digit(number):
    assert not nhs_number_is_valid(number)


def test_nhs_number_refuses_a_check_digit_of_ten():
    # 0000000060: weighted sum 6 * 2 = 12, 11 - (12 % 11) = 10, which no NHS number may have.
    assert not nhs_number_is_valid("0000000060")
    with pytest.raises(ValidationError, match="valid NHS number"):
        validate_nhs_number("0000000060")


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("yo310aa", "YO31 0AA"), (" YO1 7HH ", "YO1 7HH"), ("sw1a1aa", "SW1A 1AA"), ("EC1A 1BB", "EC1A 1BB")],
)
def test_postcode_normalise_upper_cases_and_spaces(raw, normalised):
    assert postcode_normalise(raw) == normalised
    validate_postcode(raw)


@pytest.mark.parametrize("raw", ["YO31", "12345", "YO31 0A", "not a postcode", "YO31 0AAA", ""])
def test_validate_postcode_refuses_partial_and_malformed_postcodes(raw):
    with pytest.raises(ValidationError, match="full UK postcode"):
        validate_postcode(raw)


def test_postcode_sector_and_district():
    assert postcode_sector("yo31 0aa") == "YO31 0"
    assert postcode_district("YO31 0AA") == "YO31"
