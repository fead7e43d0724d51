"""The Team Around the Family: its members from other agencies, and the meetings where the plan is reviewed."""

from django.db import models
from django.db.models import Q

from cases.models.episodes import Episode
from cases.models.families import Family
from earlyhelp.core.models import DomainModel


class TafMember(DomainModel):
    """A practitioner in the family's Team Around the Family. Joining grants sight of the family (within consent);
    leaving takes it away."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Member"
        LEFT = "left", "Left"

    TRANSITIONS = {Status.ACTIVE: {Status.LEFT}, Status.LEFT: set()}

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="taf_members")
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="taf_members")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="taf_memberships")
    agency = models.ForeignKey("locality.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    role = models.CharField("role in the team", max_length=150, help_text="For example, school nurse or class teacher")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.ACTIVE)
    invited_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "user"], condition=Q(status="active"), name="taf_member_once_per_episode"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class TafMeeting(DomainModel):
    """An initial, review, closure or step-down meeting: who came, how the goals scaled, and what was decided."""

    class Kind(models.TextChoices):
        INITIAL = "initial", "Initial TAF meeting"
        REVIEW = "review", "Review"
        CLOSURE = "closure", "Closure meeting"
        STEP_DOWN = "step_down", "Step-down handover"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held"
        CANCELLED = "cancelled", "Cancelled"

    TRANSITIONS = {
        Status.PLANNED: {Status.HELD, Status.CANCELLED},
        Status.HELD: set(),
        Status.CANCELLED: set(),
    }

    class Result(models.TextChoices):
        IMPROVED = "improved", "Improved"
        NO_CHANGE = "no_change", "No change"
        WORSE = "worse", "Worse"

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Continue the plan"
        AMEND = "amend", "Amend the plan"
        STEP_UP = "step_up", "Step up to children's social care"
        CLOSE = "close", "Close"

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="meetings")
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    due_on = models.DateField(null=True, blank=True, help_text="When the meeting must be held by")
    held_on = models.DateField(null=True, blank=True)
    family_present = models.BooleanField(default=False)
    result = models.CharField(max_length=10, choices=Result.choices, blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    notes = models.TextField(blank=True)
    next_review_due = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-held_on", "-due_on", "-id"]
        indexes = [models.Index(fields=["episode", "status"], name="meeting_episode_status")]

    def __str__(self) -> str:
        when = self.held_on or self.due_on
        return f"{self.get_kind_display()} ({when:%d %B %Y})" if when else self.get_kind_display()


class TafAttendance(DomainModel):
    """Who was invited to a meeting and whether they came: a practitioner, a family member, or someone named."""

    class Attended(models.TextChoices):
        ATTENDED = "attended", "Attended"
        APOLOGIES = "apologies", "Sent apologies"
        ABSENT = "absent", "Did not attend"

    meeting = models.ForeignKey(TafMeeting, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("cases.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150, blank=True, help_text="For someone with no record here")
    attended = models.CharField(max_length=10, choices=Attended.choices, default=Attended.ATTENDED)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.user or self.person or self.name)
