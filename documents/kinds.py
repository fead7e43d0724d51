"""What can be printed: one entry per kind of document, each naming its template and how to read its record.

A kind reads its record with the permission-aware selector the record's own page uses, as the requester, so a
PDF never shows more than that person's screen would. Bump a kind's `version` whenever its template changes what
the document says or how it is laid out: the version is stored with every document.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils import timezone

from earlyhelp.core import perms


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
    """The plan alone: asking for its PDF needs only whether `user` sees it and its family."""
    from cases.selectors.plans import plan_get

    return plan_get(user=user, uuid=uuid)


def _plan_context(*, user, record) -> dict:
    """Everything the plan's page shows, read as `user` sees it."""
    from cases.selectors.plans import plan_page
    from cases.selectors.taf import meeting_last_held

    episode = record.episode
    plan = plan_page(user=user, uuid=record.uuid)
    return {"plan": plan, "episode": episode, "last_meeting": meeting_last_held(episode=episode)}


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

# --- Whole-family assessment -----------------------------------------------------------------------------------


def _assessment_record(*, user, uuid):
    from assessments.selectors import assessment_get

    return assessment_get(user=user, uuid=uuid)


def _assessment_context(*, user, record) -> dict:
    """What the assessment's read-only page shows, with anyone `user` may not see unnamed: a section about them
    is left out (every answer in it is about them), their scaling and needs are shown for someone in the family."""
    from assessments.selectors import assessment_sections
    from cases.selectors.plans import person_is_hidden, visible_person_ids

    visible = visible_person_ids(user=user, family=record.family)
    sections = [section for section in assessment_sections(assessment=record) if not section.spec.special]
    scalings = list(record.scalings.select_related("person"))
    needs = list(record.needs.select_related("person"))
    for row in (*sections, *scalings, *needs):
        row.person_hidden = person_is_hidden(row.person_id, visible)
    subjects = list(record.subjects.select_related("person").order_by("-is_child", "person__date_of_birth", "id"))
    for subject in subjects:
        subject.person_hidden = person_is_hidden(subject.person_id, visible)
    return {
        "assessment": record,
        # While it is being written, its answers are on the pages of those who may edit it, not on the summary.
        "show_answers": not record.is_editable or user.has_perm(perms.EDIT_ASSESSMENT),
        "sections": sections,
        "scalings": scalings,
        "needs": needs,
        "subjects": subjects,
    }


ASSESSMENT = Kind(
    slug="assessment",
    title="Early Help Assessment",
    template="pdf/assessment.html",
    version="assessment-1",
    record=_assessment_record,
    family=lambda assessment: assessment.family,
    context=_assessment_context,
    record_version=lambda assessment: (
        f"version {assessment.version}, {assessment.get_status_display().lower()}, {changed(assessment.updated_at)}"
    ),
)


# --- MASH contact and decision -----------------------------------------------------------------------------------


def _contact_record(*, user, uuid):
    """The contact as the MASH sees it (`referrals:contact_detail`). A document belongs to a family, so a contact
    about children with no family record in York cannot be printed."""
    from referrals.selectors import contact_get

    contact = contact_get(user=user, uuid=uuid)
    if contact.family is None:
        raise Http404("This contact has no family record, so it cannot be printed")
    return contact


def _contact_context(*, user, record) -> dict:
    """The contact page's content. A child restricted since the contact was made is named only to the family's
    allow-list, as everywhere else."""
    from cases.selectors import people_visible_to
    from referrals.selectors import contact_decision, contacts_previous, transfer_for

    children = list(record.children.all())
    restricted = [child.person_id for child in children if child.person.restricted]
    allowed = set()
    if restricted:
        allowed = set(people_visible_to(user).filter(pk__in=restricted).values_list("pk", flat=True))
    for child in children:
        child.person_hidden = child.person.restricted and child.person_id not in allowed
    return {
        "contact": record,
        "children": children,
        "ratings": list(record.ratings.select_related("rated_by")),
        "decision": contact_decision(contact=record),
        "transfer": transfer_for(contact=record),
        "previous": contacts_previous(user=user, contact=record),
    }


CONTACT = Kind(
    slug="contact",
    title="MASH contact and decision",
    template="pdf/contact.html",
    version="contact-1",
    record=_contact_record,
    family=lambda contact: contact.family,
    context=_contact_context,
    record_version=lambda contact: (
        f"contact {contact.reference}, {contact.get_status_display().lower()}, {changed(contact.updated_at)}"
    ),
)


# --- Chronology --------------------------------------------------------------------------------------------------


def _chronology_record(*, user, uuid):
    from cases.selectors import family_get

    return family_get(user=user, uuid=uuid)


def _chronology_context(*, user, record) -> dict:
    """Every type of event, oldest first, naming only the people `user` may see (as the chronology page does)."""
    from cases.selectors.chronology import chronology_for

    entries = chronology_for(user=user, family=record)
    record.chronology_count = len(entries)  # for record_version, which is read after the context
    return {"entries": entries}


def _chronology_version(family) -> str:
    count = getattr(family, "chronology_count", None)
    events = f"{count} event{'s' if count != 1 else ''} " if count is not None else ""
    return f"{events}as at {timezone.localtime():%d %b %Y %H:%M}"


CHRONOLOGY = Kind(
    slug="chronology",
    title="Chronology",
    template="pdf/chronology.html",
    version="chronology-1",
    record=_chronology_record,
    family=lambda family: family,
    context=_chronology_context,
    record_version=_chronology_version,
)


# --- Closure summary ---------------------------------------------------------------------------------------------


def _closure_record(*, user, uuid):
    from cases.selectors.episodes import closure_get

    return closure_get(user=user, uuid=uuid)


def _closure_context(*, user, record) -> dict:
    """The closure with the final scores of the episode's goals: its agreed plan, else its latest version."""
    from cases.selectors.plans import plan_agreed_for, plan_page

    episode = record.episode
    plan = plan_agreed_for(episode=episode) or episode.plans.order_by("-version").first()
    return {
        "closure": record,
        "episode": episode,
        "plan": plan_page(user=user, uuid=plan.uuid) if plan else None,
    }


CLOSURE = Kind(
    slug="closure",
    title="Closure summary",
    template="pdf/closure.html",
    version="closure-1",
    record=_closure_record,
    family=lambda closure: closure.family,
    context=_closure_context,
    record_version=lambda closure: f"{closure.get_status_display().lower()}, {changed(closure.updated_at)}",
)

KINDS: dict[str, Kind] = {kind.slug: kind for kind in (PLAN, ASSESSMENT, CONTACT, CHRONOLOGY, CLOSURE)}

# The bulk export: every open plan of a Local Area Team, one PDF each, in one ZIP.
TEAM_PLANS = "team_plans"
TEAM_PLANS_TITLE = "Open family plans"
TEAM_PLANS_VERSION = "team-plans-1"

KIND_TITLES = {slug: kind.title for slug, kind in KINDS.items()} | {TEAM_PLANS: TEAM_PLANS_TITLE}
