"""A year of MASH contacts before the demo's current ones, decided and acted on, so the front door's indicators
(contacts passed to a Local Area Team, re-referrals, decisions within time) have a figure in every month.

Each contact goes through the front door's services as a real one would (recorded, rated, screened, decided),
then its dates are moved back to when it happened: received on a working day in the last 13 months, decided in
working time, mostly within its RAG rating's allowance and sometimes late. A few children are referred twice, so
their second contact is a re-referral. Contacts passed for early help leave a requested episode that the casework
demo then picks up (allocated, worked and perhaps closed since).
"""

import math
import random
from datetime import date, datetime, time, timedelta
from itertools import islice

from django.conf import settings
from django.utils import timezone

from cases.demo.staff import demo_email
from cases.models import Episode, Family, Transfer
from consent.models import ConsentRecord
from earlyhelp.accounts.models import Notification, User
from earlyhelp.core.working_time import working_day_on_or_before, working_time_add
from locality.models import Service
from referrals.models import Contact, ContactChild, MashDecision, RagRating

PER_FAMILY = 1.4  # contacts in the year for each family the history draws on
MOST = 100  # contacts in the year, however many families the demo has
FAMILIES = math.ceil(MOST / PER_FAMILY)
DAYS = 395  # how far back the first contacts go: the twelve finished months and the current one
RECENT = 3  # the newest history is this many days old; the current contacts are younger
LATE = 0.1  # share of decisions made after they were due
FIRST_IN_TEAM_KEPT = 8  # each team's first families, left for the casework demo's showcase episodes
Outcome = MashDecision.Outcome
# (outcome, weight, level, rationale, next steps)
OUTCOMES = [
    (
        Outcome.TARGETED,
        34,
        3,
        "Needs across school attendance, routines and money; the family agrees to support.",
        "A Child and Family Support worker will contact the family within 5 working days.",
    ),
    (
        Outcome.PARTNER_LED,
        12,
        2,
        "Emerging needs the school (or health visitor) can lead on with a Team Around the Family.",
        "The referrer's agency will lead early help; the Local Area Team will support the plan.",
    ),
    (
        Outcome.SIGNPOSTING,
        18,
        1,
        "Needs can be met by community services the family is willing to use.",
        "The family has been given details of local services.",
    ),
    (
        Outcome.NO_FURTHER_ACTION,
        16,
        1,
        "Checks show the concern is already resolved; universal services continue.",
        "No further action by the MASH; universal services continue.",
    ),
    (
        Outcome.SOCIAL_CARE,
        10,
        4,
        "Information gathered shows a risk of significant harm that needs a social work assessment.",
        "Children's social care will carry out an assessment.",
    ),
]
QUIET = (Outcome.NO_FURTHER_ACTION, Outcome.SIGNPOSTING)  # outcomes that open nothing
CONCERNS = [
    ("2A", "partner.school", "Synthetic demo: attendance has dropped this term and the children often arrive hungry."),
    ("3B", "partner.health", "Synthetic demo: the baby has missed checks and the mother seems low and isolated."),
    ("2A", "lead.school", "Synthetic demo: an older child has disclosed arguments at home keeping them awake."),
    ("5D", "cfs", "Synthetic demo: the family asked the children's centre for help with debts and housing."),
]


def mash_history_load(families: list[Family], users: dict[str, User], *, current: set[int]) -> int:
    """Decided contacts over the last year about children of the first unrestricted families with children;
    returns how many. Families in `current` (those given the current contacts) get only contacts that open
    nothing, so their current contact may still ask for early help; so do each team's first few families, which
    the casework demo uses to show every kind of work."""
    from cases.demo.front_door import _front_door_candidates

    pool = list(islice(_front_door_candidates(families), FAMILIES))
    if not pool:
        return 0
    rng = random.Random(f"mash-history-{pool[0].reference}")  # nosec B311  # seeded generator for synthetic demo data, not for anything secret
    now = timezone.now()
    today = timezone.localdate()
    first_notification = Notification.objects.order_by("-id").values_list("id", flat=True).first() or 0
    plan = _plan(rng, pool, today)
    services = list(Service.objects.order_by("name")[:20])
    kept = current | _first_in_each_team(families)
    for number, (day, family, quiet) in enumerate(plan, start=1):
        _contact(rng, users, family, day, now=now, quiet=quiet or family.pk in kept, services=services, n=number)
    # What the services told people at the time is old news now.
    Notification.objects.filter(id__gt=first_notification).update(read_at=now)
    return len(plan)


def _first_in_each_team(families: list[Family]) -> set[int]:
    """The first unrestricted families of each Local Area Team, in the order the casework demo meets them."""
    seen: dict[int, int] = {}
    first = set()
    for family in families:
        if family.restricted or seen.get(family.local_area_team_id, 0) >= FIRST_IN_TEAM_KEPT:
            continue
        seen[family.local_area_team_id] = seen.get(family.local_area_team_id, 0) + 1
        first.add(family.pk)
    return first


def _plan(rng: random.Random, pool: list[Family], today: date) -> list[tuple[date, Family, bool]]:
    """(day received, family, whether the contact must open nothing) for every contact, oldest first. Every family
    has a contact; some have a second one later, after a first that opened nothing."""
    count = min(MOST, round(len(pool) * PER_FAMILY))
    twice = set(rng.sample(range(len(pool)), k=count - len(pool)))
    plan = []
    for index, family in enumerate(pool):
        if index in twice:
            first = today - timedelta(days=rng.randint(60, DAYS))
            second = min(first + timedelta(days=rng.randint(20, 200)), today - timedelta(days=RECENT))
            plan.append((working_day_on_or_before(first), family, True))
            plan.append((working_day_on_or_before(second), family, False))
        else:
            plan.append((working_day_on_or_before(today - timedelta(days=rng.randint(RECENT, DAYS))), family, False))
    plan.sort(key=lambda item: (item[0], item[1].pk))
    return plan


def _contact(rng, users, family, day: date, *, now: datetime, quiet: bool, services, n: int) -> None:
    from referrals import services as front_door

    team = family.local_area_team
    source, referrer, concern = rng.choice(CONCERNS)
    referrer_user = users[demo_email(referrer, team.slug) if referrer == "cfs" else demo_email(referrer)]
    screener, manager = users[demo_email("mash.screener")], users[demo_email("mash.manager")]
    children = [m.person for m in family.members.filter(role="child").select_related("person")]
    received = timezone.make_aware(datetime.combine(day, time(rng.randint(9, 15), rng.randint(0, 59))))
    contact = front_door.contact_record(
        user=referrer_user,
        family=family,
        children=children,
        concern=concern,
        source=source,
        family_aware="yes",
        consent_status="given",
        channel=rng.choice([Contact.Channel.ONLINE] * 3 + [Contact.Channel.PHONE]),
        received_at=received,
    )
    rag = rng.choices(["red", "amber", "green"], weights=[2, 5, 3])[0]
    contact = front_door.contact_rate(user=screener, contact=contact, rag=rag)
    contact = front_door.contact_screen(
        user=screener,
        contact=contact,
        checks={"involvement": True, "previous_contacts": True, "education": True, "health": rng.random() < 0.6},
        information_gathered="Synthetic demo: school and health visiting records checked; no open involvement.",
        ready=True,
    )
    choices = [o for o in OUTCOMES if o[0] in QUIET] if quiet else OUTCOMES
    if not family.consents.filter(status=ConsentRecord.Status.GIVEN).exists():
        choices = [o for o in choices if o[0] != Outcome.PARTNER_LED]  # no partner could be told about the family
    outcome, _weight, level, rationale, next_steps = rng.choices(choices, weights=[o[1] for o in choices])[0]
    decision = front_door.contact_decide(
        user=manager,
        contact=contact,
        level=level,
        outcome=outcome,
        rationale="Synthetic demo: " + rationale,
        next_steps=next_steps,
        consent_basis=MashDecision.ConsentBasis.NOT_NEEDED if outcome in QUIET else MashDecision.ConsentBasis.HELD,
        local_area_team=team,
        services=rng.sample(services, k=min(2, len(services))) if outcome == Outcome.SIGNPOSTING else (),
    )
    _back_date(rng, contact, decision, rag=rag, now=now, n=n)


def _back_date(rng, contact: Contact, decision: MashDecision, *, rag: str, now: datetime, n: int) -> None:
    """Move what the services stamped `now` back to when it happened."""
    allowance = settings.MASH_DECISION_HOURS[rag]
    received = contact.received_at
    rated = working_time_add(start=received, hours=min(0.5, allowance * 0.1))
    spent = allowance + rng.uniform(1, 8) if rng.random() < LATE else allowance * rng.uniform(0.2, 0.95)
    decided = min(working_time_add(start=received, hours=spent), now - timedelta(hours=1))
    told = decided + timedelta(minutes=rng.randint(5, 90))
    RagRating.objects.filter(contact=contact).update(created_at=rated, updated_at=rated)
    ContactChild.objects.filter(contact=contact).update(created_at=received, updated_at=received)
    MashDecision.objects.filter(pk=decision.pk).update(
        decided_at=decided, created_at=decided, updated_at=told, referrer_told_at=told
    )
    closed = decision.outcome not in MashDecision.EARLY_HELP  # early help closes it when the casework allocates
    Contact.objects.filter(pk=contact.pk).update(
        created_at=received,
        updated_at=decided,
        assigned_to=contact.assigned_to,
        status=Contact.Status.CLOSED if closed else Contact.Status.DECIDED,
    )
    Episode.objects.filter(contact=contact).update(requested_at=decided, created_at=decided, updated_at=decided)
    Transfer.objects.filter(contact=contact).update(
        created_at=decided,
        updated_at=decided,
        external_reference=f"CSC-MASH-{n:03d}",
        reference_recorded_at=decided + timedelta(days=1),
    )
