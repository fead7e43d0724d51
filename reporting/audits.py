"""Case audits: a Local Area Team manager grades one piece of a worker's work against a short checklist.

The rules, in one place so the pages and their tests say the same thing:
- Only a manager of the family's Local Area Team audits its work, and never their own (another manager does).
- The work audited is the family's own: the episode, and for an assessment and plan the assessment, the plan or
  both, for direct work the intervention, each of that family (and of that episode where it has one).
- The worker is the family's lead practitioner or intervention worker; they are told when the audit is recorded.
- Every checklist item of the kind is answered yes, no or not applicable; a grade and comments are required.
- The auditor and the worker audited may read an audit; so may a manager of the family's team (now or when it
  was audited) who also sees the family (`families_visible_to`: a restricted family only through its allow-list).
  Anyone else gets 404, and a manager's list leaves out the audits they may not read.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from assessments.models import EarlyHelpAssessment
from cases.models import Episode, Family, FamilyPlan, Intervention
from cases.selectors import families_visible_to
from cases.selectors.episodes import manages_team
from cases.services.episodes import notify_about_family
from earlyhelp.accounts.models import User
from earlyhelp.core.perms import LAT_MANAGER
from locality.models import LocalAreaTeam
from reporting.models import CaseAudit

YES, NO, NOT_APPLICABLE = "yes", "no", "not_applicable"
ANSWERS = [(YES, "Yes"), (NO, "No"), (NOT_APPLICABLE, "Not applicable")]

CHECKLISTS: dict[str, tuple[tuple[str, str], ...]] = {
    CaseAudit.Kind.ASSESSMENT_PLAN: (
        ("voice_of_child", "The voice of the child is recorded"),
        ("whole_family", "The assessment considers the whole family"),
        ("needs_analysed", "Needs are analysed, not only described"),
        ("smart_goals", "Goals are SMART and in the family's words"),
        ("actions_owned", "Actions have owners and dates"),
        ("reviewed_on_time", "The plan was reviewed on time"),
    ),
    CaseAudit.Kind.DIRECT_WORK: (
        ("sessions_recorded", "Sessions recorded within 2 working days"),
        ("matches_plan", "The work matches the plan's goals"),
        ("scaling_recorded", "Scaling recorded at start and review"),
        ("child_seen", "The child was seen and their views recorded"),
        ("oversight_recorded", "Management oversight is recorded"),
        ("closure_planned", "Closure was planned with the family"),
    ),
}

OWN_WORK = "You cannot audit your own work: ask another manager of the team to audit it"
NOT_MANAGER = "Only a manager of the family's Local Area Team can audit its work"


class CaseAuditError(Exception):
    """An audit the rules refuse; the message is shown to the user."""


def checklist_items(kind: str) -> tuple[tuple[str, str], ...]:
    return CHECKLISTS.get(kind, ())


def checklist_rows(audit: CaseAudit) -> list[tuple[str, str]]:
    """Each checklist item of the audit with its answer in words, in the checklist's order."""
    words = dict(ANSWERS)
    return [
        (text, words.get(audit.checklist.get(key, ""), "Not answered")) for key, text in checklist_items(audit.kind)
    ]


# Selectors


def teams_managed(user) -> QuerySet[LocalAreaTeam]:
    """The Local Area Teams `user` is a manager of (the same rule as `manages_team`)."""
    if not (user.is_authenticated and user.is_active):
        return LocalAreaTeam.objects.none()
    return LocalAreaTeam.objects.filter(teams__memberships__user=user, teams__memberships__role=LAT_MANAGER)


def _audits() -> QuerySet[CaseAudit]:
    return CaseAudit.objects.select_related("family", "worker", "auditor", "local_area_team")


def case_audits_for_manager(*, user, kind: str = "", grade: str = "") -> QuerySet[CaseAudit]:
    """Audits of the work of the teams `user` manages, newest first, narrowed by kind and grade when given; an
    audit of a family `user` does not see (a restricted one not on its allow-list) only if they did it or it is of
    their work."""
    readable = Q(auditor=user) | Q(worker=user) | Q(family__in=families_visible_to(user).values("pk"))
    audits = _audits().filter(readable, local_area_team__in=teams_managed(user).values("pk"))
    if kind:
        audits = audits.filter(kind=kind)
    if grade:
        audits = audits.filter(grade=grade)
    return audits


def case_audits_of_worker(*, user) -> QuerySet[CaseAudit]:
    """Audits of `user`'s own work, newest first."""
    return _audits().filter(worker=user)


def case_audit_get(*, user, uuid) -> CaseAudit:
    """An audit `user` did, of `user`'s own work, or of a team `user` manages (the family's now or then) when
    `user` also sees the family; or 404."""
    try:
        audit = _audits().select_related("family__local_area_team", "episode", "assessment", "plan", "intervention")
        audit = audit.get(uuid=uuid)
    except (CaseAudit.DoesNotExist, ValueError):
        raise Http404("No such audit") from None
    if user.pk in (audit.auditor_id, audit.worker_id):
        return audit
    teams = {audit.local_area_team, audit.family.local_area_team} - {None}
    if any(manages_team(user=user, local_area_team=team) for team in teams) and (
        families_visible_to(user).filter(pk=audit.family_id).exists()
    ):
        return audit
    raise Http404("No such audit")


def auditable_workers(*, family: Family) -> QuerySet[User]:
    """Whose work on `family` can be audited: its episodes' lead practitioners and its intervention workers."""
    leads = Episode.objects.filter(family=family).values("lead_practitioner")
    workers = Intervention.objects.filter(family=family).values("worker")
    return User.objects.filter(Q(pk__in=leads) | Q(pk__in=workers)).order_by("full_name", "id")


def auditable_records(*, family: Family) -> dict[str, QuerySet]:
    """The family's episodes, assessments, plans and interventions an audit may be about."""
    return {
        "episodes": Episode.objects.filter(family=family).select_related("family").order_by("-requested_at", "-id"),
        "assessments": EarlyHelpAssessment.objects.filter(family=family).order_by("-version"),
        "plans": FamilyPlan.objects.filter(family=family).select_related("family").order_by("-episode_id", "-version"),
        "interventions": Intervention.objects.filter(family=family).order_by("-started_on", "-id"),
    }


# Services


def _records_validate(*, family, kind, worker, episode, assessment, plan, intervention) -> None:
    errors = {}
    if episode is None or episode.family_id != family.pk:
        errors["episode"] = "Choose an episode of this family's early help"
    if kind == CaseAudit.Kind.ASSESSMENT_PLAN:
        if assessment is None and plan is None:
            errors["plan"] = "Choose the assessment, the plan, or both"
        if assessment is not None and assessment.family_id != family.pk:
            errors["assessment"] = "Choose an assessment of this family"
        if plan is not None and (plan.family_id != family.pk or (episode and plan.episode_id != episode.pk)):
            errors["plan"] = "Choose a plan of the episode audited"
    elif kind == CaseAudit.Kind.DIRECT_WORK:
        if intervention is None:
            errors["intervention"] = "Choose the intervention audited"
        elif intervention.family_id != family.pk or (episode and intervention.episode_id != episode.pk):
            errors["intervention"] = "Choose an intervention of the episode audited"
    else:
        errors["kind"] = "Choose what kind of work is audited"
    if worker is None or not auditable_workers(family=family).filter(pk=worker.pk).exists():
        errors["worker"] = "Choose the family's lead practitioner or intervention worker"
    if errors:
        raise ValidationError(errors)


def _checklist_validate(*, kind: str, checklist: dict) -> dict:
    answers = {answer for answer, _ in ANSWERS}
    missing = [key for key, _ in checklist_items(kind) if checklist.get(key) not in answers]
    if missing:
        raise ValidationError({f"check_{key}": "Answer yes, no or not applicable" for key in missing})
    return {key: checklist[key] for key, _ in checklist_items(kind)}


@transaction.atomic
def case_audit_record(
    *,
    user,
    family: Family,
    kind: str,
    worker: User,
    episode: Episode | None,
    checklist: dict,
    grade: str,
    comments: str,
    assessment: EarlyHelpAssessment | None = None,
    plan: FamilyPlan | None = None,
    intervention: Intervention | None = None,
) -> CaseAudit:
    """Record a manager's audit of a worker's work on `family`, and tell the worker (`case_audit_record` is the
    only way an audit is written)."""
    if family.local_area_team is None or not manages_team(user=user, local_area_team=family.local_area_team):
        raise CaseAuditError(NOT_MANAGER)
    if worker is not None and worker.pk == user.pk:
        raise CaseAuditError(OWN_WORK)
    _records_validate(
        family=family, kind=kind, worker=worker, episode=episode, assessment=assessment, plan=plan,
        intervention=intervention,
    )  # fmt: skip
    if grade not in CaseAudit.Grade.values:
        raise ValidationError({"grade": "Choose a grade"})
    if not comments.strip():
        raise ValidationError({"comments": "Enter your comments on the work"})
    audit = CaseAudit(
        kind=kind,
        family=family,
        episode=episode,
        assessment=assessment if kind == CaseAudit.Kind.ASSESSMENT_PLAN else None,
        plan=plan if kind == CaseAudit.Kind.ASSESSMENT_PLAN else None,
        intervention=intervention if kind == CaseAudit.Kind.DIRECT_WORK else None,
        local_area_team=family.local_area_team,
        worker=worker,
        auditor=user,
        audited_on=timezone.localdate(),
        grade=grade,
        checklist=_checklist_validate(kind=kind, checklist=checklist),
        comments=comments.strip(),
    )
    audit.full_clean()
    audit.save()
    _worker_tell(audit)
    return audit


def _worker_tell(audit: CaseAudit) -> None:
    url = reverse("reporting:case_audit", kwargs={"uuid": audit.uuid})
    what = f"{audit.auditor.full_name} audited your {audit.get_kind_display().lower()}"
    grade = audit.get_grade_display().lower()
    notify_about_family(
        user=audit.worker,
        family=audit.family,
        message=f"{what} for the {audit.family.name} family: {grade}",
        url=url,
        nameless=f"{what} for family {audit.family.reference}: {grade}",
    )
    audit.worker_told_at = timezone.now()
    audit.save(update_fields=["worker_told_at", "updated_at"])
