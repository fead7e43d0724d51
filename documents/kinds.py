"""What can be printed: one entry per kind of document, each naming its template and how to read its record.

A kind reads its record with the permission-aware selector the record's own page uses, as the requester, so a
PDF never shows more than that person's screen would. Bump a kind's `version` whenever its template changes what
the document says or how it is laid out: the version is stored with every document.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class Kind:
    slug: str
    title: str  # "Family plan": headings, the request page, the download name
    template: str
    version: str
    # (user, uuid) -> the record, or Http404 when the user may not see it.
    record: Callable[..., Any]
    # record -> the family it belongs to.
    family: Callable[[Any], Any]
    # (user, record) -> the template's context (besides `family`, `kind`, `generated_at` and `title`).
    context: Callable[..., dict]
    # record -> which version of the record the document shows, e.g. "version 2, changed 2 Dec 2026 10:15".
    record_version: Callable[[Any], str]


def changed(moment) -> str:
    return f"changed {timezone.localtime(moment):%d %b %Y %H:%M}"


# --- Family plan -----------------------------------------------------------------------------------------------


def _plan_record(*, user, uuid):
    from cases.selectors.plans import plan_page

    return plan_page(user=user, uuid=uuid)


def _plan_context(*, user, record) -> dict:
    from cases.selectors.taf import meeting_last_held

    episode = record.episode
    return {"plan": record, "episode": episode, "last_meeting": meeting_last_held(episode=episode)}


PLAN = Kind(
    slug="plan",
    title="Family plan",
    template="pdf/plan.html",
    version="plan-1",
    record=_plan_record,
    family=lambda plan: plan.family,
    context=_plan_context,
    record_version=lambda plan: f"version {plan.version}, {changed(plan.updated_at)}",
)

KINDS: dict[str, Kind] = {kind.slug: kind for kind in (PLAN,)}

# The bulk export: every open plan of a Local Area Team, one PDF each, in one ZIP.
TEAM_PLANS = "team_plans"
TEAM_PLANS_TITLE = "Open family plans"
TEAM_PLANS_VERSION = "team-plans-1"

KIND_TITLES = {slug: kind.title for slug, kind in KINDS.items()} | {TEAM_PLANS: TEAM_PLANS_TITLE}
