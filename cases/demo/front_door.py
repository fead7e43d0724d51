"""Who sees what in the demo beyond their team (partner grants, a restricted family's allow-list), a year of decided
MASH contacts (`mash_history`), and a few current contacts at each stage of the front door."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from cases.demo.mash_history import mash_history_load
from cases.demo.staff import demo_email
from cases.models import Family
from cases.services import family_access_grant, family_restricted_allow
from consent.models import ConsentRecord
from earlyhelp.accounts.models import User

FRONT_DOOR_CONTACTS = 8


@transaction.atomic
def grants_load(families: list[Family], users: dict[str, User]) -> None:
    """Give each partner practitioner a few families their consent covers, and a manager a restricted family."""
    consented = set(
        ConsentRecord.objects.filter(status=ConsentRecord.Status.GIVEN, family__in=families).values_list(
            "family_id", flat=True
        )
    )
    ordinary = [f for f in families if not f.restricted and f.pk in consented]
    for index, email in enumerate((demo_email("partner.school"), demo_email("partner.health"))):
        for family in ordinary[index * 3 : index * 3 + 3]:
            family_access_grant(family=family, user=users[email])
    restricted = [f for f in families if f.restricted]
    if restricted:
        lat = restricted[0].local_area_team
        family_restricted_allow(family=restricted[0], user=users[demo_email("manager", lat.slug)])


def _front_door_candidates(families: list[Family]):
    """Unrestricted families with children, in order, looked up only as far as they are needed."""
    return (f for f in families if not f.restricted and f.members.filter(role="child").exists())


@transaction.atomic
def front_door_load(families: list[Family], users: dict[str, User]) -> None:
    """A year of decided contacts, then a few current ones at each stage, so the MASH inbox, the allocation queue
    and My referrals have work in them and the front door's indicators have a history."""
    from referrals import services as front_door

    screener, manager = users[demo_email("mash.screener")], users[demo_email("mash.manager")]
    current = [family for _, family in zip(range(FRONT_DOOR_CONTACTS), _front_door_candidates(families), strict=False)]
    mash_history_load(families, users, current={family.pk for family in current})
    now = timezone.now()
    for index, family in enumerate(current):
        children = [m.person for m in family.members.filter(role="child").select_related("person")]
        contact = front_door.contact_record(
            user=users[demo_email("cfs", family.local_area_team.slug)],
            family=family,
            children=children,
            concern="Synthetic demo concern: attendance has dropped and the children often arrive hungry.",
            source="2A",
            family_aware="yes",
            consent_status="given",
            received_at=now - timedelta(hours=6 * index + 1),
        )
        if index % 4 == 0:
            continue  # left as received
        front_door.contact_rate(user=screener, contact=contact, rag=("red", "amber", "green")[index % 3])
        if index % 4 == 1:
            continue  # screening
        front_door.contact_screen(
            user=screener,
            contact=contact,
            checks={"involvement": True, "previous_contacts": True, "education": True},
            information_gathered="Synthetic demo: school confirms attendance of 78% this term.",
            ready=True,
        )
        if index % 4 == 2:
            continue  # awaiting decision
        front_door.contact_decide(
            user=manager,
            contact=contact,
            level=3,
            outcome="targeted",
            rationale="Synthetic demo: needs across education and health; the family agrees to support.",
            next_steps="A Child and Family Support worker will contact the family within 5 working days.",
            consent_basis="held",
            local_area_team=family.local_area_team,
        )
