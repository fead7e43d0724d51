"""Information governance: break-the-glass access, restricted records, subject access requests and retention."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from earlyhelp.core.models import DomainModel

RESTRICTION_REVIEW_DAYS = 90


class BreakGlassGrant(DomainModel):
    """Sixty minutes of access to one family outside the user's scope, given for a stated reason.

    Every page the user views under it is flagged in the access log (`AccessEvent.break_glass_grant`); the family's
    Local Area Team managers and the information governance officers are told when it is given."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants")
    family = models.ForeignKey("cases.Family", null=True, on_delete=models.SET_NULL, related_name="break_glass_grants")
    family_reference = models.CharField(max_length=20, help_text="Kept if the family's records are disposed of")
    reason = models.TextField()
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["user", "family", "expires_at"], name="break_glass_user_family")]

    def __str__(self) -> str:
        return f"{self.user} for {self.family_reference} until {self.expires_at:%H:%M}"


class Restriction(DomainModel):
    """Why a family or a person is restricted (hidden from everyone but its allow-list), who decided, and when the
    restriction is next reviewed. The `restricted` flag on the family or person is what selectors filter on; this
    record is its reason and its review. Exactly one of `family` and `person` is set."""

    class Category(models.TextChoices):
        STAFF_FAMILY = "staff_family", "A staff member's own family"
        HIGH_RISK = "high_risk", "High risk"
        OTHER = "other", "Other"

    family = models.ForeignKey(
        "cases.Family", null=True, blank=True, on_delete=models.CASCADE, related_name="restrictions"
    )
    person = models.ForeignKey(
        "cases.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="restrictions"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    reason = models.TextField()
    restricted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    review_due = models.DateField(db_index=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["review_due", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(family__isnull=False, person__isnull=True) | Q(family__isnull=True, person__isnull=False),
                name="restriction_family_or_person",
            ),
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(lifted_at__isnull=True, family__isnull=False),
                name="restriction_one_family",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(lifted_at__isnull=True, person__isnull=False),
                name="restriction_one_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Restriction of {self.family or self.person}"

    @staticmethod
    def next_review(from_date):
        return from_date + timedelta(days=RESTRICTION_REVIEW_DAYS)


class SubjectAccessRequest(DomainModel):
    """A person's request for everything held about them, answered within one month by a pack built in the
    background (records, history, notes, documents, disclosures; third-party names flagged for redaction)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Being built"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    TRANSITIONS = {
        Status.QUEUED: {Status.BUILDING, Status.FAILED},
        Status.BUILDING: {Status.READY, Status.FAILED, Status.QUEUED},
        Status.READY: set(),
        Status.FAILED: {Status.QUEUED},
    }

    person = models.ForeignKey(
        "cases.Person", null=True, on_delete=models.SET_NULL, related_name="subject_access_requests"
    )
    person_reference = models.CharField(max_length=40, help_text="Kept if the person's records are disposed of")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(help_text="The day the request reached the council")
    due_on = models.DateField(help_text="One calendar month after it was received")
    notes = models.TextField(blank=True, help_text="How the request was made and how identity was checked")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    file = models.FileField(upload_to="subject-access/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["status", "queued_at"], name="sar_status_queued")]

    def __str__(self) -> str:
        return f"Subject access request for {self.person_reference}"


class RetentionReview(DomainModel):
    """A family whose youngest child has turned 25: its records are disposed of, or kept under a legal hold."""

    class Status(models.TextChoices):
        DUE = "due", "Due for review"
        HELD = "held", "Legal hold"

    TRANSITIONS = {Status.DUE: {Status.HELD}, Status.HELD: {Status.DUE}}  # a hold is placed, then released

    family = models.OneToOneField("cases.Family", on_delete=models.CASCADE, related_name="retention_review")
    due_on = models.DateField(help_text="The youngest child's 25th birthday")
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.DUE)
    hold_reason = models.TextField(blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField(null=True, blank=True)
    hold_review_on = models.DateField(null=True, blank=True, help_text="When the legal hold is looked at again")

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="retention_status_due")]

    def __str__(self) -> str:
        return f"Retention review of {self.family}"


class FamilyTombstone(models.Model):
    """What is kept after a family's records are disposed of: that they existed and were disposed of, by whom and
    why, with no personal data. Not a domain record, so it has no history of its own."""

    reference = models.CharField(max_length=20, unique=True)
    local_area_team = models.CharField(max_length=100)
    opened_on = models.DateField(null=True, blank=True)
    youngest_child_25_on = models.DateField(null=True, blank=True)
    disposed_at = models.DateTimeField()
    disposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    record_counts = models.JSONField(default=dict, help_text="How many records of each kind were deleted")

    class Meta:
        ordering = ["-disposed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} (disposed of {self.disposed_at:%d %B %Y})"
