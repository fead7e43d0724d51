"""A city's years of access log for the demo and the benchmark (`seed_demo --access-events N`), chained as the
application chains it so `verify_audit_chain` passes over it."""

import random
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from earlyhelp.audit.models import AccessChainHead, AccessEvent
from earlyhelp.audit.services import GENESIS_HASH, access_event_hash

BATCH = 10_000
YEARS = 3
# What practitioners do, by share of events: open a family, open a person, search, print a family's chronology.
KINDS = [("family", 0.65), ("person", 0.2), ("search", 0.1), ("print", 0.05)]
SEARCH_DETAILS = ["name and date of birth", "NHS number", "postcode", "name"]


def access_events_load(*, count: int, seed: int, progress: Callable[[str], object]) -> str:
    """Append `count` synthetic access events by the people who sign in, about the families and people there are,
    spread evenly over the last three years, oldest first, after the events already logged."""
    from cases.models import Family, Person
    from earlyhelp.accounts.models import User

    if count <= 0:
        return "Access log: no events added."
    rng = random.Random(seed)  # nosec B311  # seeded generator for synthetic demo data, not for anything secret
    users = list(User.objects.filter(is_service_account=False).order_by("pk").values_list("pk", flat=True))
    families = list(Family.objects.order_by("pk").values_list("uuid", flat=True))
    people = list(Person.objects.order_by("pk").values_list("uuid", flat=True))
    if not (users and families and people):
        return "Access log: no users, families or people to log events about."
    end = timezone.now() - timedelta(hours=1)
    start = end - timedelta(days=365 * YEARS)
    step = (end - start) / count
    kinds, weights = zip(*KINDS, strict=True)
    with transaction.atomic():
        head, _ = AccessChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
        previous = head.last_hash
        for first in range(0, count, BATCH):
            events = []
            for number in range(first, min(first + BATCH, count)):
                kind = rng.choices(kinds, weights)[0]
                event = AccessEvent(
                    occurred_at=start + step * number,
                    user_id=rng.choice(users),
                    action={"search": "search", "print": "print"}.get(kind, "view"),
                    object_type={"family": "cases.family", "print": "cases.family", "person": "cases.person"}.get(
                        kind, ""
                    ),
                    object_uuid=rng.choice(people) if kind == "person" else None,
                    detail={"search": rng.choice(SEARCH_DETAILS), "print": "chronology PDF"}.get(kind, ""),
                    ip_address=f"10.{rng.randint(0, 3)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                    previous_hash=previous,
                )
                if kind in ("family", "print"):
                    event.object_uuid = rng.choice(families)
                event.hash = previous = access_event_hash(previous_hash=previous, event=event)
                events.append(event)
            AccessEvent.objects.bulk_create(events, batch_size=2_000)
            progress(f"  {first + len(events)} of {count} access events")
        head.last_hash = previous
        head.save(update_fields=["last_hash"])
    return f"Access log: {count} events over the last {YEARS} years added to the chain."
