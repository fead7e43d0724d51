"""Consent to engage and to share, privacy notices, lawful bases and the disclosure log."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from earlyhelp.core.models import DomainModel
from locality.models import Agency

REVIEW_AFTER_DAYS = 365
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


def evidence_path(instance, filename: str) -> str:
    """Stored under a random name: no personal data in file names."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"consent-evidence/{uuid.uuid4().hex}.{extension}"


class PrivacyNotice(DomainModel):
    """A version of the privacy notice shown to families; the current one is the latest in effect."""

    version = models.CharField(max_length=20, unique=True)
    text = models.TextField()
    effective_from = models.DateField()

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"Privacy notice {self.version}"


class LawfulBasis(DomainModel):
    """The UK GDPR basis for processing one kind of record, separate from consent to engage."""

    record_type = models.CharField(max_length=40, unique=True)
    article_6 = models.CharField("Article 6 condition", max_length=200)
    article_9 = models.CharField("Article 9 condition", max_length=200, blank=True)
    explanation = models.TextField(blank=True)

    class Meta:
        ordering = ["record_type"]
        verbose_name_plural = "lawful bases"

    def __str__(self) -> str:
        return self.record_type


class ConsentRecord(DomainModel):
    """What a family agreed to (or what a manager dispensed with), for whom, and until when."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        GIVEN = "given", "Given"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Expired"
        DISPENSED = "dispensed", "Dispensed with (safeguarding override)"

    TRANSITIONS = {
        Status.REQUESTED: {Status.GIVEN, Status.REFUSED},
        Status.GIVEN: {Status.WITHDRAWN, Status.EXPIRED},
        Status.DISPENSED: {Status.WITHDRAWN, Status.EXPIRED},
        Status.REFUSED: set(),
        Status.WITHDRAWN: set(),
        Status.EXPIRED: set(),
    }
    ACTIVE = (Status.GIVEN, Status.DISPENSED)

    class GiverKind(models.TextChoices):
        PARENTAL_RESPONSIBILITY = "parental_responsibility", "A person with parental responsibility"
        COMPETENT_YOUNG_PERSON = "competent_young_person", "A young person judged competent to decide"

    class Method(models.TextChoices):
        WRITTEN = "written", "Written"
        VERBAL = "verbal", "Verbal"
        DIGITAL = "digital", "Digital"

    class OverrideReason(models.TextChoices):
        SIGNIFICANT_HARM = "significant_harm", "The child is at risk of significant harm"
        INCREASES_RISK = "increases_risk", "Seeking consent would increase the risk to the child"

    family = models.ForeignKey("cases.Family", on_delete=models.CASCADE, related_name="consents")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    given_by = models.ForeignKey(
        "cases.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="consents_given"
    )
    giver_kind = models.CharField(max_length=25, choices=GiverKind.choices, blank=True)
    competence_judgement = models.TextField(blank=True, help_text="Why the young person is competent to decide")
    engage = models.BooleanField("engage in early help", default=False)
    store = models.BooleanField("store information on this system", default=False)
    data_matching = models.BooleanField("Supporting Families data matching", default=False)
    method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    obtained_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    obtained_on = models.DateField(default=timezone.localdate)
    review_on = models.DateField()
    privacy_notice = models.ForeignKey(PrivacyNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    evidence = models.FileField(upload_to=evidence_path, blank=True)
    override_reason = models.CharField(max_length=20, choices=OverrideReason.choices, blank=True)
    override_detail = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_on = models.DateField(null=True, blank=True)
    ended_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-obtained_on", "-id"]
        permissions = [("dispense_consent", "Can record a safeguarding override of consent")]
        indexes = [models.Index(fields=["status", "review_on"], name="consent_status_review")]

    def __str__(self) -> str:
        when = self.ended_on or self.obtained_on
        return f"Consent {self.get_status_display().lower()} on {when:%d %b %Y}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def is_override(self) -> bool:
        return bool(self.override_reason)

    def review_due_soon(self, today=None) -> bool:
        today = today or timezone.localdate()
        return self.is_active and today <= self.review_on <= today + timedelta(days=30)

    def clean(self) -> None:
        if self.review_on and self.obtained_on and self.review_on <= self.obtained_on:
            raise ValidationError({"review_on": "The review date must be after the date consent was recorded"})


class ConsentSubject(DomainModel):
    """A family member a consent record covers."""

    consent = models.ForeignKey(ConsentRecord, on_delete=models.CASCADE, related_name="subjects")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consent", "person"], name="consent_subject_unique")]


class ConsentShare(DomainModel):
    """One agency, or one type of agency, the family agreed may receive its information."""

    consent = models.ForeignKey(ConsentRecord, on_delete=models.CASCADE, related_name="shares")
    agency = models.ForeignKey("locality.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    agency_type = models.CharField(max_length=20, blank=True, choices=Agency.Type.choices)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(agency__isnull=False) & models.Q(agency_type=""))
                | (models.Q(agency__isnull=True) & ~models.Q(agency_type="")),
                name="consent_share_agency_or_type",
            )
        ]


class DisclosureLog(models.Model):
    """One disclosure of a family's information: what, to whom, when, on what basis, by whom.

    Written by services, never edited, so it keeps no history of its own.
    """

    class Basis(models.TextChoices):
        CONSENT = "consent", "Consent"
        OVERRIDE = "override", "Safeguarding override"
        REFERRAL = "referral", "Referral to the MASH (consent status recorded on the contact)"
        STEP_UP = "step_up", "Safeguarding: step-up to children's social care"
        RECORD_HOLDER = "holder", "A copy for the Local Area Team that holds the record"

    family = models.ForeignKey("cases.Family", on_delete=models.PROTECT, related_name="disclosures")
    what = models.CharField(max_length=200)
    recipient_agency = models.ForeignKey(
        "locality.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    basis = models.CharField(max_length=10, choices=Basis.choices)
    consent = models.ForeignKey(
        ConsentRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="disclosures"
    )
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    disclosed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-disclosed_at", "-id"]

    def __str__(self) -> str:
        recipient = self.recipient_agency or self.recipient_user or "the MASH"
        return f"{self.what} to {recipient} on {self.disclosed_at:%d %b %Y}"
