"""Case notes: the running record of work with a family. A note locks a day after it is written; later changes are
amendments kept beside it."""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from cases.models.episodes import Episode
from cases.models.families import Family
from earlyhelp.core.models import DomainModel, LockVersioned

NOTE_LOCKS_AFTER = timedelta(hours=24)


class CaseNote(LockVersioned, DomainModel):
    class Kind(models.TextChoices):
        HOME_VISIT = "home_visit", "Home visit"
        PHONE = "phone", "Phone call"
        OFFICE = "office", "Office or centre visit"
        SCHOOL = "school", "School visit"
        MEETING = "meeting", "Meeting"
        EMAIL_LETTER = "email_letter", "E-mail or letter"
        MANAGEMENT = "management", "Management oversight"
        OTHER = "other", "Other"

    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="notes")
    episode = models.ForeignKey(Episode, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes")
    kind = models.CharField("type of note", max_length=14, choices=Kind.choices)
    happened_on = models.DateField("date")
    people = models.ManyToManyField("cases.Person", blank=True, related_name="+", verbose_name="people concerned")
    child_seen = models.BooleanField(default=False)
    child_seen_alone = models.BooleanField(default=False)
    text = models.TextField("note")
    significant = models.BooleanField("significant event", default=False, help_text="Shown in the chronology")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-happened_on", "-created_at", "-id"]
        indexes = [models.Index(fields=["family", "happened_on"], name="note_family_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.happened_on:%d %B %Y}"

    @property
    def locks_at(self):
        return self.created_at + NOTE_LOCKS_AFTER

    @property
    def is_locked(self) -> bool:
        return timezone.now() >= self.locks_at


class CaseNoteAmendment(DomainModel):
    """A correction or addition to a locked note, shown beside the original, which never changes."""

    note = models.ForeignKey(CaseNote, on_delete=models.CASCADE, related_name="amendments")
    text = models.TextField("amendment")
    reason = models.CharField(max_length=300)
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Amendment of {self.note} on {self.created_at:%d %B %Y}"
