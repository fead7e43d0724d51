"""The Supporting Families programme: a registered family, its needs under the ten headlines, their outcomes, and
the claim's progress."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models.families import Family
from earlyhelp.core.codes import SupportingFamiliesHeadline
from earlyhelp.core.models import DomainModel

# The programme's ten headline outcome areas: the same codes as assessment needs and directory categories.
Headline = SupportingFamiliesHeadline


class SupportingFamiliesRegistration(DomainModel):
    """A family registered with the programme, and where its claim stands."""

    # A family is eligible with needs under at least this many headlines (and an assessment, a plan and a lead).
    ELIGIBLE_HEADLINES = 3
    # A successful outcome: every need resolved and sustained this many months after closure.
    SUSTAIN_MONTHS = 6

    class Status(models.TextChoices):
        IDENTIFIED = "identified", "Identified"
        ELIGIBLE = "eligible", "Eligible"
        WORKING = "working", "Working with the family"
        CLOSED = "closed", "Closed"
        SUSTAINING = "sustaining", "Sustaining"
        CLAIM_READY = "claim_ready", "Claim ready"
        VALIDATED = "validated", "Validated"
        CLAIMED = "claimed", "Claimed"
        NOT_ACHIEVED = "not_achieved", "Outcome not achieved"
        WITHDRAWN = "withdrawn", "Withdrawn"

    _ENDS = {Status.NOT_ACHIEVED, Status.WITHDRAWN}
    TRANSITIONS = {
        Status.IDENTIFIED: {Status.ELIGIBLE, Status.WITHDRAWN},
        Status.ELIGIBLE: {Status.WORKING, Status.IDENTIFIED, Status.WITHDRAWN},
        Status.WORKING: {Status.CLOSED, Status.WITHDRAWN},
        Status.CLOSED: {Status.SUSTAINING, Status.NOT_ACHIEVED},
        Status.SUSTAINING: {Status.CLAIM_READY, Status.NOT_ACHIEVED},
        Status.CLAIM_READY: {Status.VALIDATED, Status.SUSTAINING},
        Status.VALIDATED: {Status.CLAIMED},
        Status.CLAIMED: set(),
        Status.NOT_ACHIEVED: set(),
        Status.WITHDRAWN: set(),
    }
    FINISHED = (Status.CLAIMED, Status.NOT_ACHIEVED, Status.WITHDRAWN)

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="supporting_families")
    episode = models.ForeignKey(
        "cases.Episode", null=True, blank=True, on_delete=models.PROTECT, related_name="supporting_families"
    )
    lead_practitioner = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessment = models.ForeignKey(
        "assessments.EarlyHelpAssessment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey("cases.FamilyPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IDENTIFIED)
    registered_on = models.DateField(default=timezone.localdate)
    registered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    closed_on = models.DateField(null=True, blank=True, help_text="When the family's early help closed")
    sustain_until = models.DateField(null=True, blank=True, help_text="Six months after closure")
    claim_reference = models.CharField(max_length=50, blank=True)
    validated_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    validated_on = models.DateField(null=True, blank=True)
    claimed_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["-registered_on", "-id"]
        verbose_name = "Supporting Families registration"
        constraints = [
            models.UniqueConstraint(
                fields=["family"],
                condition=~Q(status__in=["claimed", "not_achieved", "withdrawn"]),
                name="supporting_families_one_open_per_family",
                violation_error_message="This family already has an open Supporting Families registration",
            )
        ]

    def __str__(self) -> str:
        return f"Supporting Families: {self.family} ({self.get_status_display()})"


class SupportingFamiliesNeed(DomainModel):
    """A need under one headline, with its evidence, and when it was resolved and whether that lasted."""

    registration = models.ForeignKey(SupportingFamiliesRegistration, on_delete=models.CASCADE, related_name="needs")
    headline = models.CharField(max_length=20, choices=Headline.choices)
    evidence = models.TextField(help_text="What shows the family has this need")
    identified_on = models.DateField(default=timezone.localdate)
    achieved_on = models.DateField(null=True, blank=True, help_text="When the need was resolved")
    outcome_evidence = models.TextField(blank=True)
    sustained = models.BooleanField(null=True, blank=True, help_text="Still resolved six months after closure")
    sustained_checked_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["headline", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "headline"],
                name="supporting_families_need_unique",
                violation_error_message="This headline is already recorded for the family",
            )
        ]

    def __str__(self) -> str:
        return self.get_headline_display()
