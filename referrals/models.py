"""The front door: contacts received by the MASH, their screening, RAG ratings and decisions, and concern flags."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from earlyhelp.core.codes import LevelOfNeed
from earlyhelp.core.models import DomainModel
from earlyhelp.core.validators import validate_postcode


class ContactSource(models.TextChoices):
    """The DfE source of a contact or referral (CIN census and Ofsted Annex A)."""

    FAMILY = "1A", "1A: family member or relative, or carer"
    ACQUAINTANCE = "1B", "1B: acquaintance (including neighbours and child minders)"
    SELF = "1C", "1C: self"
    OTHER_INDIVIDUAL = "1D", "1D: other individual"
    SCHOOLS = "2A", "2A: schools"
    EDUCATION_SERVICES = "2B", "2B: education services"
    GP = "3A", "3A: GP"
    HEALTH_VISITOR = "3B", "3B: health visitor"
    SCHOOL_NURSE = "3C", "3C: school nurse"
    OTHER_PRIMARY_HEALTH = "3D", "3D: other primary health services"
    A_AND_E = "3E", "3E: A&E"
    OTHER_HEALTH = "3F", "3F: other health services"
    HOUSING = "4", "4: housing"
    LA_SOCIAL_CARE = "5A", "5A: local authority children's social care"
    LA_INTERNAL = "5B", "5B: other internal local authority service"
    LA_EXTERNAL = "5C", "5C: external local authority services"
    LA_EARLY_HELP = "5D", "5D: early help"
    POLICE = "6", "6: police"
    LEGAL_AGENCY = "7", "7: other legal agency"
    OTHER = "8", "8: other"
    ANONYMOUS = "9", "9: anonymous"
    UNKNOWN = "10", "10: unknown"


class Rag(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


# The inbox's order: red first; a contact not yet rated is treated as amber until it is.
RAG_PRIORITY = {Rag.RED: 0, Rag.AMBER: 1, "": 1, Rag.GREEN: 2}


class Contact(DomainModel):
    """A concern about one or more children received by the MASH, from a practitioner or the public."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        SCREENING = "screening", "Screening"
        AWAITING_DECISION = "awaiting_decision", "Awaiting decision"
        DECIDED = "decided", "Decided"
        CLOSED = "closed", "Closed"
        DUPLICATE = "duplicate", "Duplicate"
        WITHDRAWN = "withdrawn", "Withdrawn"

    TRANSITIONS = {
        Status.RECEIVED: {Status.SCREENING, Status.DUPLICATE, Status.WITHDRAWN},
        Status.SCREENING: {Status.AWAITING_DECISION, Status.DUPLICATE, Status.WITHDRAWN},
        Status.AWAITING_DECISION: {Status.DECIDED, Status.SCREENING, Status.DUPLICATE, Status.WITHDRAWN},
        Status.DECIDED: {Status.CLOSED},
        Status.CLOSED: set(),
        Status.DUPLICATE: set(),
        Status.WITHDRAWN: set(),
    }
    OPEN = (Status.RECEIVED, Status.SCREENING, Status.AWAITING_DECISION)

    class Channel(models.TextChoices):
        ONLINE = "online", "Online form"
        PHONE = "phone", "Telephone"
        EMAIL = "email", "E-mail"
        IN_PERSON = "in_person", "In person"

    class ReferrerKind(models.TextChoices):
        PRACTITIONER = "practitioner", "A practitioner using this service"
        OTHER = "other", "Someone outside this service (a professional or a member of the public)"
        ANONYMOUS = "anonymous", "Anonymous"

    class FamilyAware(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NOT_KNOWN = "not_known", "Not known"

    class ConsentStatus(models.TextChoices):
        GIVEN = "given", "Given"
        REFUSED = "refused", "Refused"
        NOT_SOUGHT = "not_sought", "Not sought"

    reference = models.CharField(max_length=12, unique=True, editable=False)
    received_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    referrer_kind = models.CharField(max_length=12, choices=ReferrerKind.choices)
    referrer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="referrals_made"
    )
    referrer_name = models.CharField(max_length=150, blank=True)
    referrer_organisation = models.CharField(max_length=200, blank=True)
    referrer_role = models.CharField(max_length=150, blank=True)
    referrer_telephone = models.CharField(max_length=40, blank=True)
    referrer_email = models.EmailField(blank=True, help_text="Where the outcome is sent")
    source = models.CharField("source of the contact", max_length=2, choices=ContactSource.choices)
    family = models.ForeignKey("cases.Family", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts")
    postcode = models.CharField(max_length=8, validators=[validate_postcode], help_text="Where the children live")
    local_area_team = models.ForeignKey(
        "locality.LocalAreaTeam",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contacts",
        help_text="The team covering the postcode; empty when the children live outside the authority",
    )
    concern = models.TextField("what is the concern")
    family_aware = models.CharField("does the family know", max_length=10, choices=FamilyAware.choices)
    consent_status = models.CharField("consent to the referral", max_length=10, choices=ConsentStatus.choices)
    consent_reason = models.TextField(blank=True, help_text="Why consent was refused or not sought")
    assessment = models.ForeignKey(
        "assessments.EarlyHelpAssessment", null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    requested_level = models.PositiveSmallIntegerField(
        "level of need the referrer thinks applies", choices=LevelOfNeed.choices, null=True, blank=True
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    rag = models.CharField("RAG rating", max_length=5, choices=Rag.choices, blank=True)
    priority = models.PositiveSmallIntegerField(default=RAG_PRIORITY[""], editable=False)
    due_at = models.DateTimeField("decision due")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts_assigned"
    )
    checked_involvement = models.BooleanField("existing involvement checked", default=False)
    checked_previous_contacts = models.BooleanField("previous contacts checked", default=False)
    checked_police = models.BooleanField("police checks made", default=False)
    checked_health = models.BooleanField("health checks made", default=False)
    checked_education = models.BooleanField("education checks made", default=False)
    information_gathered = models.TextField(blank=True)
    re_referral = models.BooleanField(default=False, help_text="A child named has another contact in the last year")
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")
    ended_reason = models.TextField(blank=True, help_text="Why the contact was withdrawn or is a duplicate")
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["priority", "due_at"]
        permissions = [
            ("triage_contact", "Can work the MASH inbox: screen and RAG-rate contacts"),
            ("decide_contact", "Can make the MASH decision on a contact"),
        ]
        indexes = [
            models.Index(fields=["status", "priority", "due_at"], name="contact_inbox"),
            models.Index(fields=["received_at"], name="contact_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(referrer_kind="practitioner") | models.Q(referrer_user__isnull=False),
                name="contact_practitioner_named",
            ),
        ]

    def __str__(self) -> str:
        return f"Contact {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def outside_authority(self) -> bool:
        return self.local_area_team_id is None

    CHECKS = ("involvement", "previous_contacts", "police", "health", "education")  # the checked_* fields

    @property
    def checks_made(self) -> list[str]:
        return [self._meta.get_field(f"checked_{n}").verbose_name for n in self.CHECKS if getattr(self, f"checked_{n}")]

    def is_overdue(self, now=None) -> bool:
        return self.is_open and self.due_at < (now or timezone.now())

    def clean(self) -> None:
        errors = {}
        if self.received_at and self.received_at > timezone.now() + timezone.timedelta(minutes=1):
            errors["received_at"] = "The time the contact was received must be now or in the past"
        if self.referrer_kind == self.ReferrerKind.OTHER and not self.referrer_name.strip():
            errors["referrer_name"] = "Enter the referrer's name, or record the contact as anonymous"
        if self.consent_status in (self.ConsentStatus.REFUSED, self.ConsentStatus.NOT_SOUGHT) and not (
            self.consent_reason.strip()
        ):
            errors["consent_reason"] = "Say why consent was refused or not sought"
        if errors:
            raise ValidationError(errors)


class ContactChild(DomainModel):
    """A child a contact is about."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="children")
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="contacts_about")
    re_referral = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["contact", "person"], name="contact_child_unique")]

    def __str__(self) -> str:
        return f"{self.person} in {self.contact}"


class RagRating(DomainModel):
    """One RAG rating of a contact: the first at screening, later ones with the reason for the change."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="ratings")
    rag = models.CharField("RAG rating", max_length=5, choices=Rag.choices)
    reason = models.TextField(blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_rag_display()} for {self.contact}"


class MashDecision(DomainModel):
    """The MASH manager's decision on a contact: level, outcome, rationale and consent basis."""

    class Outcome(models.TextChoices):
        NO_FURTHER_ACTION = "nfa", "No further action"
        SIGNPOSTING = "signposting", "Information, advice and signposting"
        PARTNER_LED = "partner_led", "Partner-led early help"
        TARGETED = "targeted", "Targeted early help (allocate to a Local Area Team)"
        SOCIAL_CARE = "social_care", "Children's social care assessment"
        STRATEGY = "strategy", "Strategy discussion"
        IMMEDIATE_PROTECTION = "immediate_protection", "Immediate protection"
        OPEN_CASE = "open_case", "Pass to open case"
        ANOTHER_AUTHORITY = "another_authority", "Another authority"

    EARLY_HELP = (Outcome.PARTNER_LED, Outcome.TARGETED)
    STEP_UP = (Outcome.SOCIAL_CARE, Outcome.STRATEGY, Outcome.IMMEDIATE_PROTECTION)
    NO_SHARING = (Outcome.NO_FURTHER_ACTION, Outcome.SIGNPOSTING, Outcome.ANOTHER_AUTHORITY)

    class ConsentBasis(models.TextChoices):
        HELD = "held", "Consent is held"
        DISPENSED = "dispensed", "Consent dispensed with (safeguarding override)"
        NOT_NEEDED = "not_needed", "Not needed: no information is shared with another service"

    contact = models.OneToOneField(Contact, on_delete=models.PROTECT, related_name="decision")
    level = models.PositiveSmallIntegerField("level of need", choices=LevelOfNeed.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    rationale = models.TextField()
    next_steps = models.TextField(help_text="What the referrer is told will happen next")
    consent_basis = models.CharField(max_length=10, choices=ConsentBasis.choices)
    consent = models.ForeignKey(
        "consent.ConsentRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="mash_decisions"
    )
    local_area_team = models.ForeignKey(
        "locality.LocalAreaTeam", null=True, blank=True, on_delete=models.PROTECT, related_name="mash_decisions"
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    referrer_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["referrer_told_at", "decided_at"], name="decision_feedback")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} for {self.contact}"

    @property
    def within_time(self) -> bool:
        return self.decided_at <= self.contact.due_at


class SignpostedService(DomainModel):
    """A service from the directory suggested by an "information, advice and signposting" decision."""

    decision = models.ForeignKey(MashDecision, on_delete=models.CASCADE, related_name="signposted")
    service = models.ForeignKey("locality.Service", on_delete=models.PROTECT, related_name="signposted")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["decision", "service"], name="signposted_unique")]


class ConcernFlag(DomainModel):
    """A practitioner's flag that an agency is worried about a child: no narrative, no consent needed.

    Flags from three different agencies within a year raise one review task for the Local Area Team.
    """

    class Category(models.TextChoices):
        ATTENDANCE = "attendance", "School attendance"
        BEHAVIOUR = "behaviour", "Behaviour or emotional wellbeing"
        PRESENTATION = "presentation", "Appearance, hygiene or hunger"
        HEALTH = "health", "Missed health appointments"
        HOME = "home", "Home conditions or housing"
        DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse in the household"
        SUBSTANCE_USE = "substance_use", "Parental substance use"
        MISSING = "missing", "Missing episodes"
        EXPLOITATION = "exploitation", "Risk of exploitation"
        OTHER = "other", "Other"

    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="concern_flags")
    agency = models.ForeignKey("locality.Agency", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=Category.choices)
    raised_on = models.DateField(default=timezone.localdate)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    review_task = models.ForeignKey(
        "cases.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="concern_flags"
    )

    class Meta:
        ordering = ["-raised_on", "-id"]
        indexes = [models.Index(fields=["person", "raised_on"], name="concern_flag_person")]

    def __str__(self) -> str:
        return f"{self.get_category_display()} flag from {self.agency}"

    def clean(self) -> None:
        if self.raised_on and self.raised_on > timezone.localdate():
            raise ValidationError({"raised_on": "The date of the concern must be today or in the past"})
