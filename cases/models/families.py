"""People, families, the relationships between them, and the professionals involved."""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.models import UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from cases.codes import Ethnicity, SenStatus, Sex
from earlyhelp.core.models import DomainModel
from earlyhelp.core.validators import validate_nhs_number, validate_postcode

NAME_MAX = 100
upn_format = RegexValidator(
    r"^[A-Z][0-9]{11}[0-9A-Z]$", "Enter a valid unique pupil number, 13 characters like A123456789012"
)


SEARCH_NAME_MAX = 2 * NAME_MAX + 1


def person_search_name(first_name: str, last_name: str) -> str:
    """The lower-case name that search matches on. Lower-casing can lengthen a name ('İ' becomes two
    characters), so it is cut to fit its column."""
    return f"{first_name} {last_name}".lower()[:SEARCH_NAME_MAX]


class Person(DomainModel):
    first_name = models.CharField(max_length=NAME_MAX)
    middle_names = models.CharField(max_length=NAME_MAX, blank=True)
    last_name = models.CharField(max_length=NAME_MAX)
    other_names = models.CharField("other names", max_length=300, blank=True, help_text="Aliases and previous names")
    date_of_birth = models.DateField(null=True, blank=True)
    expected_date_of_birth = models.DateField(null=True, blank=True, help_text="For an unborn child")
    sex = models.CharField(max_length=12, choices=Sex.choices, default=Sex.NOT_STATED)
    ethnicity = models.CharField(max_length=4, choices=Ethnicity.choices, default=Ethnicity.NOBT)
    first_language = models.CharField(max_length=60, blank=True)
    interpreter_needed = models.BooleanField(default=False)
    disability = models.BooleanField(default=False)
    sen_status = models.CharField(
        "special educational needs", max_length=12, choices=SenStatus.choices, default=SenStatus.NONE
    )
    school = models.ForeignKey(
        "locality.Agency",
        verbose_name="school or setting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pupils",
    )
    gp_practice = models.ForeignKey(
        "locality.Agency",
        verbose_name="GP practice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="patients",
    )
    nhs_number = models.CharField("NHS number", max_length=10, blank=True, validators=[validate_nhs_number])
    upn = models.CharField("unique pupil number", max_length=13, blank=True, validators=[upn_format])
    deceased_on = models.DateField(null=True, blank=True)
    restricted = models.BooleanField(default=False, help_text="Hidden from everyone but the allow-list")
    search_name = models.CharField(max_length=SEARCH_NAME_MAX, editable=False, db_index=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                fields=["nhs_number"],
                condition=~Q(nhs_number=""),
                name="person_nhs_number_unique",
                violation_error_message="A person with this NHS number already has a record",
            ),
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=True) | Q(expected_date_of_birth__isnull=True),
                name="person_born_or_expected",
                violation_error_message="Give a date of birth or an expected date of birth, not both",
            ),
        ]
        indexes = [
            models.Index(fields=["date_of_birth"], name="person_date_of_birth"),
            # A search by date of birth also looks for an unborn baby due that day.
            models.Index(
                fields=["expected_date_of_birth"],
                name="person_expected_birth",
                condition=models.Q(expected_date_of_birth__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_names, self.last_name) if part)

    @property
    def is_unborn(self) -> bool:
        return self.date_of_birth is None and self.expected_date_of_birth is not None

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    def clean(self) -> None:
        today = timezone.localdate()
        errors = {}
        if self.date_of_birth and self.date_of_birth > today:
            errors["date_of_birth"] = "Date of birth must be today or in the past"
        if self.date_of_birth and self.date_of_birth.year < 1900:
            errors["date_of_birth"] = "Date of birth must be after 1900"
        if self.expected_date_of_birth and self.date_of_birth:
            errors["expected_date_of_birth"] = "Give a date of birth or an expected date of birth, not both"
        elif self.expected_date_of_birth and not (
            today - timedelta(days=60) <= self.expected_date_of_birth <= today + timedelta(days=300)
        ):
            errors["expected_date_of_birth"] = "An expected date of birth must be within the next 10 months"
        if self.deceased_on and self.deceased_on > today:
            errors["deceased_on"] = "Date of death must be today or in the past"
        if self.deceased_on and self.date_of_birth and self.deceased_on < self.date_of_birth:
            errors["deceased_on"] = "Date of death must be after the date of birth"
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.search_name = person_search_name(self.first_name, self.last_name)
        super().save(*args, **kwargs)


class PersonAddress(DomainModel):
    """Where a person has lived: the current address has no `moved_out`."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="addresses")
    address_line_1 = models.CharField(max_length=200)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, default="York")
    postcode = models.CharField(max_length=8, validators=[validate_postcode])
    moved_in = models.DateField(null=True, blank=True)
    moved_out = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-moved_in"]
        verbose_name_plural = "person addresses"


class Family(DomainModel):
    """The case unit: a household and the people around it, held by one Local Area Team."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    TRANSITIONS = {Status.ACTIVE: {Status.CLOSED}, Status.CLOSED: {Status.ACTIVE}}

    reference = models.CharField(max_length=12, unique=True, editable=False)
    name = models.CharField("family name", max_length=NAME_MAX, help_text="For example, Smith or Khan-Smith")
    local_area_team = models.ForeignKey(
        "locality.LocalAreaTeam", verbose_name="Local Area Team", on_delete=models.PROTECT, related_name="families"
    )
    team_overridden = models.BooleanField(default=False, help_text="Team chosen by a manager, not by postcode")
    ward = models.ForeignKey("locality.Ward", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    address_line_1 = models.CharField(max_length=200)
    address_line_2 = models.CharField(max_length=200, blank=True)
    town = models.CharField(max_length=100, default="York")
    postcode = models.CharField(max_length=8, validators=[validate_postcode])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    restricted = models.BooleanField(default=False, help_text="Hidden from everyone but the allow-list")

    class Meta:
        ordering = ["name", "reference"]
        verbose_name_plural = "families"
        permissions = [
            ("access_family", "Can see this family (per-family grant)"),
            ("access_restricted_family", "Can see this restricted family (allow-list)"),
            ("view_family_history", "Can see the change history of families and people"),
            ("override_family_team", "Can place a family in a team other than its postcode's"),
            ("share_family", "Can give a practitioner from another agency sight of a family, within consent"),
        ]
        indexes = [
            models.Index(fields=["local_area_team", "name"], name="family_team_name"),
            models.Index(fields=["postcode"], name="family_postcode"),
            models.Index(fields=["name", "reference"], name="family_name_reference"),  # the family list's order
        ]

    def __str__(self) -> str:
        return f"{self.name} family ({self.reference})"


class FamilyUserObjectPermission(UserObjectPermissionBase):
    """Per-family grants: partner practitioners' access and the restricted allow-list."""

    content_object = models.ForeignKey(Family, on_delete=models.CASCADE)
    history = HistoricalRecords()


class FamilyMember(DomainModel):
    class Role(models.TextChoices):
        CHILD = "child", "Child or young person"
        PARENT = "parent", "Parent"
        CARER = "carer", "Carer"
        OTHER_ADULT = "other_adult", "Other adult"

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices)
    in_household = models.BooleanField("lives in the household", default=True)
    parental_responsibility = models.BooleanField(default=False)
    main_carer = models.BooleanField(default=False)

    class Meta:
        ordering = ["role", "person__date_of_birth"]
        constraints = [models.UniqueConstraint(fields=["family", "person"], name="family_member_unique")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()})"

    def clean(self) -> None:
        if self.role == self.Role.CHILD and self.parental_responsibility:
            raise ValidationError(
                {"parental_responsibility": "A child in the family cannot hold parental responsibility"}
            )


class Relationship(DomainModel):
    """How one person relates to another: `person` is the `kind` of `relative`."""

    class Kind(models.TextChoices):
        MOTHER = "mother", "Mother"
        FATHER = "father", "Father"
        STEP_PARENT = "step_parent", "Step-parent"
        SIBLING = "sibling", "Sibling"
        HALF_SIBLING = "half_sibling", "Half-sibling"
        STEP_SIBLING = "step_sibling", "Step-sibling"
        GRANDPARENT = "grandparent", "Grandparent"
        PARTNER = "partner", "Partner"
        EX_PARTNER = "ex_partner", "Ex-partner"
        KINSHIP_CARER = "kinship_carer", "Kinship carer"
        FOSTER_CARER = "foster_carer", "Foster carer"
        OTHER = "other", "Other"

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="relationships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_from")
    relative = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="relationships_to")
    kind = models.CharField(max_length=15, choices=Kind.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["family", "person", "relative", "kind"], name="relationship_unique"),
            models.CheckConstraint(condition=~Q(person=models.F("relative")), name="relationship_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.person} is the {self.get_kind_display().lower()} of {self.relative}"


class ProfessionalInvolvement(DomainModel):
    """An agency or practitioner already working with the family or one of its members."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="involvements")
    person = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="involvements",
        help_text="Leave empty when the involvement is with the whole family",
    )
    agency = models.ForeignKey("locality.Agency", on_delete=models.PROTECT, related_name="involvements")
    practitioner_name = models.CharField(max_length=150, blank=True)
    practitioner_role = models.CharField(max_length=150, blank=True)
    contact_details = models.CharField(max_length=200, blank=True)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-started_on", "id"]

    def clean(self) -> None:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": "The end date must be on or after the start date"})
