"""The whole-family Early Help Assessment: its sections, each participant's scaling, and identified needs."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from earlyhelp.core.codes import LevelOfNeed, SupportingFamiliesHeadline
from earlyhelp.core.models import DomainModel


class EarlyHelpAssessment(DomainModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        RETURNED = "returned", "Returned for changes"
        AUTHORISED = "authorised", "Authorised"
        SUPERSEDED = "superseded", "Superseded"

    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.AUTHORISED, Status.RETURNED},
        Status.RETURNED: {Status.SUBMITTED},
        Status.AUTHORISED: {Status.SUPERSEDED},
        Status.SUPERSEDED: set(),
    }
    EDITABLE = (Status.DRAFT, Status.RETURNED)

    Level = LevelOfNeed

    class Pathway(models.TextChoices):
        UNIVERSAL = "universal", "Universal services"
        PARTNER_LED = "partner_led", "Partner-led early help with a Team Around the Family"
        TARGETED = "targeted", "Targeted support through the MASH"
        SOCIAL_CARE = "social_care", "Referral to children's social care"

    family = models.ForeignKey("cases.Family", on_delete=models.CASCADE, related_name="assessments")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "locality.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The organisation completing the assessment",
    )
    started_on = models.DateField(default=timezone.localdate)
    completed_on = models.DateField(null=True, blank=True)
    level_of_need = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    pathway = models.CharField(max_length=12, choices=Pathway.choices, blank=True)
    analysis = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    return_comments = models.TextField(blank=True)

    class Meta:
        ordering = ["-version"]
        permissions = [("authorise_earlyhelpassessment", "Can authorise or return an Early Help Assessment")]
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="assessment_version_unique"),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True) | Q(completed_on__gte=models.F("started_on")),
                name="assessment_completed_after_start",
                violation_error_message="The completion date must be on or after the start date",
            ),
        ]

    def __str__(self) -> str:
        return f"Early Help Assessment {self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def clean(self) -> None:
        if self.completed_on and self.started_on and self.completed_on < self.started_on:
            raise ValidationError({"completed_on": "The completion date must be on or after the start date"})


class AssessmentSubject(DomainModel):
    assessment = models.ForeignKey(EarlyHelpAssessment, on_delete=models.CASCADE, related_name="subjects")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+")
    is_child = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "person"], name="assessment_subject_unique")]


class AssessmentSection(DomainModel):
    """One section's answers; per-child sections have one row per child."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not yet started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    assessment = models.ForeignKey(EarlyHelpAssessment, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=30)
    person = models.ForeignKey("cases.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    answers = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "key", "person"], name="assessment_section_unique")
        ]


class Scaling(DomainModel):
    """Where a participant puts things on a 0 to 10 scale; the plan uses it as a baseline."""

    assessment = models.ForeignKey(EarlyHelpAssessment, on_delete=models.CASCADE, related_name="scalings")
    person = models.ForeignKey(
        "cases.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the practitioner",
    )
    score = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=10), name="scaling_score_0_to_10"),
        ]

    @property
    def participant(self) -> str:
        return str(self.person) if self.person_id else "Practitioner"


class Need(DomainModel):
    """An identified need, coded to a Supporting Families headline and to the person it concerns."""

    assessment = models.ForeignKey(EarlyHelpAssessment, on_delete=models.CASCADE, related_name="needs")
    person = models.ForeignKey(
        "cases.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the need concerns the whole family",
    )
    headline = models.CharField(max_length=20, choices=SupportingFamiliesHeadline.choices)
    description = models.TextField()

    class Meta:
        ordering = ["headline", "id"]

    def __str__(self) -> str:
        return f"{self.get_headline_display()}: {self.description[:60]}"
