"""Demo data for the Supporting Families programme: families with an agreed plan registered at each stage, from
identified to claimed, so the officer's list, a registration's page and the quarterly return have something to show.
Families whose early help is under way are identified, eligible or worked with; families whose early help closed
are sustaining, or (when it closed more than six months ago) claim ready, validated or claimed. Every date follows
the family's own casework: registered as the episode began, closed when it ended, checked, validated and claimed
after the six months. Synthetic data only."""

from collections import Counter
from datetime import date, timedelta

from django.db import transaction

from cases.models import Episode, FamilyPlan
from cases.models.supporting_families import Headline, SupportingFamiliesNeed, SupportingFamiliesRegistration
from cases.selectors import supporting_families as selectors
from cases.selectors.episodes import add_months
from cases.services import supporting_families as services
from earlyhelp.accounts.models import User
from earlyhelp.audit.context import acting_as
from earlyhelp.core.states import status_move
from locality.models import LocalAreaTeam

Registration = SupportingFamiliesRegistration
Status = Registration.Status
OPEN_STAGES = [Status.IDENTIFIED, Status.ELIGIBLE, Status.WORKING]
# Families whose six months after closure have run out, oldest closure first, and those still in their six months.
CLAIM_STAGES = [Status.CLAIMED, Status.CLAIM_READY, Status.VALIDATED, Status.CLAIM_READY]
MOST_SUSTAINING = 3
PER_TEAM_OPEN = 3
EVIDENCE_PREFIX = "Synthetic demo:"
NEEDS = [
    (Headline.EDUCATION, f"{EVIDENCE_PREFIX} school attendance below 90% over two terms."),
    (Headline.HOUSING, f"{EVIDENCE_PREFIX} rent arrears and a notice seeking possession."),
    (Headline.FINANCES, f"{EVIDENCE_PREFIX} problem debt and no budgeting support."),
    (Headline.RELATIONSHIPS, f"{EVIDENCE_PREFIX} frequent conflict between the parents affecting the children."),
]
# After the six months: the officer checks the outcomes, a second officer validates, then the claim is made.
CHECK_AFTER, VALIDATE_AFTER, CLAIM_AFTER = timedelta(days=3), timedelta(days=7), timedelta(days=14)


def _demo_user(local: str, slug: str | None = None) -> User | None:
    from cases.demo.staff import demo_email

    return User.objects.filter(email=demo_email(local, slug)).first()


def _plans(*, statuses, team=None):
    episodes = Episode.objects.filter(status__in=statuses, family__restricted=False, supporting_families=None)
    if team is not None:
        episodes = episodes.filter(local_area_team=team)
    return (
        FamilyPlan.objects.filter(episode__in=episodes, status=FamilyPlan.Status.AGREED)
        .select_related("episode", "episode__assessment", "episode__lead_practitioner", "family")
        .order_by("family__reference")
    )


def _registered_on(plan: FamilyPlan, *, today: date) -> date:
    """A few days after the episode began, and before the plan was agreed."""
    episode = plan.episode
    began = (episode.allocated_at or episode.requested_at).date()
    registered = began + timedelta(days=3)
    if plan.agreed_on and registered >= plan.agreed_on:
        registered = max(began, plan.agreed_on - timedelta(days=1))
    return min(registered, today)


def _assessment_for(plan: FamilyPlan, *, user, on: date):
    """The episode's authorised assessment, else the family's; a synthetic one when the family has none."""
    from assessments.models import EarlyHelpAssessment

    choices = selectors.assessment_choices(family=plan.family)
    if plan.episode.assessment_id and choices.filter(pk=plan.episode.assessment_id).exists():
        return plan.episode.assessment
    found = choices.first()
    if found is not None:
        return found
    version = (plan.family.assessments.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    return EarlyHelpAssessment.objects.create(
        family=plan.family,
        version=version,
        status=EarlyHelpAssessment.Status.AUTHORISED,
        assessor=user,
        started_on=on - timedelta(days=10),
        completed_on=on,
        analysis=f"{EVIDENCE_PREFIX} a whole-family assessment.",
        decided_by=user,
    )


def _lead(plan: FamilyPlan, worker: User) -> User | None:
    leads = set(selectors.lead_practitioner_choices(family=plan.family).values_list("pk", flat=True))
    for candidate in (plan.episode.lead_practitioner, worker):
        if candidate is not None and candidate.pk in leads:
            return candidate
    return None


def _register(plan: FamilyPlan, stage: str, *, worker: User, officer: User, today: date) -> Registration:
    registered_on = _registered_on(plan, today=today)
    with acting_as(worker):
        registration = services.registration_create(
            user=worker,
            family=plan.family,
            lead_practitioner=_lead(plan, worker),
            assessment=_assessment_for(plan, user=worker, on=registered_on),
            plan=plan,
        )
        for headline, evidence in NEEDS[: 2 if stage == Status.IDENTIFIED else 3]:
            services.need_add(user=worker, registration=registration, headline=headline, evidence=evidence)
    Registration.objects.filter(pk=registration.pk).update(registered_on=registered_on)
    SupportingFamiliesNeed.objects.filter(registration=registration).update(identified_on=registered_on)
    registration.refresh_from_db()
    if stage == Status.IDENTIFIED:
        return registration
    with acting_as(officer):
        registration = services.registration_move(user=officer, registration=registration, status=Status.ELIGIBLE)
        if stage == Status.ELIGIBLE:
            return registration
        if stage == Status.WORKING:
            return services.registration_move(user=officer, registration=registration, status=Status.WORKING)
        return _closed_stage(registration, stage, officer=officer, today=today)


def _closed_stage(registration: Registration, stage: str, *, officer: User, today: date) -> Registration:
    """A registration worked with while its episode was open, closed when the episode ended (the service reads when),
    then sustaining; after the six months its outcomes are checked and the claim moves on."""
    status_move(registration, Status.WORKING, error=services.SupportingFamiliesError, noun="A registration")
    registration.save()
    registration = services.registration_move(user=officer, registration=registration, status=Status.CLOSED)
    status_move(registration, Status.SUSTAINING, error=services.SupportingFamiliesError, noun="A registration")
    registration.save()
    closed_on, until = registration.closed_on, registration.sustain_until
    achieved_on = max(registration.registered_on, closed_on - timedelta(days=14))
    for need in registration.needs.all():
        services.need_outcome_record(
            user=officer,
            need=need,
            achieved_on=achieved_on,
            outcome_evidence=f"{EVIDENCE_PREFIX} resolved before early help closed.",
            sustained=True if stage != Status.SUSTAINING else None,
            sustained_checked_on=until + CHECK_AFTER if stage != Status.SUSTAINING else None,
        )
    if stage == Status.SUSTAINING:
        return registration
    _data_matching_consent(registration.family, officer=officer, on=registration.registered_on, today=today)
    registration = services.registration_move(user=officer, registration=registration, status=Status.CLAIM_READY)
    if stage == Status.CLAIM_READY:
        return registration
    # A second officer, who took no part, validates the claim.
    validator = _demo_user("sf.validator")
    with acting_as(validator):
        registration = services.registration_move(user=validator, registration=registration, status=Status.VALIDATED)
    validated_on = until + CHECK_AFTER + VALIDATE_AFTER
    Registration.objects.filter(pk=registration.pk).update(validated_on=validated_on)
    if stage == Status.VALIDATED:
        registration.refresh_from_db()
        return registration
    reference = f"SF-DEMO-{registration.family.reference[-4:]}"
    registration = services.registration_move(
        user=officer, registration=registration, status=Status.CLAIMED, claim_reference=reference
    )
    Registration.objects.filter(pk=registration.pk).update(claimed_on=validated_on + CLAIM_AFTER)
    registration.refresh_from_db()
    return registration


def _data_matching_consent(family, *, officer: User, on: date, today: date) -> None:
    """The family's consent covers Supporting Families data matching: its given consent, or a synthetic one."""
    from consent.models import ConsentRecord

    consent = family.consents.filter(status=ConsentRecord.Status.GIVEN).order_by("-obtained_on").first()
    if consent is None:
        consent = ConsentRecord(
            family=family,
            status=ConsentRecord.Status.GIVEN,
            giver_kind=ConsentRecord.GiverKind.PARENTAL_RESPONSIBILITY,
            method=ConsentRecord.Method.WRITTEN,
            obtained_by=officer,
            obtained_on=on,
            review_on=max(add_months(on, 12), today + timedelta(days=30)),
        )
    consent.data_matching = True
    consent.save()


def _open_stages(teams) -> list[tuple[FamilyPlan, str]]:
    """Families whose early help is under way, a few a team; the stages turn from team to team so even a small demo
    shows each."""
    stages = []
    for turn, team in enumerate(teams):
        for index, plan in enumerate(_plans(statuses=Episode.WORKING, team=team)[:PER_TEAM_OPEN]):
            stages.append((plan, OPEN_STAGES[(turn + index) % len(OPEN_STAGES)]))
    return stages


def _closed_stages(*, today: date) -> list[tuple[FamilyPlan, str]]:
    """Families whose early help closed, oldest closure first: a claim under way where the six months have run out
    (claimed only where the claim's dates have come), sustaining (the most recent few) where they have not."""
    ended = []
    for plan in _plans(statuses=[Episode.Status.CLOSED]):
        ended_on = selectors.episode_ended_on(plan.episode)
        if ended_on is not None:
            ended.append((ended_on, plan))
    ended.sort(key=lambda pair: (pair[0], pair[1].family.reference))
    stages, sustaining = [], []
    for ended_on, plan in ended:
        checked_on = add_months(ended_on, Registration.SUSTAIN_MONTHS) + CHECK_AFTER
        if checked_on > today:
            sustaining.append(plan)
            continue
        if len(stages) == len(CLAIM_STAGES):
            continue
        stage = CLAIM_STAGES[len(stages)]
        last = checked_on + VALIDATE_AFTER + (CLAIM_AFTER if stage == Status.CLAIMED else timedelta(0))
        stages.append((plan, stage if stage == Status.CLAIM_READY or last <= today else Status.CLAIM_READY))
    return stages + [(plan, Status.SUSTAINING) for plan in sustaining[-MOST_SUSTAINING:]]


@transaction.atomic
def seed_supporting_families(*, today: date) -> str:
    """Register demo families at each stage the casework's dates allow; made once (a second run registers no one)."""
    officer, validator = _demo_user("sf.officer"), _demo_user("sf.validator")
    if officer is None or validator is None:
        return "Supporting Families: 0 demo families registered (no demo officers)"
    if Registration.objects.filter(needs__evidence__startswith=EVIDENCE_PREFIX).exists():
        return "Supporting Families: 0 demo families registered (already there)"
    teams = list(LocalAreaTeam.objects.order_by("name"))
    workers = {team.pk: _demo_user("cfs", team.slug) for team in teams}
    made = Counter()
    for plan, stage in _open_stages(teams) + _closed_stages(today=today):
        worker = workers.get(plan.episode.local_area_team_id)
        if worker is None:
            continue
        _register(plan, stage, worker=worker, officer=officer, today=today)
        made[stage] += 1
    summary = ", ".join(f"{made[stage]} {Status(stage).label.lower()}" for stage in Status.values if made[stage])
    return f"Supporting Families: {sum(made.values())} demo families registered ({summary or 'none'})"
