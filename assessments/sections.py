"""The sections of the whole-family Early Help Assessment and their questions, in task-list order.

Generic wording throughout: no trademarked assessment framework is named or reproduced.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    name: str
    label: str
    kind: str = "text"  # text or yesno
    required: bool = True
    hint: str = ""


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    questions: tuple[Question, ...] = ()
    per_child: bool = False
    special: bool = False  # has its own page and form (scaling, analysis, needs)


def _q(name: str, label: str, **kwargs) -> Question:
    return Question(name, label, **kwargs)


VOICE = "voice"
SCALING = "scaling"
ANALYSIS = "analysis"
NEEDS = "needs"

SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec(
        "reason",
        "Reason for the assessment",
        (
            _q("reason", "Why is the family being assessed now?"),
            _q("family_view", "What does the family say about why help is needed?"),
        ),
    ),
    SectionSpec(
        "household",
        "Household and network",
        (
            _q("household", "Who lives in the household, and how do they get on?"),
            _q("network", "Who else supports the family (relatives, friends, community)?", required=False),
        ),
    ),
    SectionSpec(
        "child_development",
        "Development",
        (
            _q("health", "Health"),
            _q("learning", "Learning and education"),
            _q("emotional", "Emotional and behavioural development"),
            _q("identity", "Identity"),
            _q("relationships", "Family and social relationships"),
            _q("self_care", "Self-care skills"),
        ),
        per_child=True,
    ),
    SectionSpec(
        VOICE,
        "Voice of the child",
        (
            _q("words", "What the child said, in their own words", required=False),
            _q("how_gathered", "How their views were gathered", required=False),
            _q("seen", "Was the child seen?", kind="yesno"),
            _q("seen_alone", "Was the child seen alone?", kind="yesno"),
            _q(
                "not_recorded_reason",
                "If the child's voice could not be recorded, why not",
                required=False,
                hint="Needed for a child aged 5 or over whose words are not recorded",
            ),
        ),
        per_child=True,
    ),
    SectionSpec(
        "parenting",
        "Parenting capacity",
        (
            _q("basic_care", "Basic care"),
            _q("safety", "Ensuring safety"),
            _q("warmth", "Emotional warmth"),
            _q("stimulation", "Stimulation"),
            _q("guidance", "Guidance and boundaries"),
            _q("stability", "Stability"),
        ),
    ),
    SectionSpec(
        "family_environment",
        "Family and environment",
        (
            _q("history", "Family history and functioning"),
            _q("wider_family", "Wider family"),
            _q("housing", "Housing"),
            _q("employment", "Employment"),
            _q("income", "Income"),
            _q("community", "Community resources and social integration"),
        ),
    ),
    SectionSpec("parents_views", "Parents' and carers' views", (_q("views", "What do the parents and carers think?"),)),
    SectionSpec(
        "strengths_worries",
        "What is working well and what we are worried about",
        (
            _q("working_well", "What is working well?"),
            _q("worried_about", "What are we worried about?"),
            _q("needs_to_happen", "What needs to happen?"),
        ),
    ),
    SectionSpec(SCALING, "Scaling by each participant", special=True),
    SectionSpec(ANALYSIS, "Analysis and level of need", special=True),
    SectionSpec(NEEDS, "Identified needs", special=True),
)
SECTIONS_BY_KEY = {spec.key: spec for spec in SECTIONS}
TEXT_MAX = 50_000
