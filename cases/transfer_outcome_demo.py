"""Demo data for indicators d and f: a few families stepped up to children's social care, most with the outcome
their managers recorded. Uses the families, episodes and users `seed_demo` already made; call it after casework."""

from datetime import date, timedelta

from django.db import transaction

from cases.demo.staff import demo_email
from cases.models import Episode, SocialCareOutcome, Transfer
from cases.services.episodes import step_up, transfer_outcome_record
from earlyhelp.accounts.models import User

STEP_UPS = 4
# The outcome recorded for each step-up, oldest first; the last is left for a manager to record in the demo.
OUTCOMES = (SocialCareOutcome.NO_FURTHER_ACTION, SocialCareOutcome.CHILD_IN_NEED, SocialCareOutcome.CHILD_PROTECTION)


@transaction.atomic
def seed_social_care_outcomes(*, today: date) -> str:
    """Step up the first few working episodes (one step-up every three weeks before `today`) and record what
    children's social care decided two weeks after each, except the newest."""
    episodes = list(
        Episode.objects.filter(status__in=Episode.WORKING, family__restricted=False, lead_practitioner__isnull=False)
        .select_related("family", "local_area_team", "lead_practitioner")
        .order_by("id")[:STEP_UPS]
    )
    recorded = 0
    for index, episode in enumerate(episodes):
        transfer = step_up(
            user=episode.lead_practitioner,
            episode=episode,
            kind=Transfer.Kind.SOCIAL_CARE,
            reason="Synthetic demo: worries about the children's safety grew despite the plan.",
            external_reference=f"CSC-DEMO-{index + 1:03d}",
        )
        stepped_up_on = today - timedelta(weeks=3 * (len(episodes) - index))
        # Back-dated so the outcomes fall in earlier months of the dashboard (a demo shortcut, not a service rule).
        Transfer.objects.filter(pk=transfer.pk).update(
            created_at=transfer.created_at - (today - stepped_up_on), reference_recorded_at=transfer.created_at
        )
        if index < len(OUTCOMES):
            manager = User.objects.get(email=demo_email("manager", episode.local_area_team.slug))
            outcome_on = min(stepped_up_on + timedelta(weeks=2), today)
            transfer_outcome_record(user=manager, transfer=transfer, outcome=OUTCOMES[index], outcome_on=outcome_on)
            recorded += 1
    return f"{len(episodes)} families stepped up to children's social care, {recorded} with the outcome recorded"
