"""Synthetic demo data for case audits and training records (indicators i to l), built on the families, episodes
and users `seed_demo` has already made. Deterministic for a given `today`; never run in production."""

import random
from datetime import date, timedelta

from django.db.models import Exists, OuterRef

from cases.models import Episode, FamilyPlan, Intervention
from cases.selectors.episodes import team_managers
from earlyhelp.accounts.models import User
from locality.models import Agency, LocalAreaTeam
from reporting.audits import CHECKLISTS, NO, NOT_APPLICABLE, YES
from reporting.models import CaseAudit, TrainingRecord

AUDITS_PER_TEAM = 8
GRADES = [CaseAudit.Grade.GOOD] * 5 + [CaseAudit.Grade.REQUIRES_IMPROVEMENT] * 3 + [CaseAudit.Grade.INADEQUATE]
COMMENTS = {
    CaseAudit.Grade.GOOD: "The child's voice runs through the work and the goals are the family's own.",
    CaseAudit.Grade.REQUIRES_IMPROVEMENT: "Needs are described more than analysed; add dates to the actions.",
    CaseAudit.Grade.INADEQUATE: "Sessions were recorded late and the child's views are missing.",
}
EXTERNAL_PRACTITIONERS = [
    ("Robin Teacher", "robin.teacher@example.org", "Hob Moor Lane Primary School (demo)", "hob-moor"),
    ("Ellis Nurse", "ellis.nurse@example.org", "York Health Visiting Service (demo)", None),
    ("Kit Officer", "kit.officer@example.org", "Police (demo)", None),
    ("Quinn Housing", "quinn.housing@example.org", "Housing Services (demo)", None),
    ("Rowan Volunteer", "rowan.volunteer@example.org", "Family Friends Voluntary Project (demo)", "clifton"),
]


def _checklist(rng: random.Random, kind: str, grade: str) -> dict:
    weights = {CaseAudit.Grade.GOOD: 0.9, CaseAudit.Grade.REQUIRES_IMPROVEMENT: 0.6, CaseAudit.Grade.INADEQUATE: 0.3}
    return {
        key: YES if rng.random() < weights[grade] else (NO if rng.random() < 0.8 else NOT_APPLICABLE)
        for key, _ in CHECKLISTS[kind]
    }


def _team_audits(rng: random.Random, team: LocalAreaTeam, today: date) -> list[CaseAudit]:
    managers = list(team_managers(local_area_team=team))
    if not managers:
        return []
    episodes = (
        Episode.objects.filter(local_area_team=team, lead_practitioner__isnull=False)
        .filter(Exists(FamilyPlan.objects.filter(episode=OuterRef("pk"))))
        .select_related("family", "assessment")
        .order_by("id")[: AUDITS_PER_TEAM * 3]
    )
    audits = []
    for episode in rng.sample(list(episodes), min(AUDITS_PER_TEAM, len(episodes))):
        auditor = next((m for m in managers if m.pk != episode.lead_practitioner_id), None)
        intervention = Intervention.objects.filter(episode=episode).exclude(worker=auditor).first()
        kind = CaseAudit.Kind.DIRECT_WORK if intervention and rng.random() < 0.5 else CaseAudit.Kind.ASSESSMENT_PLAN
        worker_id = intervention.worker_id if kind == CaseAudit.Kind.DIRECT_WORK else episode.lead_practitioner_id
        if auditor is None or auditor.pk == worker_id:
            continue
        grade = rng.choice(GRADES)
        audited_on = today - timedelta(days=rng.randint(3, 330))
        audits.append(
            CaseAudit(
                kind=kind,
                family=episode.family,
                episode=episode,
                assessment=episode.assessment if kind == CaseAudit.Kind.ASSESSMENT_PLAN else None,
                plan=episode.plans.order_by("-version").first() if kind == CaseAudit.Kind.ASSESSMENT_PLAN else None,
                intervention=intervention if kind == CaseAudit.Kind.DIRECT_WORK else None,
                local_area_team=team,
                worker_id=worker_id,
                auditor=auditor,
                audited_on=audited_on,
                grade=grade,
                checklist=_checklist(rng, kind, grade),
                comments=COMMENTS[grade],
            )
        )
    return audits


def seed_case_audits(*, today: date) -> str:
    """Managers' audits of their teams' assessments, plans and direct work over the past year (indicators i, j)."""
    if CaseAudit.objects.exists():
        return "Case audits already present; left as they are."
    rng = random.Random(today.toordinal())  # nosec B311  # seeded generator for synthetic demo data, not for anything secret
    made = 0
    for team in LocalAreaTeam.objects.order_by("name"):
        for audit in _team_audits(rng, team, today):
            audit.save()
            CaseAudit.objects.filter(pk=audit.pk).update(worker_told_at=audit.created_at)
            made += 1
    return f"{made} case audits recorded by the Local Area Team managers."


def _practitioners() -> list[tuple[str, str, Agency | None, LocalAreaTeam | None, User | None]]:
    people = []
    for user in User.objects.filter(email__endswith="@example.org", is_service_account=False).select_related("agency"):
        membership = user.memberships.select_related("team__local_area_team").first()
        if membership is None or membership.role not in (
            "lead_practitioner",
            "cfs_worker",
            "lat_manager",
            "partner_practitioner",
            "agency_lead",
        ):
            continue
        people.append((user.full_name, user.email, user.agency, membership.team.local_area_team, user))
    agencies = {a.name: a for a in Agency.objects.filter(name__in=[p[2] for p in EXTERNAL_PRACTITIONERS])}
    teams = {t.slug: t for t in LocalAreaTeam.objects.all()}
    for name, email, agency, team in EXTERNAL_PRACTITIONERS:
        people.append((name, email, agencies.get(agency), teams.get(team), None))
    return people


def seed_training(*, today: date) -> str:
    """Courses completed by the demo practitioners over the past year (indicators k and l)."""
    if TrainingRecord.objects.exists():
        return "Training records already present; left as they are."
    recorder = User.objects.filter(email="analyst@example.org").first()
    if recorder is None:
        return "No performance analyst to record training; none added."
    rng = random.Random(today.toordinal() + 1)  # nosec B311  # seeded generator for synthetic demo data, not for anything secret
    records = []
    for name, email, agency, team, user in _practitioners():
        courses = rng.sample(TrainingRecord.Course.values[:4], rng.randint(0, 3))
        for course in courses:
            records.append(
                TrainingRecord(
                    practitioner_name=name,
                    practitioner_email=email,
                    user=user,
                    agency=agency,
                    local_area_team=team,
                    course=course,
                    completed_on=today - timedelta(days=rng.randint(1, 360)),
                    source=rng.choice(TrainingRecord.Source.values),
                    recorded_by=recorder,
                )
            )
    for record in records:
        record.save()
    return f"{len(records)} training records for {len({r.practitioner_email for r in records})} practitioners."
