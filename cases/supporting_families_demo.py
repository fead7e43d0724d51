"""Demo data for the Supporting Families programme: in each Local Area Team, a few families with an agreed plan are
registered at each stage, from identified to claimed, so the officer's list, a registration's page and the quarterly
return have something to show. Synthetic data only; dates follow `today`."""

from datetime import date, timedelta

from django.db import transaction

from cases.models import Episode, FamilyPlan
from cases.models.supporting_families import Headline, SupportingFamiliesRegistration
from cases.selectors.episodes import add_months
from cases.services import supporting_families as services
from earlyhelp.accounts.models import User
from earlyhelp.audit.context import acting_as
from locality.models import LocalAreaTeam

Registration = SupportingFamiliesRegistration
Status = Registration.Status
# Each team's registrations: families whose early help is under way at these stages, and families whose early
# help has closed at these.
OPEN_STAGES = [Status.IDENTIFIED, Status.ELIGIBLE, Status.WORKING]
CLOSED_STAGES = [Status.SUSTAINING, Status.CLAIM_READY, Status.CLAIMED]
NEEDS = [
    (Headline.EDUCATION, "Synthetic demo: school attendance below 90% over two terms."),
    (Headline.HOUSING, "Synthetic demo: rent arrears and a notice seeking possession."),
    (Headline.FINANCIAL, "Synthetic demo: problem debt and no budgeting support."),
    (Headline.RELATIONSHIPS, "Synthetic demo: frequent conflict between the parents affecting the children."),
]


def _demo_user(local: str, slug: str | None = None) -> User | None:
    from cases.demo.staff import demo_email

    return User.objects.filter(email=demo_email(local, slug)).first()


def _plans(team: LocalAreaTeam, *, closed: bool):
    episodes = Episode.objects.filter(local_area_team=team, family__restricted=False, supporting_families=None)
    episodes = episodes.filter(status=Episode.Status.CLOSED) if closed else episodes.filter(status__in=Episode.WORKING)
    return (
        FamilyPlan.objects.filter(episode__in=episodes, status=FamilyPlan.Status.AGREED)
        .select_related("episode", "family", "episode__lead_practitioner")
        .order_by("family__reference")
    )


def _assessment_for(plan: FamilyPlan, *, user, today: date):
    """The family's authorised whole-family assessment; a synthetic one when the demo family has none."""
    from assessments.models import EarlyHelpAssessment

    found = plan.family.assessments.filter(status=EarlyHelpAssessment.Status.AUTHORISED).order_by("-version").first()
    if found is not None:
        return found
    version = (plan.family.assessments.order_by("-version").values_list("version", flat=True).first() or 0) + 1
    return EarlyHelpAssessment.objects.create(
        family=plan.family,
        version=version,
        status=EarlyHelpAssessment.Status.AUTHORISED,
        assessor=user,
        started_on=today - timedelta(days=120),
        completed_on=today - timedelta(days=110),
        analysis="Synthetic demo: a whole-family assessment.",
        decided_by=user,
    )


def _register(plan: FamilyPlan, stage: str, *, worker: User, officer: User, today: date) -> Registration:
    lead = plan.episode.lead_practitioner or worker
    with acting_as(worker):
        registration = services.registration_create(
            user=worker,
            family=plan.family,
            lead_practitioner=lead if lead.pk in _leads(plan) else None,
            assessment=_assessment_for(plan, user=worker, today=today),
            plan=plan,
        )
        for headline, evidence in NEEDS[: 2 if stage == Status.IDENTIFIED else 3]:
            services.need_add(user=worker, registration=registration, headline=headline, evidence=evidence)
    if stage == Status.IDENTIFIED:
        return registration
    with acting_as(officer):
        return _moved_on(registration, stage, officer=officer, today=today)


def _moved_on(registration: Registration, stage: str, *, officer: User, today: date) -> Registration:
    registration = services.registration_move(user=officer, registration=registration, status=Status.ELIGIBLE)
    if stage == Status.ELIGIBLE:
        return registration
    if stage == Status.WORKING:
        return services.registration_move(user=officer, registration=registration, status=Status.WORKING)
    return _closed_stage(registration, stage, officer=officer, today=today)


def _leads(plan: FamilyPlan) -> set[int]:
    from cases.selectors.supporting_families import lead_practitioner_choices

    return set(lead_practitioner_choices(family=plan.family).values_list("pk", flat=True))


def _closed_stage(registration: Registration, stage: str, *, officer: User, today: date) -> Registration:
    """A registration whose early help closed: seven months ago when its claim is under way, else last month."""
    closed_on = add_months(today, -7) if stage != Status.SUSTAINING else add_months(today, -1)
    Registration.objects.filter(pk=registration.pk).update(
        status=Status.SUSTAINING, closed_on=closed_on, sustain_until=add_months(closed_on, Registration.SUSTAIN_MONTHS)
    )
    registration.refresh_from_db()
    if stage == Status.SUSTAINING:
        return registration
    for need in registration.needs.all():
        services.need_outcome_record(
            user=officer,
            need=need,
            achieved_on=closed_on - timedelta(days=14),
            outcome_evidence="Synthetic demo: resolved before closure.",
            sustained=True,
            sustained_checked_on=today,
        )
    _data_matching_consent(registration.family, officer=officer, today=today)
    registration = services.registration_move(user=officer, registration=registration, status=Status.CLAIM_READY)
    if stage == Status.CLAIM_READY:
        return registration
    # A second person validates: the demo has one officer, so the family's team manager checks the claim.
    validator = _demo_user("manager", registration.family.local_area_team.slug)
    with acting_as(validator):
        registration = services.registration_move(user=validator, registration=registration, status=Status.VALIDATED)
    reference = f"SF-DEMO-{registration.family.reference[-4:]}"
    return services.registration_move(
        user=officer, registration=registration, status=Status.CLAIMED, claim_reference=reference
    )


def _data_matching_consent(family, *, officer: User, today: date) -> None:
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
            obtained_on=today - timedelta(days=200),
            review_on=today + timedelta(days=165),
        )
    consent.data_matching = True
    consent.save()


@transaction.atomic
def seed_supporting_families(*, today: date) -> str:
    """Register a few demo families in each Local Area Team, one at each stage; made once (families already
    registered are left alone)."""
    officer = _demo_user("sf.officer")
    if officer is None:
        return "Supporting Families: no demo officer, nothing registered"
    made = 0
    for turn, team in enumerate(LocalAreaTeam.objects.order_by("name")):
        worker = _demo_user("cfs", team.slug)
        if worker is None:
            continue
        # A small demo has one closed episode a team: each team then shows a different stage of the claim.
        closed_stages = CLOSED_STAGES[turn % 3 :] + CLOSED_STAGES[: turn % 3]
        stages = list(zip(_plans(team, closed=False)[:3], OPEN_STAGES, strict=False))
        stages += zip(_plans(team, closed=True)[:3], closed_stages, strict=False)
        for plan, stage in stages:
            _register(plan, stage, worker=worker, officer=officer, today=today)
            made += 1
    return f"Supporting Families: {made} demo families registered, from identified to claimed"
