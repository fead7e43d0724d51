"""Episodes of early help, their closure, the tasks they raise, and transfers to and from children's social care."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from cases.models.families import Family
from earlyhelp.core.codes import LevelOfNeed
from earlyhelp.core.models import DomainModel


class Task(DomainModel):
    """Something someone must do for a family, for a named person or for a team's managers.

    Tasks raised by services and by the daily sweep carry a `key` (for example `review_due:<meeting uuid>`), so the
    same reminder is never raised twice while it is open, and the sweep can close it when the work is done.
    """

    class Status(models.TextChoices):
        OPEN = "open", "To do"
        DONE = "done", "Done"

    class Kind(models.TextChoices):
        GENERAL = "general", "Task"
        REVIEW_DUE = "review_due", "Review due"
        INTERVENTION_ENDING = "intervention_ending", "Intervention ending"
        CONSENT_REVIEW = "consent_review", "Consent review"
        ACTION_OVERDUE = "action_overdue", "Overdue action"
        ALLOCATION_WAITING = "allocation_waiting", "Waiting for allocation"
        EXTENSION_DECISION = "extension_decision", "Extension to decide"
        CLOSURE_DECISION = "closure_decision", "Closure to approve"

    TRANSITIONS = {Status.OPEN: {Status.DONE}, Status.DONE: set()}

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    key = models.CharField(max_length=80, blank=True, help_text="Identifies a reminder raised by the service")
    episode = models.ForeignKey("cases.Episode", null=True, blank=True, on_delete=models.CASCADE, related_name="tasks")
    assigned_to = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    team = models.ForeignKey(
        "locality.LocalAreaTeam",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
        help_text="For the team's managers when no one person is named",
    )
    due_on = models.DateField()
    status = models.CharField(max_length=5, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["assigned_to", "status", "due_on"], name="task_assignee_status"),
            models.Index(fields=["team", "status", "due_on"], name="task_team_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(status="open") & ~Q(key=""), name="task_one_open_per_key"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Episode(DomainModel):
    """One period of early help for a family, from request to closure."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ALLOCATED = "allocated", "Allocated"
        ASSESSING = "assessing", "Assessing"
        PLAN_ACTIVE = "plan_active", "Plan active"
        REVIEWING = "reviewing", "Reviewing"
        CLOSING = "closing", "Closing"
        CLOSED = "closed", "Closed"
        DECLINED = "declined", "Declined"
        STEPPED_UP = "stepped_up", "Stepped up"
        TRANSFERRED_OUT = "transferred_out", "Transferred out"

    _ENDINGS = {Status.STEPPED_UP, Status.TRANSFERRED_OUT}
    TRANSITIONS = {
        Status.REQUESTED: {Status.ALLOCATED, Status.DECLINED},
        Status.ALLOCATED: {Status.ASSESSING, Status.PLAN_ACTIVE, Status.CLOSING, *_ENDINGS},
        Status.ASSESSING: {Status.PLAN_ACTIVE, Status.CLOSING, *_ENDINGS},
        Status.PLAN_ACTIVE: {Status.REVIEWING, Status.CLOSING, *_ENDINGS},
        Status.REVIEWING: {Status.PLAN_ACTIVE, Status.CLOSING, *_ENDINGS},
        Status.CLOSING: {Status.CLOSED, Status.PLAN_ACTIVE},
        Status.CLOSED: {Status.PLAN_ACTIVE},  # reopened by a manager within the reopen window
        Status.DECLINED: set(),
        Status.STEPPED_UP: set(),
        Status.TRANSFERRED_OUT: set(),
    }
    OPEN = (Status.REQUESTED, Status.ALLOCATED, Status.ASSESSING, Status.PLAN_ACTIVE, Status.REVIEWING, Status.CLOSING)
    WORKING = (Status.ALLOCATED, Status.ASSESSING, Status.PLAN_ACTIVE, Status.REVIEWING)

    class Route(models.TextChoices):
        MASH = "mash", "Through the MASH"
        PARTNER = "partner", "From a partner agency"
        STEP_DOWN = "step_down", "Stepped down from children's social care"

    class Pathway(models.TextChoices):
        PARTNER_LED = "partner_led", "Partner-led early help"
        TARGETED = "targeted", "Targeted early help"

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="episodes")
    local_area_team = models.ForeignKey(
        "locality.LocalAreaTeam", on_delete=models.PROTECT, related_name="episodes", verbose_name="Local Area Team"
    )
    route = models.CharField(max_length=10, choices=Route.choices)
    pathway = models.CharField(max_length=12, choices=Pathway.choices)
    level = models.PositiveSmallIntegerField("level of need", choices=LevelOfNeed.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    contact = models.ForeignKey(
        "referrals.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="episodes"
    )
    lead_practitioner = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="episodes_led"
    )
    lead_agency = models.ForeignKey(
        "locality.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="episodes_led",
        help_text="The agency leading partner-led early help",
    )
    assessment = models.ForeignKey(
        "assessments.EarlyHelpAssessment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="episodes",
        help_text="The authorised assessment the plan is built on",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    allocated_at = models.DateTimeField(null=True, blank=True)
    allocated_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    next_review_due = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reopen_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        permissions = [
            ("allocate_episode", "Can allocate a requested episode to a worker in the team"),
            ("approve_closure", "Can approve the closure of an episode and reopen a closed one"),
            ("step_down_episode", "Can record a step-down from children's social care"),
            ("view_team_caseload", "Can see the caseload and tasks of a whole Local Area Team"),
        ]
        indexes = [
            models.Index(fields=["local_area_team", "status", "requested_at"], name="episode_queue"),
            models.Index(fields=["lead_practitioner", "status"], name="episode_lead_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(status__in=["requested", "allocated", "assessing", "plan_active", "reviewing", "closing"]),
                name="episode_one_open_per_family",
                violation_error_message="The family already has an open episode of early help",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_pathway_display()} for the {self.family.name} family"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Closure(DomainModel):
    """Closing an episode: why, what the family said, and who agreed it.

    A closure with a closure TAF meeting that decided to close takes effect at once; otherwise it waits for a Local
    Area Team manager's approval. Partner grants end when the grace period after closure runs out.
    """

    class Reason(models.TextChoices):
        OUTCOMES_ACHIEVED = "outcomes_achieved", "Outcomes achieved"
        STEPPED_DOWN = "stepped_down", "Stepped down to universal services"
        STEPPED_UP = "stepped_up", "Stepped up to children's social care"
        CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
        DISENGAGED = "disengaged", "Family disengaged"
        MOVED_AREA = "moved_area", "Moved out of the area"
        AGED_OUT = "aged_out", "Young person turned 18 (or 25 with a disability)"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting a manager's approval"
        APPROVED = "approved", "Closed"
        REFUSED = "refused", "Refused"

    TRANSITIONS = {
        Status.AWAITING_APPROVAL: {Status.APPROVED, Status.REFUSED},
        Status.APPROVED: set(),
        Status.REFUSED: set(),
    }

    class Difference(models.TextChoices):
        YES = "yes", "Yes"
        A_LITTLE = "a_little", "A little"
        NO = "no", "No"
        NOT_ASKED = "not_asked", "The family was not asked or did not say"

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="closures")
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="closures")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reason_detail = models.TextField(blank=True)
    summary = models.TextField(help_text="What changed for the family, and what support continues")
    satisfaction = models.PositiveSmallIntegerField(
        "family's satisfaction",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 very dissatisfied to 5 very satisfied; empty if the family did not say",
    )
    made_difference = models.CharField(
        "did the help make a difference", max_length=10, choices=Difference.choices, default=Difference.NOT_ASKED
    )
    family_comments = models.TextField(blank=True)
    meeting = models.ForeignKey(
        "cases.TafMeeting", null=True, blank=True, on_delete=models.PROTECT, related_name="closures"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_APPROVAL)
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(blank=True)
    grants_end_on = models.DateField(null=True, blank=True, help_text="When partners' access to the family ends")
    grants_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "grants_end_on"], name="closure_grants_due")]

    def __str__(self) -> str:
        return f"Closure of {self.episode}: {self.get_reason_display()}"


class SocialCareOutcome(models.TextChoices):
    """What children's social care decided after a step-up."""

    NO_FURTHER_ACTION = "nfa", "Assessment ended in no further action"
    CHILD_IN_NEED = "cin", "Child in need plan"
    CHILD_PROTECTION = "cp", "Child protection plan"
    LOOKED_AFTER = "looked_after", "Became looked after"
    STEPPED_DOWN = "stepped_down", "Stepped down to early help"


class Transfer(DomainModel):
    """A step-up to children's social care (or a step-down from it), with the other system's reference."""

    class Direction(models.TextChoices):
        STEP_UP = "step_up", "Step-up to children's social care"
        STEP_DOWN = "step_down", "Step-down to early help"

    class Kind(models.TextChoices):
        SOCIAL_CARE = "social_care", "Children's social care assessment"
        STRATEGY = "strategy", "Strategy discussion"
        IMMEDIATE_PROTECTION = "immediate_protection", "Immediate protection"
        STEP_DOWN = "step_down", "Step-down"

    family = models.ForeignKey(Family, on_delete=models.PROTECT, related_name="transfers")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    contact = models.ForeignKey(
        "referrals.Contact", null=True, blank=True, on_delete=models.PROTECT, related_name="transfers"
    )
    episode = models.ForeignKey(Episode, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers")
    external_reference = models.CharField(
        max_length=50, blank=True, help_text="The case reference in children's social care's system"
    )
    reference_recorded_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, help_text="Why the family is stepped up or down")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # What children's social care did with a step-up, once it tells us (indicators d and f).
    social_care_outcome = models.CharField(
        "outcome in children's social care", max_length=12, choices=SocialCareOutcome.choices, blank=True
    )
    outcome_on = models.DateField("date of the outcome", null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for the {self.family.name} family"
