"""The append-only access log: who viewed, searched, exported or printed which record."""

from django.conf import settings
from django.db import models


class AccessEvent(models.Model):
    """One read of personal data. Rows are chained by SHA-256 so an edit or a gap shows."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        SEARCH = "search", "Searched"
        EXPORT = "export", "Exported"
        PRINT = "print", "Printed"

    occurred_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    object_type = models.CharField(max_length=50, blank=True, help_text="For example cases.family")
    object_uuid = models.UUIDField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True, help_text="What was searched, exported or printed")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    break_glass_grant = models.UUIDField(
        null=True, blank=True, help_text="The break-the-glass grant this was seen under, if any"
    )
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("view_record_access", "Can see who has viewed a family's record")]
        indexes = [
            models.Index(fields=["object_type", "object_uuid", "-occurred_at"], name="access_event_object"),
            models.Index(fields=["user", "-occurred_at"], name="access_event_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.object_type} {self.object_uuid} at {self.occurred_at}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Access events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Access events are append-only")


class AccessChainHead(models.Model):
    """A single row holding the hash of the latest access event, locked while appending."""

    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash
