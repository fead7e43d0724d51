"""Base models shared by every app."""

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class DomainModel(models.Model):
    """A record of the domain: public UUID for URLs, timestamps, and full change history.

    `HistoricalRecords(inherit=True)` gives every subclass its own history table, so no
    domain model can be added without an audit trail.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True


class LockVersioned(models.Model):
    """A record two people may edit at once: each save must name the `lock_version` it started from
    (`earlyhelp.core.locking`), so a stale copy is refused instead of overwriting someone else's change."""

    lock_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True


class FormSubmission(models.Model):
    """A form's one-off token, stored with the page it saved to, so the same form sent twice saves once
    (`earlyhelp.core.submit_once`). Unique per address the form was sent to: every form on a page shown again after
    an error carries the token sent, and each may be sent once. Kept a few days, then purged."""

    token = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=500)
    location = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "path"], name="form_submission_once_per_address")]

    def __str__(self) -> str:
        return f"form {self.token} sent to {self.path}"
