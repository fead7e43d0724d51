"""Synthetic demo data for information governance, built on what `seed_demo` has already made. Never run in
production."""

from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from cases.models import Episode, Family, FamilyMember
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


# Break-the-glass: (worker's e-mail, Local Area Team of the family they looked at, days ago, hour, minute, reason,
# the pages they viewed as minutes after the grant). Only families outside the worker's scope with people in them.
BREAK_GLASS_USES = [
    (
        "cfs.hob-moor@example.org",
        "tang-hall",
        3,
        19,
        40,
        "Synthetic demo reason: police called out of hours about the youngest child; the Tang Hall team was closed.",
        (("family", "", 2), ("person", "", 4), ("family", "chronology", 7)),
    ),
    (
        "mash.screener@example.org",
        "clifton",
        11,
        11,
        15,
        "Synthetic demo reason: a caller gave this child's NHS number; checking for a current plan before screening.",
        (("family", "", 1), ("family", "case notes", 3)),
    ),
]


def break_glass_demo(*, today: date) -> str:
    """Two past uses of break-the-glass, each with the pages viewed under it flagged in the access log (appended to
    the hash chain with the times they happened). Made once: nothing is added if any grant exists."""
    from django.db import transaction

    from cases.selectors import families_visible_to
    from earlyhelp.audit.models import AccessChainHead, AccessEvent
    from earlyhelp.audit.services import GENESIS_HASH, access_event_hash
    from governance.models import BreakGlassGrant
    from governance.services.break_glass import break_glass_minutes

    if BreakGlassGrant.objects.exists():
        return "Break-the-glass uses already recorded."

    @transaction.atomic
    def viewed(*, user, obj, detail: str, at: datetime, grant: BreakGlassGrant) -> None:
        # As access_event_record appends, but at the time the page was viewed.
        head, _ = AccessChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
        event = AccessEvent(
            occurred_at=at,
            user=user,
            action=AccessEvent.Action.VIEW,
            object_type=obj._meta.label_lower,
            object_uuid=obj.uuid,
            detail=detail,
            break_glass_grant=grant.uuid,
            previous_hash=head.last_hash,
        )
        event.hash = access_event_hash(previous_hash=head.last_hash, event=event)
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])

    uses = pages = 0
    for email, team_slug, days_ago, hour, minute, reason, views in BREAK_GLASS_USES:
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            continue
        family = (
            Family.objects.filter(local_area_team__slug=team_slug, restricted=False)
            .filter(Exists(FamilyMember.objects.filter(family=OuterRef("pk"), person__restricted=False)))
            .exclude(pk__in=families_visible_to(user).values("pk"))
            .order_by("reference")
            .first()
        )
        if family is None:
            continue
        person = family.members.filter(person__restricted=False).select_related("person").order_by("pk").first().person
        granted_at = timezone.make_aware(datetime.combine(today - timedelta(days=days_ago), time(hour, minute)))
        grant = BreakGlassGrant.objects.create(
            user=user,
            family=family,
            family_reference=family.reference,
            reason=reason,
            granted_at=granted_at,
            expires_at=granted_at + timedelta(minutes=break_glass_minutes()),
        )
        for kind, detail, after in views:
            obj = person if kind == "person" else family
            viewed(user=user, obj=obj, detail=detail, at=granted_at + timedelta(minutes=after), grant=grant)
            pages += 1
        uses += 1
    return f"Break-the-glass: {uses} past uses, with {pages} pages viewed under them flagged in the access log."
