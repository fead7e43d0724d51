"""Measuring the difference: monthly indicator snapshots, case audits and training records.

The indicators themselves are computed from the live records by `reporting.indicators`; a snapshot keeps a
finished month's figures so a trend does not shift when old records are corrected later.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from earlyhelp.core.models import DomainModel


class IndicatorSnapshot(models.Model):
    """One indicator's figures for one month, for one Local Area Team or (team empty) the whole city.

    Derived data, rebuilt by `indicators_snapshot_month`; it carries no personal data, so it has no history.
    """

    month = models.DateField(help_text="The first day of the month the figures are for")
    local_area_team = models.ForeignKey(
        "locality.LocalAreaTeam", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(max_length=30, help_text="The indicator, for example a or mash_in_time")
    numerator = models.IntegerField()
    denominator = models.IntegerField(null=True, blank=True, help_text="Empty when the indicator is a count")
    breakdown = models.JSONField(default=dict, blank=True, help_text="Named parts of the figure, each a count")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["month", "code"]
        permissions = [
            ("view_indicators", "Can see the partnership's indicators (aggregates only)"),
            ("download_annex_a", "Can download the Ofsted Annex A lists"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "local_area_team", "code"],
                condition=Q(local_area_team__isnull=False),
                name="indicator_snapshot_team_unique",
            ),
            models.UniqueConstraint(
                fields=["month", "code"],
                condition=Q(local_area_team__isnull=True),
                name="indicator_snapshot_city_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} for {self.month:%B %Y}"


class CaseAudit(DomainModel):
    """A manager's quality audit of one piece of work: an assessment and plan, or Child and Family Support direct
    work, graded against a short checklist. Feeds indicators i and j; the worker audited is told."""

    class Kind(models.TextChoices):
        ASSESSMENT_PLAN = "assessment_plan", "Assessment and plan"
        DIRECT_WORK = "direct_work", "Child and Family Support direct work"

    class Grade(models.TextChoices):
        GOOD = "good", "Good practice"
        REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
        INADEQUATE = "inadequate", "Inadequate"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    family = models.ForeignKey("cases.Family", on_delete=models.PROTECT, related_name="case_audits")
    episode = models.ForeignKey(
        "cases.Episode", null=True, blank=True, on_delete=models.PROTECT, related_name="case_audits"
    )
    assessment = models.ForeignKey(
        "assessments.EarlyHelpAssessment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey("cases.FamilyPlan", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    intervention = models.ForeignKey(
        "cases.Intervention", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    local_area_team = models.ForeignKey(
        "locality.LocalAreaTeam", on_delete=models.PROTECT, related_name="+", verbose_name="Local Area Team"
    )
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="audits_of_my_work", help_text="Whose work"
    )
    auditor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_audits_done")
    audited_on = models.DateField()
    grade = models.CharField(max_length=20, choices=Grade.choices)
    checklist = models.JSONField(default=dict, help_text="Each checklist item's answer: yes, no or not applicable")
    comments = models.TextField()
    worker_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-audited_on", "-id"]
        indexes = [models.Index(fields=["kind", "audited_on"], name="case_audit_kind_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} audit of {self.audited_on:%d %B %Y}"


class TrainingRecord(DomainModel):
    """A practitioner completed a course: feeds indicators k (parental conflict) and l (the early help courses)."""

    class Course(models.TextChoices):
        PARENTAL_CONFLICT = "parental_conflict", "Understanding parental conflict"
        NEGLECT = "neglect", "Neglect"
        DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
        MENTAL_HEALTH = "mental_health", "Mental health"
        OTHER = "other", "Other"

    EARLY_HELP_COURSES = (Course.NEGLECT, Course.DOMESTIC_ABUSE, Course.MENTAL_HEALTH)

    class Source(models.TextChoices):
        FORM = "form", "Entered on the form"
        IMPORT = "import", "Imported from a spreadsheet"

    practitioner_name = models.CharField(max_length=150)
    practitioner_email = models.EmailField(help_text="Identifies the practitioner across courses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="training_records"
    )
    agency = models.ForeignKey("locality.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    local_area_team = models.ForeignKey(
        "locality.LocalAreaTeam",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="Local Area Team",
        help_text="The team the practitioner works in or with; empty for city-wide services",
    )
    course = models.CharField(max_length=20, choices=Course.choices)
    course_title = models.CharField(max_length=200, blank=True, help_text="The course's own name")
    completed_on = models.DateField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FORM)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-completed_on", "practitioner_name", "id"]
        indexes = [models.Index(fields=["course", "completed_on"], name="training_course_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["practitioner_email", "course", "completed_on"], name="training_record_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_course_display()} on {self.completed_on:%d %B %Y}"
