"""Targeted Child and Family Support: 6 to 12 weeks of work with sessions, and extensions a manager approves."""

from django.db import models

from cases.models.episodes import Episode
from cases.models.families import Family
from earlyhelp.core.models import DomainModel

MIN_WEEKS = 6
MAX_WEEKS = 12


class Intervention(DomainModel):
    class Kind(models.TextChoices):
        PARENTING = "parenting", "Parenting support"
        ROUTINES = "routines", "Routines and boundaries"
        EMOTIONAL_WELLBEING = "emotional_wellbeing", "Emotional wellbeing"
        SCHOOL_ATTENDANCE = "school_attendance", "School attendance"
        PARENTAL_CONFLICT = "parental_conflict", "Reducing parental conflict"
        DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse recovery"
        HOUSING_MONEY = "housing_money", "Housing and money"
        EARLY_YEARS = "early_years", "Early years development"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        ENDED_EARLY = "ended_early", "Ended early"

    TRANSITIONS = {
        Status.ACTIVE: {Status.COMPLETED, Status.ENDED_EARLY},
        Status.COMPLETED: set(),
        Status.ENDED_EARLY: set(),
    }

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="interventions")
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="interventions")
    worker = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="interventions")
    kind = models.CharField("type of support", max_length=20, choices=Kind.choices)
    aims = models.TextField(blank=True)
    started_on = models.DateField()
    planned_end_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        indexes = [models.Index(fields=["worker", "status"], name="intervention_worker_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.started_on:%d %B %Y}"


class InterventionSession(DomainModel):
    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", "Home visit"
        CENTRE = "centre", "At a children's centre"
        SCHOOL = "school", "At school"
        PHONE = "phone", "Phone call"
        VIDEO = "video", "Video call"
        GROUP = "group", "Group session"
        NOT_ATTENDED = "not_attended", "Planned but the family did not attend"

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField("date")
    kind = models.CharField("type of session", max_length=14, choices=Kind.choices)
    people_seen = models.ManyToManyField("cases.Person", blank=True, related_name="+", verbose_name="who was seen")
    child_seen_alone = models.BooleanField(default=False)
    notes = models.TextField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.held_on:%d %B %Y}"


class InterventionExtension(DomainModel):
    """A request to run an intervention beyond 12 weeks: a Local Area Team manager approves or refuses it."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    TRANSITIONS = {
        Status.REQUESTED: {Status.APPROVED, Status.REFUSED},
        Status.APPROVED: set(),
        Status.REFUSED: set(),
    }

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="extensions")
    new_end_on = models.DateField("new planned end date")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("decide_extension", "Can approve or refuse an intervention's extension beyond 12 weeks")]

    def __str__(self) -> str:
        return f"Extension to {self.new_end_on:%d %B %Y} ({self.get_status_display().lower()})"
