"""Synthetic demo data for information governance, built on what `seed_demo` has already made. Never run in
production."""

from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from cases.models import CaseNote, Closure, Episode, Family, FamilyMember, Person
from cases.services import family_restricted_allow
from consent.models import ConsentRecord
from earlyhelp.accounts.models import User
from earlyhelp.accounts.services import service_account_get
from earlyhelp.core import perms
from governance.models import RESTRICTION_REVIEW_DAYS, Restriction, RetentionReview
from governance.services.retention import retention_hold_place, retention_reviews_build
from locality.models import LocalAreaTeam
from referrals.models import Contact

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


# Families whose early help closed long ago and whose youngest child is now over 25: reference, surname, the
# mother's and children's first names, how many years ago the youngest was born and the episode closed.
RETENTION_DEMO_FAMILIES = [
    ("EH-RTNDEM73", "Ashworth", "Maureen", ["Gary", "Lisa"], 27, 14),
    ("EH-RTNDEM74", "Pemberton", "Sandra", ["Craig"], 29, 16),
    ("EH-RTNDEM77", "Thistlewood", "Janet", ["Dean", "Kelly", "Wayne"], 26, 12),
]
RETENTION_DEMO_HOLD = (
    "Synthetic demo reason: a claim against the council names this family; keep the records until it is settled."
)


def _years_ago(today: date, years: int, *, days: int = 0) -> date:
    return today.replace(year=today.year - years, day=min(today.day, 28)) - timedelta(days=days)


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _retention_demo_family(row: tuple, *, team: LocalAreaTeam, worker: User, today: date) -> Family:
    """One family closed long ago: a mother and her children, an episode of early help and its closure, a case
    note, the contact that started it and the consent that ended with it. Dates are set in the past afterwards, as
    `created_at` is always now when a record is made."""
    reference, surname, mother_name, children, youngest_years, closed_years = row
    closed_on = _years_ago(today, closed_years)
    opened_on = closed_on - timedelta(days=200)
    family = Family.objects.create(
        reference=reference, name=surname, local_area_team=team, address_line_1="1 Demo Row", postcode="YO31 0AA"
    )
    mother = Person.objects.create(
        first_name=mother_name, last_name=surname, sex="female", date_of_birth=_years_ago(today, youngest_years + 30)
    )
    FamilyMember.objects.create(
        family=family, person=mother, role=FamilyMember.Role.PARENT, parental_responsibility=True, main_carer=True
    )
    for index, name in enumerate(children):
        born = _years_ago(today, youngest_years + 2 * (len(children) - 1 - index), days=40 * index)
        child = Person.objects.create(first_name=name, last_name=surname, date_of_birth=born)
        FamilyMember.objects.create(family=family, person=child, role=FamilyMember.Role.CHILD)
    contact = Contact.objects.create(
        reference=reference.replace("EH-", "MC-"),
        received_at=_at(opened_on - timedelta(days=10)),
        channel=Contact.Channel.PHONE,
        referrer_kind=Contact.ReferrerKind.ANONYMOUS,
        source="9",
        family=family,
        postcode=family.postcode,
        local_area_team=team,
        concern="Synthetic demo concern: the children were often late to school and seemed tired.",
        family_aware=Contact.FamilyAware.NOT_KNOWN,
        consent_status=Contact.ConsentStatus.NOT_SOUGHT,
        consent_reason="Anonymous caller",
        status=Contact.Status.CLOSED,
        due_at=_at(opened_on - timedelta(days=9)),
        recorded_by=worker,
    )
    episode = Episode.objects.create(
        family=family,
        local_area_team=team,
        route=Episode.Route.MASH,
        pathway=Episode.Pathway.TARGETED,
        level=2,
        status=Episode.Status.CLOSED,
        contact=contact,
        lead_practitioner=worker,
        requested_at=_at(opened_on),
        allocated_at=_at(opened_on + timedelta(days=3)),
        closed_at=_at(closed_on),
    )
    Closure.objects.create(
        episode=episode,
        family=family,
        reason=Closure.Reason.OUTCOMES_ACHIEVED,
        summary="Synthetic demo summary: routines were steady and the children were in school every day.",
        status=Closure.Status.APPROVED,
        requested_by=worker,
        decided_by=worker,
        decided_at=_at(closed_on),
    )
    note = CaseNote.objects.create(
        family=family,
        episode=episode,
        kind=CaseNote.Kind.HOME_VISIT,
        happened_on=closed_on - timedelta(days=14),
        text="Synthetic demo note: a last home visit before closing; the family felt ready.",
        author=worker,
    )
    ConsentRecord.objects.create(
        family=family,
        status=ConsentRecord.Status.EXPIRED,
        given_by=mother,
        engage=True,
        store=True,
        obtained_by=worker,
        obtained_on=opened_on,
        review_on=opened_on + timedelta(days=365),
        ended_on=opened_on + timedelta(days=365),
    )
    Family.objects.filter(pk=family.pk).update(created_at=_at(opened_on - timedelta(days=10)))
    CaseNote.objects.filter(pk=note.pk).update(created_at=_at(note.happened_on))
    return family


def retention_demo(*, today: date) -> str:
    """Three families whose youngest child is over 25 and whose early help closed long ago, then the nightly job
    that queues them for a retention review; the last is put under a legal hold by the information governance
    officer, so the queue shows both states. Made once: families already there are left as they are."""
    teams = list(LocalAreaTeam.objects.order_by("name"))
    if not teams:
        return "No Local Area Teams: retention demo not made."
    seeder = service_account_get(name="seed-demo")
    made = []
    for index, row in enumerate(RETENTION_DEMO_FAMILIES):
        if Family.objects.filter(reference=row[0]).exists():
            continue
        team = teams[index % len(teams)]
        worker = (
            User.objects.filter(memberships__role=perms.CFS_WORKER, memberships__team__local_area_team=team)
            .order_by("pk")
            .first()
        )
        made.append(_retention_demo_family(row, team=team, worker=worker or seeder, today=today))
    queued = retention_reviews_build(today=today)
    officer = User.objects.filter(memberships__role=perms.IG_OFFICER, is_active=True).order_by("pk").first()
    held = RetentionReview.objects.filter(family__reference=RETENTION_DEMO_FAMILIES[-1][0], status="due").first()
    if held is not None and officer is not None and made:
        retention_hold_place(
            review=held, user=officer, reason=RETENTION_DEMO_HOLD, review_on=today + timedelta(days=180)
        )
    return f"Retention: {len(made)} families closed long ago added; {queued} queued for a retention review."


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
