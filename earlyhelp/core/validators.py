"""Validators for identifiers used by more than one app: NHS numbers and UK postcodes."""

import re

from django.core.exceptions import ValidationError

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")


def nhs_number_normalise(value: str) -> str:
    """Strip spaces and hyphens, so '943 476 5919' is stored as '9434765919'."""
    return re.sub(r"[\s-]", "", value or "")


def nhs_number_is_valid(value: str) -> bool:
    """True for 10 digits whose last is the modulus 11 check digit of the first nine."""
    digits = nhs_number_normalise(value)
    if not re.fullmatch(r"[0-9]{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def validate_nhs_number(value: str) -> None:
    if not nhs_number_is_valid(value):
        raise ValidationError("Enter a valid NHS number, 10 digits like 943 476 5919", code="invalid_nhs_number")


def postcode_normalise(value: str) -> str:
    """Upper-case with one space before the inward code: 'yo310aa' becomes 'YO31 0AA'."""
    compact = re.sub(r"\s+", "", (value or "").upper())
    match = _POSTCODE.match(compact)
    if not match:
        return (value or "").strip().upper()
    return f"{match.group(1)} {match.group(2)}"


def validate_postcode(value: str) -> None:
    if not _POSTCODE.match(re.sub(r"\s+", "", (value or "").upper())):
        raise ValidationError("Enter a full UK postcode, like YO31 0AA", code="invalid_postcode")


def postcode_sector(value: str) -> str:
    """The sector of a valid postcode: 'YO31 0AA' is in sector 'YO31 0'."""
    return postcode_normalise(value)[:-2]


def postcode_district(value: str) -> str:
    """The outward code of a valid postcode: 'YO31 0AA' is in district 'YO31'."""
    return postcode_normalise(value).split(" ")[0]
