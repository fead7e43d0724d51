"""The access matrix: every URL pattern, every persona, every kind of family.

A URL pattern without an entry in MATRIX fails `test_every_url_pattern_has_a_matrix_entry`, so
no page can be added without deciding who may see it. Expected outcomes come from
docs/permissions.md: 302 to sign in for anonymous users, 403 for a role without the page's
permission, 404 for a record outside the persona's scope, and 200 otherwise.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases.models import Episode, Family, Headline, SupportingFamiliesNeed, SupportingFamiliesRegistration, Transfer
from consent.models import ConsentRecord
from documents.models import Document, DocumentRequest
from earlyhelp.accounts.models import SignedInSession
from earlyhelp.core import perms
from governance.models import Restriction, RetentionReview, SubjectAccessRequest
from locality.models import Agency
from referrals.models import Contact
from reporting.models import CaseAudit, TrainingRecord
from tests.factories import (
    ActionFactory,
    AssessmentFactory,
    AssessmentSectionFactory,
    CaseNoteFactory,
    ClosureFactory,
    ConsentRecordFactory,
    ConsentShareFactory,
    ContactChildFactory,
    ContactFactory,
    EpisodeFactory,
    FamilyMemberFactory,
    FamilyPlanFactory,
    GoalFactory,
    InterventionExtensionFactory,
    InterventionFactory,
    NeedFactory,
    NotificationFactory,
    ServiceFactory,
    TafMeetingFactory,
    TafMemberFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

PERSONAS = (
    "anonymous",
    "partner",
    "cfs_worker",
    "lat_manager",
    "mash_screener",
    "mash_manager",
    "other_lat",
    "analyst",
    "sf_officer",
    "ig_officer",
)
SCOPES = ("own", "other", "restricted", "granted")

# Which families each persona may see (docs/permissions.md, rules 1 to 4). Every family in the world has an
# open contact, so the MASH sees each one but the restricted family (rule 3).
FRONT_DOOR = {"own", "other", "granted"}
VISIBLE = {
    "anonymous": set(),
    "partner": {"granted"},
    "cfs_worker": {"own"},
    "lat_manager": {"own"},
    "mash_screener": FRONT_DOOR,
    "mash_manager": FRONT_DOOR,
    "other_lat": {"other"},
    "analyst": set(),
    "sf_officer": set(),
    "ig_officer": set(),
}
# Document requests are personal: each scope's request was made by one persona, and only they may open it, only
# while they still see its family. The restricted family's request was made by the Tang Hall manager, who is not on
# its allow-list, so even they get 404 (as if taken off the list after asking).
DOCUMENT_OWNERS = {"own": "cfs_worker", "other": "other_lat", "restricted": "lat_manager", "granted": "partner"}
# Records seen by one kind of reader whatever their families: contacts by the MASH (never restricted ones),
# a referral by the practitioner who made it, a request for early help by its team's managers.
VISIBLE_BY_KIND = {
    "contact": {"mash_screener": FRONT_DOOR, "mash_manager": FRONT_DOOR},
    "front_door_family": {"mash_screener": FRONT_DOOR, "mash_manager": FRONT_DOOR},
    "referral": {"partner": {"own", "other", "restricted", "granted"}},
    "episode": {"lat_manager": {"own"}},
    # A Local Area Team, named by the team of the scope's family: the manager manages Tang Hall, which holds the
    # own and the restricted family; Hob Moor and Clifton are other teams to them.
    "team": {"lat_manager": {"own", "restricted"}},
    "document_request": {owner: {scope} for scope, owner in DOCUMENT_OWNERS.items() if scope in VISIBLE[owner]},
    # Every scope's audit was made by the Tang Hall manager of the CFS worker's work: the two of them read it,
    # whatever the family (the worker sees a restricted family's audit by reference only).
    "case_audit": {"lat_manager": set(SCOPES), "cfs_worker": set(SCOPES)},
    # Each family's step-up came from its contact: its team's manager sees it with the family, the MASH manager
    # through the contact.
    "transfer": {"lat_manager": {"own"}, "mash_manager": FRONT_DOOR},
    # A Supporting Families registration: the family's own caseworkers, and the officer city-wide but for
    # restricted families.
    "sf_registration": VISIBLE | {"sf_officer": {"own", "other", "granted"}},
    "sf_need": VISIBLE | {"sf_officer": {"own", "other", "granted"}},
    # Who has viewed a family: information governance officers for every family, restricted ones included; a
    # manager for a family they see in a team they manage.
    "viewed_by": {"ig_officer": set(SCOPES), "lat_manager": {"own"}},
    # A family's retention review: information governance officers, for every family (by reference only).
    "retention_review": {"ig_officer": set(SCOPES)},
    # Subject access: information governance officers answer for anyone held, restricted people included.
    "subject_access_person": {"ig_officer": set(SCOPES)},
    "subject_access_request": {"ig_officer": set(SCOPES)},
    # A family or a person to restrict: information governance officers find any record in the city.
    "family_to_restrict": {"ig_officer": set(SCOPES)},
    "person_to_restrict": {"ig_officer": set(SCOPES)},
}

# Which personas' roles hold each model permission (earlyhelp/core/perms.py).
CASEWORKERS = {"partner", "cfs_worker", "lat_manager", "other_lat"}
MASH = {"mash_screener", "mash_manager"}
HOLDERS = {
    perms.VIEW_FAMILY: CASEWORKERS | MASH | {"sf_officer"},
    perms.ADD_FAMILY: CASEWORKERS | MASH,
    perms.CHANGE_FAMILY: CASEWORKERS,
    perms.CHANGE_PERSON: CASEWORKERS,
    perms.ADD_FAMILY_MEMBER: CASEWORKERS | MASH,
    perms.CHANGE_FAMILY_MEMBER: CASEWORKERS,
    perms.ADD_RELATIONSHIP: CASEWORKERS,
    perms.ADD_INVOLVEMENT: CASEWORKERS,
    perms.VIEW_FAMILY_HISTORY: CASEWORKERS | MASH | {"sf_officer"},
    perms.TAKE_CONSENT: CASEWORKERS,
    perms.WITHDRAW_CONSENT: CASEWORKERS,
    perms.DISPENSE_CONSENT: {"lat_manager", "mash_manager"},
    perms.VIEW_DISCLOSURES: CASEWORKERS | {"mash_manager"},
    perms.SHARE_FAMILY: CASEWORKERS,
    perms.START_ASSESSMENT: CASEWORKERS,
    perms.EDIT_ASSESSMENT: CASEWORKERS,
    perms.AUTHORISE_ASSESSMENT: {"lat_manager"},
    perms.VIEW_DIRECTORY: CASEWORKERS | MASH | {"sf_officer"},
    perms.REFER: CASEWORKERS | MASH,
    perms.FLAG_CONCERN: CASEWORKERS | MASH,
    perms.TRIAGE_CONTACT: MASH,
    perms.DECIDE_CONTACT: {"mash_manager"},
    perms.ALLOCATE_EPISODE: {"lat_manager"},
    perms.START_EPISODE: CASEWORKERS,
    perms.EDIT_PLAN: CASEWORKERS,
    perms.MANAGE_TAF: CASEWORKERS,
    perms.RECORD_MEETING: CASEWORKERS,
    perms.WORK_INTERVENTION: {"cfs_worker", "lat_manager", "other_lat"},
    perms.DECIDE_EXTENSION: {"lat_manager"},
    perms.ADD_CASE_NOTE: CASEWORKERS,
    perms.REQUEST_CLOSURE: CASEWORKERS,
    perms.APPROVE_CLOSURE: {"lat_manager"},
    perms.STEP_UP: CASEWORKERS,
    perms.STEP_DOWN: {"lat_manager"},
    perms.VIEW_TEAM_CASELOAD: {"lat_manager"},
    perms.REQUEST_DOCUMENT: CASEWORKERS | MASH,
    perms.EXPORT_TEAM_PLANS: {"lat_manager"},
    perms.RECORD_SOCIAL_CARE_OUTCOME: {"lat_manager", "mash_manager"},
    perms.REGISTER_SUPPORTING_FAMILIES: {"cfs_worker", "lat_manager", "other_lat", "sf_officer"},
    perms.MANAGE_SUPPORTING_FAMILIES: {"sf_officer"},
    perms.VIEW_INDICATORS: {"lat_manager", "mash_manager", "analyst"},
    perms.DOWNLOAD_ANNEX_A: {"analyst"},
    perms.RECORD_CASE_AUDIT: {"lat_manager"},
    perms.VIEW_CASE_AUDITS: {"lat_manager"},
    perms.RECORD_TRAINING: {"lat_manager", "analyst"},
    perms.VIEW_TRAINING: {"lat_manager", "analyst"},
    perms.BREAK_GLASS: {"cfs_worker", "lat_manager", "other_lat"} | MASH,
    perms.VIEW_BREAK_GLASS_REPORT: {"ig_officer"},
    perms.RESTRICT_RECORDS: {"ig_officer"},
    perms.MANAGE_RESTRICTIONS: {"ig_officer"},
    perms.SUBJECT_ACCESS: {"ig_officer"},
    perms.REVIEW_RETENTION: {"ig_officer"},
    perms.VIEW_RECORD_ACCESS: {"lat_manager", "ig_officer"},
    perms.VIEW_ACCESS_EVENTS: {"ig_officer"},
}


@dataclass(frozen=True)
class Entry:
    kind: str  # public, sign_in, second_factor, login, family, person, member, consent, task, assessment, need...
    permission: str | None = None
    writes: bool = False
    query: str = ""  # a query string a page needs to answer (a download's format)


MATRIX = {
    "core:home": Entry("login"),
    "core:healthz": Entry("public"),
    "core:readyz": Entry("public"),
    "accounts:login": Entry("sign_in"),
    "accounts:logout": Entry("sign_out"),
    "cases:family_list": Entry("login", perms.VIEW_FAMILY),
    "cases:search": Entry("login", perms.VIEW_FAMILY),
    "cases:family_create": Entry("login", perms.ADD_FAMILY),
    "cases:family_detail": Entry("family", perms.VIEW_FAMILY),
    "cases:family_edit": Entry("family", perms.CHANGE_FAMILY, writes=True),
    "cases:family_history": Entry("family", perms.VIEW_FAMILY_HISTORY),
    "cases:family_member_add": Entry("family", perms.ADD_FAMILY_MEMBER, writes=True),
    "cases:family_member_edit": Entry("member", perms.CHANGE_FAMILY_MEMBER, writes=True),
    "cases:relationship_add": Entry("family", perms.ADD_RELATIONSHIP, writes=True),
    "cases:involvement_add": Entry("family", perms.ADD_INVOLVEMENT, writes=True),
    "cases:person_detail": Entry("person", perms.VIEW_FAMILY),
    "cases:person_edit": Entry("person", perms.CHANGE_PERSON, writes=True),
    "cases:person_history": Entry("person", perms.VIEW_FAMILY_HISTORY),
    "cases:task_complete": Entry("task", perms.VIEW_FAMILY, writes=True),
    "consent:new": Entry("family", perms.TAKE_CONSENT, writes=True),
    "consent:override": Entry("family", perms.DISPENSE_CONSENT, writes=True),
    "consent:detail": Entry("consent", perms.VIEW_FAMILY),
    "consent:answer": Entry("consent", perms.WITHDRAW_CONSENT, writes=True),
    "consent:withdraw": Entry("consent", perms.WITHDRAW_CONSENT, writes=True),
    "consent:evidence": Entry("consent", perms.VIEW_FAMILY),
    "consent:disclosures": Entry("family", perms.VIEW_DISCLOSURES),
    "consent:share": Entry("family", perms.SHARE_FAMILY, writes=True),
    "assessments:start": Entry("family", perms.START_ASSESSMENT, writes=True),
    "assessments:summary": Entry("assessment", perms.VIEW_FAMILY),
    "assessments:section": Entry("assessment", perms.EDIT_ASSESSMENT, writes=True),
    "assessments:child_section": Entry("child_section", perms.EDIT_ASSESSMENT, writes=True),
    "assessments:needs": Entry("assessment", perms.EDIT_ASSESSMENT, writes=True),
    "assessments:need_remove": Entry("need", perms.EDIT_ASSESSMENT, writes=True),
    "assessments:submit": Entry("assessment", perms.EDIT_ASSESSMENT, writes=True),
    "assessments:decide": Entry("assessment", perms.AUTHORISE_ASSESSMENT, writes=True),
    "assessments:compare": Entry("assessment", perms.VIEW_FAMILY),
    "accounts:notification_read": Entry("notification"),
    # two-factor sign-in; "second_factor": the code and set-up pages send a persona who has entered a code onwards
    "accounts:two_factor_code": Entry("second_factor"),
    "accounts:two_factor_enrol": Entry("second_factor"),
    "accounts:backup_codes": Entry("login"),
    "accounts:reauthenticate": Entry("login"),
    "accounts:account": Entry("login"),
    "accounts:password_change": Entry("login", writes=True),
    "accounts:authenticator_replace": Entry("login", writes=True),
    "accounts:backup_codes_regenerate": Entry("login", writes=True),
    # sessions: where one is signed in (one's own only), staying signed in, and why one was signed out
    "accounts:sessions": Entry("login"),
    "accounts:session_end": Entry("signed_in_session", writes=True),
    "accounts:sessions_end_others": Entry("login", writes=True),
    "accounts:session_keep_alive": Entry("login"),
    "accounts:signed_out": Entry("public"),
    "locality:directory": Entry("login", perms.VIEW_DIRECTORY),
    "locality:service_detail": Entry("service", perms.VIEW_DIRECTORY),
    "cases:allocation_queue": Entry("login", perms.ALLOCATE_EPISODE),
    "cases:episode_allocate": Entry("episode", perms.ALLOCATE_EPISODE, writes=True),
    "referrals:mine": Entry("login", perms.REFER),
    "referrals:referral_detail": Entry("referral", perms.REFER),
    "referrals:refer": Entry("family", perms.REFER, writes=True),
    "referrals:concern_flag_add": Entry("person", perms.FLAG_CONCERN, writes=True),
    "referrals:inbox": Entry("login", perms.TRIAGE_CONTACT),
    "referrals:contact_find": Entry("login", perms.TRIAGE_CONTACT),
    "referrals:contact_new_family": Entry("login", perms.TRIAGE_CONTACT),
    "referrals:contact_new": Entry("front_door_family", perms.TRIAGE_CONTACT, writes=True),
    "referrals:contact_detail": Entry("contact", perms.TRIAGE_CONTACT),
    "referrals:contact_assign": Entry("contact", perms.TRIAGE_CONTACT, writes=True),
    "referrals:contact_rate": Entry("contact", perms.TRIAGE_CONTACT, writes=True),
    "referrals:contact_screen": Entry("contact", perms.TRIAGE_CONTACT, writes=True),
    "referrals:contact_duplicate": Entry("contact", perms.TRIAGE_CONTACT, writes=True),
    "referrals:contact_withdraw": Entry("contact", perms.TRIAGE_CONTACT, writes=True),
    "referrals:contact_decide": Entry("contact", perms.DECIDE_CONTACT, writes=True),
    "referrals:transfer_reference": Entry("contact", perms.DECIDE_CONTACT, writes=True),
    "referrals:referrer_told": Entry("contact", perms.TRIAGE_CONTACT, writes=True),
    # The work of an episode (one block per area).
    # episodes
    "cases:episode_detail": Entry("case", perms.VIEW_FAMILY),
    "cases:episode_start": Entry("family", perms.START_EPISODE, writes=True),
    "cases:closure_request": Entry("case", perms.REQUEST_CLOSURE, writes=True),
    "cases:closure_decide": Entry("closure", perms.APPROVE_CLOSURE, writes=True),
    "cases:episode_reopen": Entry("case", perms.APPROVE_CLOSURE, writes=True),
    "cases:step_up": Entry("case", perms.STEP_UP, writes=True),
    "cases:step_up_reference": Entry("case", perms.STEP_UP, writes=True),
    "cases:step_down": Entry("family", perms.STEP_DOWN, writes=True),
    # plans
    "cases:plan_new": Entry("case", perms.EDIT_PLAN, writes=True),
    "cases:plan_detail": Entry("plan", perms.VIEW_FAMILY),
    "cases:plan_edit": Entry("plan", perms.EDIT_PLAN, writes=True),
    "cases:plan_agree": Entry("plan", perms.EDIT_PLAN, writes=True),
    "cases:goal_add": Entry("plan", perms.EDIT_PLAN, writes=True),
    "cases:goal_edit": Entry("goal", perms.EDIT_PLAN, writes=True),
    "cases:goal_score": Entry("goal", perms.EDIT_PLAN, writes=True),
    "cases:action_add": Entry("plan", perms.EDIT_PLAN, writes=True),
    "cases:action_edit": Entry("action", perms.EDIT_PLAN, writes=True),
    "cases:my_actions": Entry("login", perms.VIEW_FAMILY),
    # taf
    "cases:taf": Entry("case", perms.VIEW_FAMILY),
    "cases:taf_invite": Entry("case", perms.MANAGE_TAF, writes=True),
    "cases:taf_member_remove": Entry("taf_member", perms.MANAGE_TAF, writes=True),
    "cases:meeting_new": Entry("case", perms.RECORD_MEETING, writes=True),
    "cases:meeting_detail": Entry("meeting", perms.VIEW_FAMILY),
    "cases:meeting_record": Entry("meeting", perms.RECORD_MEETING, writes=True),
    "cases:meeting_cancel": Entry("meeting", perms.RECORD_MEETING, writes=True),
    # interventions
    "cases:intervention_new": Entry("case", perms.WORK_INTERVENTION, writes=True),
    "cases:intervention_detail": Entry("intervention", perms.VIEW_FAMILY),
    "cases:session_add": Entry("intervention", perms.WORK_INTERVENTION, writes=True),
    "cases:extension_request": Entry("intervention", perms.WORK_INTERVENTION, writes=True),
    "cases:extension_decide": Entry("extension", perms.DECIDE_EXTENSION, writes=True),
    "cases:intervention_end": Entry("intervention", perms.WORK_INTERVENTION, writes=True),
    # notes
    "cases:note_list": Entry("family", perms.VIEW_FAMILY),
    "cases:note_add": Entry("family", perms.ADD_CASE_NOTE, writes=True),
    "cases:note_detail": Entry("note", perms.VIEW_FAMILY),
    "cases:note_edit": Entry("note", perms.ADD_CASE_NOTE, writes=True),
    "cases:note_amend": Entry("note", perms.ADD_CASE_NOTE, writes=True),
    "cases:chronology": Entry("family", perms.VIEW_FAMILY),
    # work
    "cases:my_tasks": Entry("login", perms.VIEW_FAMILY),
    "cases:caseload": Entry("login", perms.VIEW_FAMILY),
    "cases:team_tasks": Entry("login", perms.VIEW_TEAM_CASELOAD),
    "cases:team_caseload": Entry("login", perms.VIEW_TEAM_CASELOAD),
    # documents
    "documents:plan_pdf": Entry("plan", perms.REQUEST_DOCUMENT, writes=True),
    "documents:assessment_pdf": Entry("assessment", perms.REQUEST_DOCUMENT, writes=True),
    "documents:contact_pdf": Entry("contact", perms.REQUEST_DOCUMENT, writes=True),
    "documents:chronology_pdf": Entry("family", perms.REQUEST_DOCUMENT, writes=True),
    "documents:closure_pdf": Entry("closure", perms.REQUEST_DOCUMENT, writes=True),
    "documents:family_documents": Entry("family", perms.REQUEST_DOCUMENT),
    "documents:request": Entry("document_request", perms.REQUEST_DOCUMENT),
    "documents:download": Entry("document_request", perms.REQUEST_DOCUMENT),
    "documents:retry": Entry("document_request", perms.REQUEST_DOCUMENT, writes=True),
    "documents:team_plans": Entry("team", perms.EXPORT_TEAM_PLANS, writes=True),
    # social care outcomes
    "cases:transfer_outcome": Entry("transfer", perms.RECORD_SOCIAL_CARE_OUTCOME, writes=True),
    # reporting
    "reporting:dashboard": Entry("login", perms.VIEW_INDICATORS),
    "reporting:dashboard_download": Entry("login", perms.VIEW_INDICATORS, query="?format=csv"),
    "reporting:annex_a": Entry("login", perms.DOWNLOAD_ANNEX_A),
    "reporting:case_audits": Entry("login", perms.VIEW_CASE_AUDITS),
    "reporting:my_audits": Entry("login"),
    "reporting:case_audit_new": Entry("family", perms.RECORD_CASE_AUDIT, writes=True),
    "reporting:case_audit": Entry("case_audit"),
    "reporting:training": Entry("login", perms.VIEW_TRAINING),
    "reporting:training_new": Entry("login", perms.RECORD_TRAINING, writes=True),
    "reporting:training_import": Entry("login", perms.RECORD_TRAINING, writes=True),
    "reporting:training_import_template": Entry("login", perms.RECORD_TRAINING),
    # Supporting Families
    "cases:sf_list": Entry("login", perms.MANAGE_SUPPORTING_FAMILIES),
    "cases:sf_return": Entry("login", perms.MANAGE_SUPPORTING_FAMILIES),
    # Every family in the world is registered already: the page (a redirect to the registration without ?change=1)
    # is asked for as the form that changes it.
    "cases:sf_register": Entry("family", perms.REGISTER_SUPPORTING_FAMILIES, writes=True, query="?change=1"),
    "cases:sf_detail": Entry("sf_registration", perms.REGISTER_SUPPORTING_FAMILIES),
    "cases:sf_need_add": Entry("sf_registration", perms.REGISTER_SUPPORTING_FAMILIES, writes=True),
    "cases:sf_need_outcome": Entry("sf_need", perms.REGISTER_SUPPORTING_FAMILIES, writes=True),
    "cases:sf_move": Entry("sf_registration", perms.MANAGE_SUPPORTING_FAMILIES, writes=True),
    # access log
    "audit:access_log": Entry("login", perms.VIEW_ACCESS_EVENTS),
    "audit:family_access": Entry("viewed_by", perms.VIEW_RECORD_ACCESS),
    # restricted records ("restriction": the world's one restriction, of the restricted family, seen city-wide)
    "governance:restrictions": Entry("login", perms.MANAGE_RESTRICTIONS),
    "governance:restriction_find": Entry("login", perms.RESTRICT_RECORDS),
    "governance:restriction_new_family": Entry("family_to_restrict", perms.RESTRICT_RECORDS, writes=True),
    "governance:restriction_new_person": Entry("person_to_restrict", perms.RESTRICT_RECORDS, writes=True),
    "governance:restriction_detail": Entry("restriction", perms.MANAGE_RESTRICTIONS),
    "governance:restriction_allow": Entry("restriction", perms.MANAGE_RESTRICTIONS, writes=True),
    "governance:restriction_disallow": Entry("restriction", perms.MANAGE_RESTRICTIONS, writes=True),
    "governance:restriction_review": Entry("restriction", perms.MANAGE_RESTRICTIONS, writes=True),
    "governance:restriction_lift": Entry("restriction", perms.MANAGE_RESTRICTIONS, writes=True),
    # subject access requests ("subject_access_person": the scope's member; a ready request about them per scope)
    "governance:subject_access_list": Entry("login", perms.SUBJECT_ACCESS),
    "governance:subject_access_new": Entry("login", perms.SUBJECT_ACCESS),
    "governance:subject_access_person": Entry("subject_access_person", perms.SUBJECT_ACCESS, writes=True),
    "governance:subject_access_detail": Entry("subject_access_request", perms.SUBJECT_ACCESS),
    "governance:subject_access_download": Entry("subject_access_request", perms.SUBJECT_ACCESS),
    "governance:subject_access_retry": Entry("subject_access_request", perms.SUBJECT_ACCESS, writes=True),
    # break-the-glass ("break_glass_family": a family asked for from outside one's scope, see expected_status)
    "governance:break_glass_report": Entry("login", perms.VIEW_BREAK_GLASS_REPORT),
    "governance:break_glass_request": Entry("break_glass_family", perms.BREAK_GLASS, writes=True),
    # retention
    "governance:retention_queue": Entry("login", perms.REVIEW_RETENTION),
    "governance:retention_disposed": Entry("login", perms.REVIEW_RETENTION),
    "governance:retention_review": Entry("retention_review", perms.REVIEW_RETENTION),
    "governance:retention_dispose": Entry("retention_review", perms.REVIEW_RETENTION, writes=True),
    "governance:retention_hold": Entry("retention_review", perms.REVIEW_RETENTION, writes=True),
    "governance:retention_release": Entry("retention_review", perms.REVIEW_RETENTION, writes=True),
    "admin:*": Entry("admin"),
}

# Pages that only act on POST: a GET is refused with 405 once the role allows the page.
POST_ONLY = {
    "cases:task_complete",
    "consent:answer",
    "assessments:need_remove",
    "assessments:submit",
    "accounts:notification_read",
    "accounts:session_end",
    "accounts:sessions_end_others",
    "accounts:session_keep_alive",
    "referrals:contact_assign",
    "referrals:referrer_told",
    # episodes
    # plans
    # taf
    "cases:taf_member_remove",
    "cases:meeting_cancel",
    # interventions
    # notes
    # work
    # documents
    "documents:plan_pdf",
    "documents:assessment_pdf",
    "documents:contact_pdf",
    "documents:chronology_pdf",
    "documents:closure_pdf",
    "documents:retry",
    # Supporting Families
    "cases:sf_move",
    # retention
    "governance:retention_release",
    # subject access requests
    "governance:subject_access_retry",
    # restricted records
    "governance:restriction_disallow",
}


def _pattern_names(patterns=None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _pattern_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            names.add(f"{namespace}{pattern.name}" if pattern.name else f"{namespace}<unnamed {pattern.pattern}>")
    return names


def _matrix_key(name: str) -> str:
    return "admin:*" if name.startswith("admin:") else name


def test_every_url_pattern_has_a_matrix_entry():
    missing = sorted(name for name in _pattern_names() if _matrix_key(name) not in MATRIX)
    assert not missing, f"URL patterns with no access-matrix entry: {missing}"


def test_matrix_has_no_entries_for_urls_that_no_longer_exist():
    existing = {_matrix_key(name) for name in _pattern_names()}
    assert set(MATRIX) <= existing


# The work of an episode: each kind is a record of that name in the world below, addressed by its own UUID and seen
# by whoever sees its family.
CASE_KINDS = {
    "case",  # the episode itself, as its lead practitioner and team see it
    "plan",
    "goal",
    "action",
    "taf_member",
    "meeting",
    "intervention",
    "extension",
    "note",
    "closure",
}

SCOPED_KINDS = CASE_KINDS | {
    "family",
    "member",
    "person",
    "consent",
    "task",
    "assessment",
    "child_section",
    "need",
    "contact",
    "front_door_family",
    "referral",
    "episode",
    "document_request",
    "team",
    "case_audit",
    "sf_registration",
    "sf_need",
    "transfer",
    "viewed_by",
    "retention_review",
    "break_glass_family",
    "subject_access_person",
    "subject_access_request",
    "family_to_restrict",
    "person_to_restrict",
}


def expected_status(entry: Entry, persona: str, scope: str | None, name: str = "") -> int:
    if entry.kind == "public":
        return 200
    if entry.kind == "sign_in":
        return 200 if persona == "anonymous" else 302
    if entry.kind == "second_factor":
        return 302  # anonymous users to sign in; every persona has entered a code, so on to the page they came for
    if persona == "anonymous" or entry.kind == "admin":
        return 302
    if entry.permission and persona not in HOLDERS[entry.permission]:
        return 403
    if name in POST_ONLY:
        return 405  # refused before the record is looked up, so it says nothing about it
    if entry.kind == "break_glass_family":
        # Break-the-glass (rule 5) is asked for a family outside one's scope: a restricted family is "not found" like
        # any record outside scope, a family the persona sees already sends them to its page, any other is the form.
        return 404 if scope == "restricted" else 302 if scope in VISIBLE[persona] else 200
    visible = VISIBLE_BY_KIND[entry.kind].get(persona, set()) if entry.kind in VISIBLE_BY_KIND else VISIBLE[persona]
    if scope is not None and scope not in visible:
        return 404
    return 200


@pytest.fixture
def world(request, own_family, other_family, restricted_family, granted_family):
    """Every persona's client, and a family (with a member) for each scope."""
    clients = {name: request.getfixturevalue(f"{name}_client") for name in PERSONAS}
    families = {"own": own_family, "other": other_family, "restricted": restricted_family, "granted": granted_family}
    members = {scope: FamilyMemberFactory(family=family) for scope, family in families.items()}
    for scope, family in families.items():
        # Evidence on each consent, so the download page has a file to give (or refuse).
        members[f"consent:{scope}"] = ConsentRecordFactory(family=family, evidence=ContentFile(b"%PDF-1.4 x", "e.pdf"))
        members[f"task:{scope}"] = TaskFactory(family=family)
        assessment = AssessmentFactory(family=family)
        members[f"assessment:{scope}"] = assessment
        members[f"section:{scope}"] = AssessmentSectionFactory(
            assessment=assessment, key="reason", person=None, position=1
        )
        members[f"child_section:{scope}"] = AssessmentSectionFactory(
            assessment=assessment, key="voice", person=members[scope].person, position=2
        )
        AssessmentSectionFactory(assessment=assessment, key="needs", person=None, position=3)
        members[f"need:{scope}"] = NeedFactory(assessment=assessment)
        members[f"retention_review:{scope}"] = RetentionReview.objects.create(family=family, due_on=date(2025, 1, 6))
        members[f"subject_access_request:{scope}"] = _subject_access_request(
            members[scope].person, request.getfixturevalue("ig_officer_user")
        )
    members["notification"] = NotificationFactory(user=request.getfixturevalue("cfs_worker_user"))
    worker = request.getfixturevalue("cfs_worker_user")
    members["signed_in_session"] = SignedInSession.objects.filter(user=worker).first()
    members["service"] = ServiceFactory()
    members["restriction"] = Restriction.objects.create(
        family=restricted_family,
        category=Restriction.Category.STAFF_FAMILY,
        reason="A staff member's own family (matrix)",
        restricted_by=request.getfixturevalue("ig_officer_user"),
        review_due=date(2026, 1, 5),
    )
    partner = request.getfixturevalue("partner_user")
    for scope, family in families.items():
        # An open contact about each family, ready for a decision, referred by the partner practitioner.
        contact = ContactFactory(
            family=family,
            referrer_user=partner,
            status=Contact.Status.AWAITING_DECISION,
            rag="amber",
        )
        ContactChildFactory(contact=contact, person=members[scope].person)
        members[f"transfer:{scope}"] = Transfer.objects.create(
            family=family, direction="step_up", kind="social_care", contact=contact, created_by=partner
        )
        members[f"contact:{scope}"] = contact
        episode = EpisodeFactory(family=family)
        members[f"episode:{scope}"] = members[f"case:{scope}"] = episode
        _case_records(members, scope=scope, episode=episode)
    _reporting_records(
        members,
        families=families,
        auditor=request.getfixturevalue("lat_manager_user"),
        worker=request.getfixturevalue("cfs_worker_user"),
    )
    _document_requests(
        members,
        families=families,
        owners={name: request.getfixturevalue(f"{name}_user") for name in set(DOCUMENT_OWNERS.values())},
    )
    return clients, families, members


def _case_records(members: dict, *, scope: str, episode) -> None:
    """One record of each kind in CASE_KINDS, hung on the family's one open episode."""
    family = episode.family
    plan = FamilyPlanFactory(episode=episode, family=family)
    intervention = InterventionFactory(episode=episode, family=family)
    records = {
        "plan": plan,
        "goal": GoalFactory(plan=plan),
        "action": ActionFactory(plan=plan),
        "taf_member": TafMemberFactory(episode=episode, family=family),
        "meeting": TafMeetingFactory(episode=episode, family=family),
        "intervention": intervention,
        "extension": InterventionExtensionFactory(intervention=intervention),
        "note": CaseNoteFactory(family=family, episode=episode),
        "closure": ClosureFactory(episode=episode, family=family),
    }
    for kind, record in records.items():
        members[f"{kind}:{scope}"] = record


REPORTING_KINDS = ("case_audit", "sf_registration", "sf_need", "transfer")


def _reporting_records(members: dict, *, families: dict, auditor, worker) -> None:
    """For each scope: a case audit of the worker's work by the manager, and a Supporting Families registration
    with one need."""
    for scope, family in families.items():
        members[f"case_audit:{scope}"] = CaseAudit.objects.create(
            kind=CaseAudit.Kind.DIRECT_WORK,
            family=family,
            episode=members[f"episode:{scope}"],
            local_area_team=family.local_area_team,
            worker=worker,
            auditor=auditor,
            audited_on=date(2026, 1, 5),
            grade=CaseAudit.Grade.GOOD,
            comments="Clear plan",
        )
        registration = SupportingFamiliesRegistration.objects.create(family=family, registered_by=auditor)
        members[f"sf_registration:{scope}"] = registration
        members[f"sf_need:{scope}"] = SupportingFamiliesNeed.objects.create(
            registration=registration, headline=Headline.HOUSING, evidence="Rent arrears", recorded_by=auditor
        )


def _document_requests(members: dict, *, families: dict, owners: dict) -> None:
    """A ready plan PDF for each scope, asked for by that scope's DOCUMENT_OWNERS persona, so its owner can
    download it. The granted family agrees to share with schools, so the partner's download passes consent; the
    teams' own staff hold their records and need no consent."""
    ConsentShareFactory(
        consent=ConsentRecordFactory(family=families["granted"], status=ConsentRecord.Status.GIVEN),
        agency=None,
        agency_type=Agency.Type.SCHOOL,
    )
    for scope, owner in DOCUMENT_OWNERS.items():
        family = families[scope]
        request = DocumentRequest.objects.create(
            kind="plan",
            family=family,
            record_uuid=members[f"plan:{scope}"].uuid,
            requested_by=owners[owner],
            template_version="plan-1",
            status=DocumentRequest.Status.READY,
        )
        document = Document(
            request=request,
            filename=f"plan-{family.reference}.pdf",
            sha256="0" * 64,
            size=10,
            page_count=1,
            template_version="plan-1",
            record_version="version 1",
        )
        document.file.save("matrix.pdf", ContentFile(b"%PDF-1.4 x"), save=True)
        document.families.set([family])
        members[f"document_request:{scope}"] = request


def _subject_access_request(person, officer) -> SubjectAccessRequest:
    """A ready subject access pack about a scope's member, asked for by the information governance officer."""
    sar = SubjectAccessRequest(
        person=person,
        person_reference=f"SAR-{person.uuid.hex[:8].upper()}",
        requested_by=officer,
        received_on=date(2026, 1, 5),
        due_on=date(2026, 2, 5),
        status=SubjectAccessRequest.Status.READY,
        completed_at=datetime(2026, 1, 6, 9, 0, tzinfo=UTC),
        sha256="0" * 64,
    )
    sar.file.save("matrix.zip", ContentFile(b"PK matrix"), save=True)
    return sar


def _url(name: str, entry: Entry, scope: str | None, families, members) -> str:
    return _path(name, entry, scope, families, members) + entry.query


def _path(name: str, entry: Entry, scope: str | None, families, members) -> str:
    if entry.kind == "admin":
        return reverse("admin:index")
    if entry.kind in ("family", "viewed_by", "family_to_restrict", "break_glass_family"):
        return reverse(name, kwargs={"uuid": families[scope].uuid})
    if entry.kind == "person_to_restrict":
        return reverse(name, kwargs={"uuid": members[scope].person.uuid})
    if entry.kind == "restriction":
        return reverse(name, kwargs={"uuid": members["restriction"].uuid})
    if entry.kind == "subject_access_person":  # the scope's member, found city-wide
        return reverse(name, kwargs={"uuid": members[scope].person.uuid})
    if entry.kind == "subject_access_request":
        return reverse(name, kwargs={"uuid": members[f"subject_access_request:{scope}"].uuid})
    if entry.kind == "member":
        member = members[scope]
        return reverse(name, kwargs={"uuid": families[scope].uuid, "member_uuid": member.uuid})
    if entry.kind == "person":
        return reverse(name, kwargs={"uuid": members[scope].person.uuid})
    if entry.kind == "consent":
        return reverse(name, kwargs={"uuid": families[scope].uuid, "consent_uuid": members[f"consent:{scope}"].uuid})
    if entry.kind == "assessment":
        kwargs = {"uuid": members[f"assessment:{scope}"].uuid}
        return reverse(name, kwargs=kwargs | ({"key": "reason"} if name == "assessments:section" else {}))
    if entry.kind == "child_section":
        section = members[f"child_section:{scope}"]
        return reverse(
            name, kwargs={"uuid": section.assessment.uuid, "key": "voice", "person_uuid": section.person.uuid}
        )
    if entry.kind == "need":
        need = members[f"need:{scope}"]
        return reverse(name, kwargs={"uuid": need.assessment.uuid, "need_uuid": need.uuid})
    if entry.kind == "notification":
        return reverse(name, kwargs={"uuid": members["notification"].uuid})
    if entry.kind == "signed_in_session":  # the CFS worker's own session
        return reverse(name, kwargs={"uuid": members["signed_in_session"].uuid})
    if entry.kind == "team":  # the Local Area Team of the scope's family
        return reverse(name, kwargs={"uuid": families[scope].local_area_team.uuid})
    if entry.kind in CASE_KINDS or entry.kind in (
        "contact",
        "episode",
        "document_request",
        "retention_review",
        *REPORTING_KINDS,
    ):
        return reverse(name, kwargs={"uuid": members[f"{entry.kind}:{scope}"].uuid})
    if entry.kind == "referral":  # every contact in the world was referred by the partner practitioner
        return reverse(name, kwargs={"uuid": members[f"contact:{scope}"].uuid})
    if entry.kind == "front_door_family":
        return reverse(name, kwargs={"uuid": families[scope].uuid})
    if entry.kind == "service":
        return reverse(name, kwargs={"uuid": members["service"].uuid})
    if entry.kind == "task":
        return reverse(name, kwargs={"uuid": families[scope].uuid, "task_uuid": members[f"task:{scope}"].uuid})
    return reverse(name)


@pytest.mark.parametrize("name", sorted(k for k, e in MATRIX.items() if e.kind != "sign_out"))
def test_access_matrix_get(name, world):
    clients, families, members = world
    entry = MATRIX[name]
    scopes = SCOPES if entry.kind in SCOPED_KINDS else (None,)
    mismatches = []
    for persona in PERSONAS:
        for scope in scopes:
            response = clients[persona].get(_url(name, entry, scope, families, members))
            expected = expected_status(entry, persona, scope, name)
            if response.status_code != expected:
                mismatches.append(f"{persona} on {scope or '-'}: got {response.status_code}, expected {expected}")
            if _has_nested_form(response):
                mismatches.append(f"{persona} on {scope or '-'}: a <form> inside another <form>")
            if _get_form_carries_a_token(response):
                mismatches.append(f"{persona} on {scope or '-'}: a GET form sends the CSRF token in the address")
            location = response.get("Location", "")
            if (
                expected == 302
                and entry.kind != "sign_in"
                and not (entry.kind == "second_factor" and persona != "anonymous")
                and not (
                    entry.kind == "break_glass_family"
                    and location == _path("cases:family_detail", entry, scope, families, members)
                )
                and not ("/sign-in/" in location or "/admin/login/" in location)
            ):
                mismatches.append(f"{persona} on {scope or '-'}: redirected to {location}, not to sign in")
    assert not mismatches, "\n".join(mismatches)


def _has_nested_form(response) -> bool:
    """Whether an HTML page opens a form inside another (browsers drop the inner one: its fields and token go
    with the outer form)."""
    if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
        return False
    depth = 0
    for tag in re.findall(r"<(/?)form[\s>]", response.content.decode()):
        depth += -1 if tag else 1
        if depth > 1:
            return True
    return False


def _get_form_carries_a_token(response) -> bool:
    """Whether a form submitted by GET holds the CSRF token, which would then be written into the address, the
    browser's history and the server's logs."""
    if not response.get("Content-Type", "").startswith("text/html") or response.streaming:
        return False
    forms = re.findall(r"<form\b[^>]*>.*?</form>", response.content.decode(), flags=re.S)
    return any('method="get"' in form.split(">", 1)[0] and "csrfmiddlewaretoken" in form for form in forms)


def _snapshot() -> dict:
    families = {f"family {f.pk}": (f.name, f.updated_at) for f in Family.objects.all()}
    contacts = {f"contact {c.pk}": (c.status, c.rag, c.updated_at) for c in Contact.objects.all()}
    episodes = {"episodes": list(Episode.objects.values_list("status", "lead_practitioner_id"))}
    documents = {"document requests": list(DocumentRequest.objects.order_by("pk").values_list("pk", "status"))}
    reporting = {
        "transfers": list(Transfer.objects.order_by("pk").values_list("pk", "social_care_outcome")),
        "audits": list(CaseAudit.objects.order_by("pk").values_list("pk", "grade")),
        "training": TrainingRecord.objects.count(),
        "registrations": list(SupportingFamiliesRegistration.objects.order_by("pk").values_list("pk", "status")),
        "needs": list(SupportingFamiliesNeed.objects.order_by("pk").values_list("pk", "achieved_on")),
    }
    return families | contacts | episodes | documents | reporting


@pytest.mark.parametrize("name", sorted(k for k, e in MATRIX.items() if e.writes))
def test_access_matrix_post_outside_scope_changes_nothing(name, world):
    clients, families, members = world
    entry = MATRIX[name]
    before = _snapshot()
    for persona in PERSONAS:
        for scope in SCOPES if entry.kind in SCOPED_KINDS else (None,):
            expected = expected_status(entry, persona, scope)
            if expected == 200:
                continue
            response = clients[persona].post(_url(name, entry, scope, families, members), {"name": "Changed"})
            assert response.status_code == expected, f"{persona} POST on {scope}"
    assert _snapshot() == before


def test_sign_out_needs_post_and_ends_the_session(world):
    clients, _, _ = world
    client = clients["cfs_worker"]
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("core:home")).status_code == 302
