"""Demo data for indicators d and f: a few families stepped up to children's social care, most with the outcome
their managers recorded. Uses the families, episodes and users `seed_demo` already made; call it after casework."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from cases.demo.staff import demo_email
from cases.models import Episode, SocialCareOutcome, Transfer
from cases.services.episodes import step_up, transfer_outcome_record
from earlyhelp.accounts.models import User

STEP_UPS = 4
# The outcome recorded for each step-up, oldest first; the last is left for a manager to record in the demo.
OUTCOMES = (SocialCareOutcome.NO_FURTHER_ACTION, SocialCareOutcome.CHILD_IN_NEED, SocialCareOutcome.CHILD_PROTECTION)


def _episodes_to_step_up() -> list[Episode]:
    """A few working episodes, taken from each team in turn, led by lead practitioners before Child and Family
    Support workers, so no one worker's demo caseload is emptied."""
    candidates = list(
        Episode.objects.filter(status__in=Episode.WORKING, family__restricted=False, lead_practitioner__isnull=False)
        .select_related("family", "local_area_team", "lead_practitioner")
        .order_by("id")[:200]
    )
    candidates.sort(key=lambda episode: not episode.lead_practitioner.email.startswith("lead."))
    by_team: dict[int, list[Episode]] = {}
    for episode in candidates:
        by_team.setdefault(episode.local_area_team_id, []).append(episode)
    chosen: list[Episode] = []
    while len(chosen) < STEP_UPS and any(by_team.values()):
        for queue in by_team.values():
            if queue and len(chosen) < STEP_UPS:
                chosen.append(queue.pop(0))
    return chosen


@transaction.atomic
def seed_social_care_outcomes(*, today: date) -> str:
    """Step up the first few working episodes (one step-up every three weeks before `today`) and record what
    children's social care decided two weeks after each, except the newest. Does nothing once a demo step-up exists."""
    if Transfer.objects.filter(external_reference__startswith="CSC-DEMO-").exists():
        return "Step-ups to children's social care already in the demo data; none added"
    episodes = _episodes_to_step_up()
    recorded = 0
    for index, episode in enumerate(episodes):
        transfer = step_up(
            user=episode.lead_practitioner,
            episode=episode,
            kind=Transfer.Kind.SOCIAL_CARE,
            reason="Synthetic demo: worries about the children's safety grew despite the plan.",
            external_reference=f"CSC-DEMO-{index + 1:03d}",
        )
        # One every three weeks, but never before the episode's own work began.
        began = timezone.localdate(episode.allocated_at or episode.requested_at)
        stepped_up_on = min(max(today - timedelta(weeks=3 * (len(episodes) - index)), began + timedelta(days=7)), today)
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
