"""Reads of documents. Every request and download starts here: out of scope is 404, never 403."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases.models import Episode, FamilyPlan
from cases.selectors import families_visible_to
from cases.selectors.episodes import manages_team
from consent.models import DisclosureLog
from consent.selectors import SharingDecision, agency_may_receive
from documents.kinds import TEAM_PLANS
from documents.models import DocumentRequest
from locality.models import LocalAreaTeam
from locality.selectors import team_ids_with_case_access

RECORD_HOLDER_MESSAGE = ""


def document_sharing(*, user, family) -> SharingDecision:
    """Whether `user` may take a copy of `family`'s records out of the system as a document, and on what basis.

    Staff of the Local Area Team holding the family (rule 1) hold the record; they take a copy for the service's
    own work. Everyone else (partners through a grant, the MASH, an allow-listed reader from elsewhere) may only
    while consent, or a safeguarding override, covers their agency: the same check as any other disclosure.
    """
    if family.local_area_team_id and team_ids_with_case_access(user).filter(pk=family.local_area_team_id).exists():
        return SharingDecision(True, None, RECORD_HOLDER_MESSAGE)
    return agency_may_receive(family=family, agency=user.agency)


def disclosure_basis(decision: SharingDecision) -> str:
    if decision.consent is None:
        return DisclosureLog.Basis.RECORD_HOLDER
    return decision.basis


def document_request_get(*, user, uuid) -> DocumentRequest:
    """One of `user`'s own requests, while they may still see its family (or still manage its team), or 404."""
    try:
        request = DocumentRequest.objects.select_related("family", "local_area_team", "document", "requested_by").get(
            uuid=uuid, requested_by=user
        )
    except (DocumentRequest.DoesNotExist, ValueError):
        raise Http404("No such document") from None
    if request.family_id is not None:
        if not families_visible_to(user).filter(pk=request.family_id).exists():
            raise Http404("No such document")
    elif not manages_team(user=user, local_area_team=request.local_area_team):
        raise Http404("No such document")
    return request


def document_requests_for_family(*, user, family) -> QuerySet[DocumentRequest]:
    """`user`'s own documents of one family (the caller has already checked that they see it), newest first."""
    return DocumentRequest.objects.filter(family=family, requested_by=user).select_related("document")


def team_get_managed(*, user, uuid) -> LocalAreaTeam:
    """A Local Area Team `user` manages, or 404."""
    try:
        team = LocalAreaTeam.objects.get(uuid=uuid)
    except (LocalAreaTeam.DoesNotExist, ValueError):
        raise Http404("No such team") from None
    if not manages_team(user=user, local_area_team=team):
        raise Http404("No such team")
    return team


def team_plan_exports(*, user, team) -> QuerySet[DocumentRequest]:
    return DocumentRequest.objects.filter(local_area_team=team, family=None, requested_by=user).select_related(
        "document"
    )


def team_open_plans(*, user, team) -> list[FamilyPlan]:
    """Each open episode's current plan in `team` (the agreed version, else the draft) that `user` may see,
    ordered by family reference."""
    plans = (
        FamilyPlan.objects.filter(
            episode__local_area_team=team,
            episode__status__in=Episode.OPEN,
            status__in=(FamilyPlan.Status.AGREED, FamilyPlan.Status.DRAFT),
            family__in=families_visible_to(user),
        )
        .select_related("family")
        .only("uuid", "status", "episode_id", "family__reference")
        .order_by("family__reference", "episode_id")
    )
    current: dict[int, FamilyPlan] = {}
    for plan in plans:
        if plan.episode_id not in current or plan.status == FamilyPlan.Status.AGREED:
            current[plan.episode_id] = plan
    return list(current.values())


def requests_to_requeue(*, now=None) -> QuerySet[DocumentRequest]:
    """Requests the every-minute sweep looks at: queued for longer than DOCUMENT_REQUEUE_AFTER_SECONDS (the broker
    was down, or lost the message), or rendering for that long. The sweep sends a rendering one again only once its
    worker is gone: on PostgreSQL as soon as the worker's hold on it is (`earlyhelp.core.claims`), otherwise once
    `rendering_past_hard_limit`."""
    now = now or timezone.now()
    before = now - timedelta(seconds=settings.DOCUMENT_REQUEUE_AFTER_SECONDS)
    return DocumentRequest.objects.filter(
        Q(status=DocumentRequest.Status.QUEUED, queued_at__lt=before)
        | Q(status=DocumentRequest.Status.RENDERING, started_at__lt=before)
    ).order_by("queued_at", "id")


def rendering_past_hard_limit(request: DocumentRequest, *, now=None) -> bool:
    """Whether a rendering request started longer ago than its task's hard time limit and a minute, so no worker
    can still be on it (a team export may run for DOCUMENT_EXPORT_SOFT_LIMIT_SECONDS, its hard limit a minute
    more)."""
    now = now or timezone.now()
    if request.kind == TEAM_PLANS:
        limit = settings.DOCUMENT_EXPORT_SOFT_LIMIT_SECONDS + 60
    else:
        limit = settings.DOCUMENT_RENDER_HARD_LIMIT_SECONDS
    return request.started_at < now - timedelta(seconds=limit + 60)


def documents_past_retention(*, now=None) -> QuerySet[DocumentRequest]:
    """Ready documents whose file was made longer ago than DOCUMENT_RETENTION_DAYS."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.DOCUMENT_RETENTION_DAYS)
    return DocumentRequest.objects.filter(
        status=DocumentRequest.Status.READY, document__created_at__lt=before
    ).select_related("document")
