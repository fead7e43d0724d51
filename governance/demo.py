"""Synthetic demo data for information governance, built on what `seed_demo` has already made. Never run in
production."""

from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from cases.models import Episode, Family
from cases.services import family_restricted_allow
from earlyhelp.accounts.models import User
from earlyhelp.core import perms
from governance.models import RESTRICTION_REVIEW_DAYS, Restriction

DEMO_RESTRICTIONS = [
    (Restriction.Category.STAFF_FAMILY, "Synthetic demo reason: a parent works in this Local Area Team's office."),
    (Restriction.Category.HIGH_RISK, "Synthetic demo reason: police advise the family's address must not be known."),
    (Restriction.Category.OTHER, "Synthetic demo reason: a relative of the family is a councillor on the board."),
]


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def restrictions_demo(*, today: date) -> str:
    """A restriction, with a synthetic reason, for each family `seed_demo` restricted, recorded by the information
    governance officer; the first is overdue for review. The workers leading the family's open early help go on
    its allow-list, as an officer would keep them."""
    officer = User.objects.filter(memberships__role=perms.IG_OFFICER, is_active=True).order_by("pk").first()
    if officer is None:
        return "No information governance officer: restrictions not recorded."
    in_force = Restriction.objects.filter(family=OuterRef("pk"), lifted_at__isnull=True)
    families = list(Family.objects.filter(restricted=True).exclude(Exists(in_force)).order_by("reference"))
    for index, family in enumerate(families):
        category, reason = DEMO_RESTRICTIONS[index % len(DEMO_RESTRICTIONS)]
        review_due = today - timedelta(days=12) if index == 0 else today + timedelta(days=20 + (index * 23) % 70)
        # The overdue one was last reviewed a review period before it fell due, as if its review had been missed.
        reviewed = None if index else _day_start(review_due - timedelta(days=RESTRICTION_REVIEW_DAYS))
        Restriction.objects.create(
            family=family,
            category=category,
            reason=reason,
            restricted_by=officer,
            review_due=review_due,
            last_reviewed_at=reviewed,
            last_reviewed_by=officer if reviewed else None,
        )
        leads = Episode.objects.filter(family=family, status__in=Episode.OPEN, lead_practitioner__isnull=False)
        for episode in leads.select_related("lead_practitioner"):
            family_restricted_allow(family=family, user=episode.lead_practitioner)
    overdue = ", the first overdue for review" if families else ""
    noun = "family" if len(families) == 1 else "families"
    return f"Restrictions recorded for {len(families)} restricted {noun}{overdue}."
