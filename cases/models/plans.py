"""The family's plan: versions, SMART goals scaled 0 to 10, and the actions that get them done."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models.episodes import Episode
from cases.models.families import Family
from earlyhelp.core.models import DomainModel, LockVersioned

SCALE = [MinValueValidator(0), MaxValueValidator(10)]


class FamilyPlan(LockVersioned, DomainModel):
    """One version of a family's plan. A new version starts as a draft copied from the agreed one; agreeing it
    supersedes the old."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AGREED = "agreed", "Agreed"
        SUPERSEDED = "superseded", "Superseded"

    TRANSITIONS = {
        Status.DRAFT: {Status.AGREED},
        Status.AGREED: {Status.SUPERSEDED},
        Status.SUPERSEDED: set(),
    }

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="plans")
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField("what needs to happen", blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    agreed_on = models.DateField(null=True, blank=True)
    agreed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    family_agreed = models.BooleanField("the family agreed the plan", default=False)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "version"], name="plan_version_unique"),
            models.UniqueConstraint(fields=["episode"], condition=Q(status="draft"), name="plan_one_draft_per_episode"),
            models.UniqueConstraint(
                fields=["episode"], condition=Q(status="agreed"), name="plan_one_agreed_per_episode"
            ),
        ]

    def __str__(self) -> str:
        return f"Plan version {self.version} for the {self.family.name} family"


class Goal(LockVersioned, DomainModel):
    """A SMART goal, for one person or the whole family, scaled 0 (worst) to 10 (best)."""

    class Status(models.TextChoices):
        OPEN = "open", "In progress"
        ACHIEVED = "achieved", "Achieved"
        NOT_ACHIEVED = "not_achieved", "Not achieved"
        DROPPED = "dropped", "No longer needed"

    # A goal is closed as achieved, not achieved or no longer needed, and reopened if the family's work goes back to it.
    TRANSITIONS = {
        Status.OPEN: {Status.ACHIEVED, Status.NOT_ACHIEVED, Status.DROPPED},
        Status.ACHIEVED: {Status.OPEN},
        Status.NOT_ACHIEVED: {Status.OPEN},
        Status.DROPPED: {Status.OPEN},
    }

    plan = models.ForeignKey(FamilyPlan, on_delete=models.CASCADE, related_name="goals")
    text = models.TextField("goal", help_text="Specific, measurable, achievable, relevant and time-bound")
    person = models.ForeignKey(
        "cases.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="for whom",
        help_text="Empty when the goal is for the whole family",
    )
    need = models.ForeignKey(
        "assessments.Need",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="goals",
        verbose_name="need from the assessment",
    )
    baseline = models.PositiveSmallIntegerField("scale at the start", validators=SCALE)
    target = models.PositiveSmallIntegerField("target on the scale", validators=SCALE)
    latest = models.PositiveSmallIntegerField("latest scale", validators=SCALE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    position = models.PositiveSmallIntegerField(default=0)
    carried_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carried_to",
        help_text="The same goal in the plan's previous version",
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text[:80]

    def clean(self) -> None:
        if self.target is not None and self.baseline is not None and self.target <= self.baseline:
            raise ValidationError({"target": "The target must be higher on the scale than where the family starts"})


class GoalScore(DomainModel):
    """One scaling of a goal: at the start, at a session or at a TAF meeting. The history of `Goal.latest`."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="scores")
    score = models.PositiveSmallIntegerField(validators=SCALE)
    scored_on = models.DateField(default=timezone.localdate)
    meeting = models.ForeignKey(
        "cases.TafMeeting", null=True, blank=True, on_delete=models.CASCADE, related_name="goal_scores"
    )
    comment = models.CharField(max_length=500, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["scored_on", "id"]
        indexes = [models.Index(fields=["goal", "scored_on"], name="goal_score_goal_date")]

    def __str__(self) -> str:
        return f"{self.score} on {self.scored_on:%d %B %Y}"


class Action(LockVersioned, DomainModel):
    """Who will do what by when. The owner is exactly one of a practitioner, an agency or a family member."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        NOT_DONE = "not_done", "Not done"

    TRANSITIONS = {
        Status.NOT_STARTED: {Status.IN_PROGRESS, Status.DONE, Status.NOT_DONE},
        Status.IN_PROGRESS: {Status.DONE, Status.NOT_DONE, Status.NOT_STARTED},
        Status.DONE: {Status.IN_PROGRESS},
        Status.NOT_DONE: {Status.IN_PROGRESS},
    }

    plan = models.ForeignKey(FamilyPlan, on_delete=models.CASCADE, related_name="actions")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions")
    what = models.TextField("what will be done")
    owner_user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="plan_actions"
    )
    owner_agency = models.ForeignKey(
        "locality.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="plan_actions"
    )
    owner_person = models.ForeignKey(
        "cases.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="plan_actions"
    )
    due_on = models.DateField("due date")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    completed_on = models.DateField(null=True, blank=True)
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_to"
    )

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["owner_user", "status", "due_on"], name="action_owner_status")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(owner_user__isnull=False, owner_agency__isnull=True, owner_person__isnull=True)
                    | Q(owner_user__isnull=True, owner_agency__isnull=False, owner_person__isnull=True)
                    | Q(owner_user__isnull=True, owner_agency__isnull=True, owner_person__isnull=False)
                ),
                name="action_exactly_one_owner",
                violation_error_message="Choose who owns the action: a practitioner, an agency or a family member",
            )
        ]

    def __str__(self) -> str:
        return self.what[:80]

    @property
    def owner(self):
        return self.owner_user or self.owner_agency or self.owner_person
