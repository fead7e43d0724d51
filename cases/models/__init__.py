"""The cases app's records: people and families, episodes, plans, the Team Around the Family, interventions,
notes and tasks. Each area has its own module; they are all importable from here."""

from cases.models.episodes import Closure, Episode, SocialCareOutcome, Task, Transfer
from cases.models.families import (
    NAME_MAX,
    SEARCH_NAME_MAX,
    Family,
    FamilyMember,
    FamilyUserObjectPermission,
    Person,
    PersonAddress,
    ProfessionalInvolvement,
    Relationship,
    person_search_name,
)
from cases.models.interventions import Intervention, InterventionExtension, InterventionSession
from cases.models.notes import CaseNote, CaseNoteAmendment
from cases.models.plans import Action, FamilyPlan, Goal, GoalScore
from cases.models.supporting_families import Headline, SupportingFamiliesNeed, SupportingFamiliesRegistration
from cases.models.taf import TafAttendance, TafMeeting, TafMember

__all__ = [
    "NAME_MAX",
    "SEARCH_NAME_MAX",
    "Action",
    "CaseNote",
    "CaseNoteAmendment",
    "Closure",
    "Episode",
    "Family",
    "FamilyMember",
    "FamilyPlan",
    "FamilyUserObjectPermission",
    "Goal",
    "GoalScore",
    "Headline",
    "Intervention",
    "InterventionExtension",
    "InterventionSession",
    "Person",
    "PersonAddress",
    "ProfessionalInvolvement",
    "Relationship",
    "SocialCareOutcome",
    "SupportingFamiliesNeed",
    "SupportingFamiliesRegistration",
    "TafAttendance",
    "TafMeeting",
    "TafMember",
    "Task",
    "Transfer",
    "person_search_name",
]
