"""PDF documents: a request (the outbox row written with the user's click) and the file it produced."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from earlyhelp.core.models import DomainModel


class DocumentRequest(DomainModel):
    """One person's request for a PDF of one record, or for a team's open plans as a ZIP.

    Written in the same transaction as the click, status `queued`, before anything is sent to the broker, so a
    request survives a broker that is down: `documents_requeue_task` sends queued requests again. The worker claims
    a request by moving it to `rendering` and holds it while it renders; a second delivery of the same message does
    nothing while that worker lives, and takes the render over if it was killed (`earlyhelp.core.claims`).
    Requests are personal: a PDF is rendered as its requester sees the record, so only the requester may open it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Being created"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        DELETED = "deleted", "Deleted after the retention period"

    TRANSITIONS = {
        Status.QUEUED: {Status.RENDERING, Status.FAILED},
        # A worker lost mid-render (killed, out of memory) leaves `rendering`; the sweep puts it back in the queue.
        Status.RENDERING: {Status.READY, Status.FAILED, Status.QUEUED},
        Status.FAILED: {Status.QUEUED},
        Status.READY: {Status.DELETED},
        Status.DELETED: set(),
    }
    IN_PROGRESS = (Status.QUEUED, Status.RENDERING)

    kind = models.CharField(max_length=20)  # a key of documents.kinds.KINDS
    family = models.ForeignKey(
        "cases.Family", null=True, blank=True, on_delete=models.CASCADE, related_name="document_requests"
    )
    local_area_team = models.ForeignKey(
        "locality.LocalAreaTeam", null=True, blank=True, on_delete=models.PROTECT, related_name="document_requests"
    )
    record_uuid = models.UUIDField(null=True, blank=True, help_text="The plan, assessment, contact or closure")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    template_version = models.CharField(max_length=20)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=500, blank=True, help_text="What the requester is told when it failed")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="How many times a worker started it")
    queued_at = models.DateTimeField(default=timezone.now, help_text="When it was last put in the queue")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("export_team_plans", "Can export all open plans of a Local Area Team they manage")]
        indexes = [models.Index(fields=["status", "queued_at"], name="document_request_queue")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(family__isnull=False) | models.Q(local_area_team__isnull=False),
                name="document_request_has_a_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} requested {self.created_at:%d %b %Y %H:%M}"

    @property
    def in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS


def document_path(instance, filename: str) -> str:
    """A random name outside the web root: nothing about the family is in the stored file's name."""
    return f"documents/{timezone.now():%Y/%m}/{filename}"


class Document(DomainModel):
    """The file a request produced: stored privately, served only by the download view."""

    request = models.OneToOneField(DocumentRequest, on_delete=models.CASCADE, related_name="document")
    file = models.FileField(upload_to=document_path, max_length=200, blank=True, help_text="Empty once deleted")
    filename = models.CharField(max_length=120, help_text="The download name: kind, family reference and date")
    content_type = models.CharField(max_length=50, default="application/pdf")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    page_count = models.PositiveIntegerField(default=0, help_text="Pages (for a ZIP, the number of files in it)")
    template_version = models.CharField(max_length=20)
    record_version = models.CharField(max_length=100, help_text="Which version of the record the file shows")
    families = models.ManyToManyField("cases.Family", blank=True, related_name="+", help_text="Whose records it holds")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename
