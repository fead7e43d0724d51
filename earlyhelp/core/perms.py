"""The permission registry: every role, and every permission each role holds, in one place.

Roles are Django groups holding model permissions. Row-level access (which families a person
may see) is decided by `cases.selectors.families_visible_to`, using the object permissions
named here. `manage.py sync_roles` (also run after every migrate) makes the database match.
"""

from dataclasses import dataclass

# Object permissions (granted per record by django-guardian).
VIEW_TEAM_CASES = "view_team_cases"  # on a LocalAreaTeam, granted to that team's group
ACCESS_FAMILY = "access_family"  # on a Family, granted to a partner practitioner
ACCESS_RESTRICTED_FAMILY = "access_restricted_family"  # on a Family: the restricted allow-list

# Model permissions, named once so views and tests refer to the same strings.
VIEW_FAMILY = "cases.view_family"
ADD_FAMILY = "cases.add_family"
CHANGE_FAMILY = "cases.change_family"
ADD_PERSON = "cases.add_person"
CHANGE_PERSON = "cases.change_person"
ADD_FAMILY_MEMBER = "cases.add_familymember"
CHANGE_FAMILY_MEMBER = "cases.change_familymember"
ADD_RELATIONSHIP = "cases.add_relationship"
ADD_INVOLVEMENT = "cases.add_professionalinvolvement"
VIEW_FAMILY_HISTORY = "cases.view_family_history"
OVERRIDE_FAMILY_TEAM = "cases.override_family_team"
VIEW_ACCESS_EVENTS = "audit.view_accessevent"
TAKE_CONSENT = "consent.add_consentrecord"
WITHDRAW_CONSENT = "consent.change_consentrecord"
DISPENSE_CONSENT_CODENAME = "dispense_consent"
DISPENSE_CONSENT = f"consent.{DISPENSE_CONSENT_CODENAME}"
VIEW_DISCLOSURES = "consent.view_disclosurelog"
SHARE_FAMILY = "cases.share_family"
START_ASSESSMENT = "assessments.add_earlyhelpassessment"
EDIT_ASSESSMENT = "assessments.change_earlyhelpassessment"
AUTHORISE_ASSESSMENT = "assessments.authorise_earlyhelpassessment"
REFER = "referrals.add_contact"  # record a contact or refer a family to the MASH
TRIAGE_CONTACT = "referrals.triage_contact"  # the MASH inbox, screening and RAG rating
DECIDE_CONTACT = "referrals.decide_contact"  # the MASH decision
FLAG_CONCERN = "referrals.add_concernflag"
ALLOCATE_EPISODE = "cases.allocate_episode"
# Plans, the Team Around the Family, interventions, notes and closure (the work of an episode).
START_EPISODE = "cases.add_episode"  # start partner-led early help, or ask a team for targeted help
EDIT_PLAN = "cases.change_familyplan"  # draft and agree plans, goals, actions; scale goals
MANAGE_TAF = "cases.add_tafmember"  # invite practitioners to the Team Around the Family, and remove them
RECORD_MEETING = "cases.add_tafmeeting"  # plan and record TAF meetings and reviews
WORK_INTERVENTION = "cases.add_intervention"  # targeted Child and Family Support: interventions and sessions
DECIDE_EXTENSION = "cases.decide_extension"  # approve or refuse an intervention beyond 12 weeks
ADD_CASE_NOTE = "cases.add_casenote"  # write case notes and amend them
REQUEST_CLOSURE = "cases.add_closure"  # propose closing an episode, with the family's feedback
APPROVE_CLOSURE = "cases.approve_closure"  # approve or refuse a closure, and reopen a closed episode
STEP_UP = "cases.add_transfer"  # step a family up to children's social care
STEP_DOWN = "cases.step_down_episode"  # record a step-down from children's social care into early help
VIEW_TEAM_CASELOAD = "cases.view_team_caseload"  # the team's caseload and tasks, per worker
REQUEST_DOCUMENT = "documents.add_documentrequest"  # ask for a PDF of a record of a family one can see
EXPORT_TEAM_PLANS = "documents.export_team_plans"  # all open plans of a team one manages, as one ZIP
VIEW_DIRECTORY = "locality.view_service"
RECORD_SOCIAL_CARE_OUTCOME = "cases.change_transfer"  # what children's social care did with a step-up
REGISTER_SUPPORTING_FAMILIES = "cases.add_supportingfamiliesregistration"  # register a family one can see
MANAGE_SUPPORTING_FAMILIES = "cases.change_supportingfamiliesregistration"  # needs, outcomes, claims, the return
VIEW_INDICATORS = "reporting.view_indicators"  # the dashboard and its downloads: aggregates, never names
DOWNLOAD_ANNEX_A = "reporting.download_annex_a"  # Ofsted Annex A lists 1 to 3 (child-level, no names)
RECORD_CASE_AUDIT = "reporting.add_caseaudit"  # audit an assessment and plan, or direct work
VIEW_CASE_AUDITS = "reporting.view_caseaudit"  # every audit of one's teams (workers see audits of their own work)
RECORD_TRAINING = "reporting.add_trainingrecord"  # record and import training
VIEW_TRAINING = "reporting.view_trainingrecord"
# Information governance (issue 9).
BREAK_GLASS = "governance.add_breakglassgrant"  # see a family outside one's scope for 60 minutes, with a reason
VIEW_BREAK_GLASS_REPORT = "governance.view_breakglassgrant"  # every break-the-glass use
RESTRICT_RECORDS = "governance.add_restriction"  # mark a family or person restricted, with a reason
MANAGE_RESTRICTIONS = "governance.change_restriction"  # allow-lists, reviews and lifting restrictions
SUBJECT_ACCESS = "governance.add_subjectaccessrequest"  # a pack of everything held about one person
REVIEW_RETENTION = "governance.change_retentionreview"  # dispose of records or put them under legal hold
VIEW_RECORD_ACCESS = "audit.view_record_access"  # "Who has viewed this record" for a family
MANAGE_DIRECTORY = (
    "locality.add_service",
    "locality.change_service",
    "locality.view_service",
    "locality.add_needcategory",
    "locality.change_needcategory",
    "locality.view_needcategory",
    "locality.add_servicearea",
    "locality.change_servicearea",
    "locality.delete_servicearea",
    "locality.view_servicearea",
    "locality.add_serviceneed",
    "locality.change_serviceneed",
    "locality.delete_serviceneed",
    "locality.view_serviceneed",
    "locality.add_earlyhelpchampion",
    "locality.change_earlyhelpchampion",
    "locality.view_earlyhelpchampion",
)
MANAGE_PRIVACY_NOTICES = ("consent.add_privacynotice", "consent.change_privacynotice", "consent.view_privacynotice")
MANAGE_LAWFUL_BASES = ("consent.add_lawfulbasis", "consent.change_lawfulbasis", "consent.view_lawfulbasis")

_CASEWORK = (
    VIEW_FAMILY,
    ADD_FAMILY,
    CHANGE_FAMILY,
    ADD_PERSON,
    CHANGE_PERSON,
    ADD_FAMILY_MEMBER,
    CHANGE_FAMILY_MEMBER,
    ADD_RELATIONSHIP,
    ADD_INVOLVEMENT,
    VIEW_FAMILY_HISTORY,
    TAKE_CONSENT,
    WITHDRAW_CONSENT,
    VIEW_DISCLOSURES,
    SHARE_FAMILY,
    START_ASSESSMENT,
    EDIT_ASSESSMENT,
    REFER,
    FLAG_CONCERN,
    VIEW_DIRECTORY,
    START_EPISODE,
    EDIT_PLAN,
    MANAGE_TAF,
    RECORD_MEETING,
    ADD_CASE_NOTE,
    REQUEST_CLOSURE,
    STEP_UP,
    REQUEST_DOCUMENT,
)
_TEAM_CASEWORK = (*_CASEWORK, WORK_INTERVENTION, REGISTER_SUPPORTING_FAMILIES, BREAK_GLASS)
_MANAGING = (
    DECIDE_EXTENSION,
    APPROVE_CLOSURE,
    STEP_DOWN,
    VIEW_TEAM_CASELOAD,
    EXPORT_TEAM_PLANS,
    RECORD_SOCIAL_CARE_OUTCOME,
    VIEW_INDICATORS,
    RECORD_CASE_AUDIT,
    VIEW_CASE_AUDITS,
    RECORD_TRAINING,
    VIEW_TRAINING,
    VIEW_RECORD_ACCESS,
)
_FRONT_DOOR = (
    VIEW_FAMILY,
    ADD_FAMILY,
    ADD_PERSON,
    ADD_FAMILY_MEMBER,
    VIEW_FAMILY_HISTORY,
    REFER,
    TRIAGE_CONTACT,
    REQUEST_DOCUMENT,
    BREAK_GLASS,
)
_FRONT_DOOR_EXTRAS = (FLAG_CONCERN, VIEW_DIRECTORY)


@dataclass(frozen=True)
class Role:
    slug: str
    name: str  # the Group name
    description: str
    permissions: tuple[str, ...]
    team_based: bool  # members of a Local Area Team see that team's families


PARTNER_PRACTITIONER = "partner_practitioner"
AGENCY_LEAD = "agency_lead"
LEAD_PRACTITIONER = "lead_practitioner"
CFS_WORKER = "cfs_worker"
LAT_MANAGER = "lat_manager"
MASH_SCREENER = "mash_screener"
MASH_MANAGER = "mash_manager"
SF_OFFICER = "sf_officer"
PERFORMANCE_ANALYST = "performance_analyst"
IG_OFFICER = "ig_officer"
SYSTEM_ADMINISTRATOR = "system_administrator"

ROLES: dict[str, Role] = {
    role.slug: role
    for role in (
        Role(
            PARTNER_PRACTITIONER,
            "Partner practitioner",
            "School, health, police, housing or voluntary sector practitioner. Sees a family only "
            "through a per-family grant.",
            _CASEWORK,
            team_based=False,
        ),
        Role(
            AGENCY_LEAD,
            "Agency early help lead",
            "Leads early help in a partner agency (a school's safeguarding lead, for example) and authorises "
            "the assessments its practitioners complete. Sees a family only through a per-family grant.",
            (*_CASEWORK, AUTHORISE_ASSESSMENT),
            team_based=False,
        ),
        Role(
            LEAD_PRACTITIONER,
            "Lead practitioner",
            "Leads a family's Team Around the Family.",
            _TEAM_CASEWORK,
            team_based=True,
        ),
        Role(
            CFS_WORKER,
            "Child and family support worker",
            "Local Area Team worker delivering 6 to 12 week interventions.",
            _TEAM_CASEWORK,
            team_based=True,
        ),
        Role(
            LAT_MANAGER,
            "Local Area Team manager",
            "Allocates, approves and audits the work of a Local Area Team.",
            (
                *_TEAM_CASEWORK,
                *_MANAGING,
                OVERRIDE_FAMILY_TEAM,
                DISPENSE_CONSENT,
                AUTHORISE_ASSESSMENT,
                ALLOCATE_EPISODE,
            ),
            team_based=True,
        ),
        Role(
            MASH_SCREENER,
            "MASH screener",
            "Records and screens contacts at the Multi-Agency Safeguarding Hub, city-wide.",
            (*_FRONT_DOOR, *_FRONT_DOOR_EXTRAS),
            team_based=False,
        ),
        Role(
            MASH_MANAGER,
            "MASH manager",
            "Decides contacts at the Multi-Agency Safeguarding Hub and is told of overdue ones.",
            (
                *_FRONT_DOOR,
                *_FRONT_DOOR_EXTRAS,
                DECIDE_CONTACT,
                VIEW_DISCLOSURES,
                DISPENSE_CONSENT,
                RECORD_SOCIAL_CARE_OUTCOME,
                VIEW_INDICATORS,
            ),
            team_based=False,
        ),
        Role(
            SF_OFFICER,
            "Supporting Families officer",
            "Registers families and claims for the Supporting Families programme, city-wide.",
            (
                VIEW_FAMILY,
                VIEW_FAMILY_HISTORY,
                VIEW_DIRECTORY,
                REGISTER_SUPPORTING_FAMILIES,
                MANAGE_SUPPORTING_FAMILIES,
            ),
            team_based=False,
        ),
        Role(
            PERFORMANCE_ANALYST,
            "Performance analyst",
            "Sees aggregate figures only, never a named family; downloads the Ofsted Annex A lists and keeps the "
            "training records.",
            (VIEW_INDICATORS, DOWNLOAD_ANNEX_A, RECORD_TRAINING, VIEW_TRAINING),
            team_based=False,
        ),
        Role(
            IG_OFFICER,
            "Information governance officer",
            "Reviews access logs, disclosures and break-the-glass uses; restricts records; answers subject access "
            "requests; decides on records due for disposal; manages privacy notices and lawful bases.",
            (
                VIEW_ACCESS_EVENTS,
                VIEW_RECORD_ACCESS,
                VIEW_BREAK_GLASS_REPORT,
                RESTRICT_RECORDS,
                MANAGE_RESTRICTIONS,
                SUBJECT_ACCESS,
                REVIEW_RETENTION,
                *MANAGE_PRIVACY_NOTICES,
                *MANAGE_LAWFUL_BASES,
            ),
            team_based=False,
        ),
        Role(
            SYSTEM_ADMINISTRATOR,
            "System administrator",
            "Manages user accounts, teams and reference data; no access to case records.",
            (
                "accounts.add_user",
                "accounts.change_user",
                "accounts.view_user",
                "locality.view_localareateam",
                "locality.change_localareateam",
                "locality.add_agency",
                "locality.change_agency",
                "locality.view_agency",
                "locality.add_team",
                "locality.change_team",
                "locality.view_team",
                "locality.add_membership",
                "locality.change_membership",
                "locality.view_membership",
                "locality.add_postcodesector",
                "locality.change_postcodesector",
                "locality.view_postcodesector",
                "locality.view_ward",
                "locality.change_ward",
                *MANAGE_DIRECTORY,
            ),
            team_based=False,
        ),
    )
}


def lat_group_name(team_name: str) -> str:
    """The name of the group whose members see one Local Area Team's families."""
    return f"Local Area Team: {team_name}"
