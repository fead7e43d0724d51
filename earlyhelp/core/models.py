"""Base models shared by every app."""

import uuid

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
