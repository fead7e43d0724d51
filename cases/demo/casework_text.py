"""The words of the demo casework: goals, actions, sessions, notes and closures. All invented."""

from cases.models import CaseNote, Closure, Intervention

# (for whom, goal, the support that fits it). For whom: "pupil" a child of school age, "young" a child under five,
# "child" any child, "parent" the main carer, "family" the whole family (no one person).
GOALS = [
    ("pupil", "{name} attends school on at least 95% of days by the end of term", Intervention.Kind.SCHOOL_ATTENDANCE),
    ("pupil", "{name} arrives at school on time, with breakfast, every day for six weeks", Intervention.Kind.ROUTINES),
    ("child", "{name} has a settled bedtime routine and is asleep by 8pm on school nights", Intervention.Kind.ROUTINES),
    (
        "child",
        "{name} can name two trusted adults and talks to one of them when worried",
        Intervention.Kind.EMOTIONAL_WELLBEING,
    ),
    ("young", "{name} reaches the expected stage in speech and play by the next health review", "early_years"),
    ("parent", "{name} uses praise and calm consequences every day and feels confident doing so", "parenting"),
    ("parent", "{name} has a weekly budget, and the rent arrears are paid off on an agreed plan", "housing_money"),
    ("family", "The family eats a meal together at least four evenings a week", Intervention.Kind.ROUTINES),
    (
        "family",
        "Disagreements at home are settled without shouting, using the family's calm-down plan",
        Intervention.Kind.PARENTAL_CONFLICT,
    ),
    ("family", "The home is warm and the family has a plan for bills over the winter", "housing_money"),
]

# (owner, what). Owner: "worker" the lead practitioner, "agency" a school or service, "parent" the main carer.
ACTIONS = [
    ("worker", "Visit weekly to build a morning and bedtime routine chart with the family"),
    ("worker", "Refer the family to the Family Money Advice Drop-in and go with them to the first visit"),
    ("worker", "Book a place on a parenting course and check in after each session"),
    ("worker", "Do three sessions of worry work with the children using the feelings cards"),
    ("agency", "Check attendance each week and share it with the lead practitioner"),
    ("agency", "Offer a breakfast club place and a named adult to meet the child at the gate"),
    ("agency", "Review the child's progress at the next health or school review and tell the TAF"),
    ("parent", "Take the children to school by 8.45 every morning"),
    ("parent", "Call the energy supplier to join the priority services register"),
    ("parent", "Go to the Stay and Play session each week with the youngest child"),
    ("parent", "Keep the routine chart on the fridge and tick it off with the children"),
]

AIMS = {
    Intervention.Kind.PARENTING: "Build confidence with praise, boundaries and play.",
    Intervention.Kind.ROUTINES: "Settle morning and bedtime routines so the children are rested and on time.",
    Intervention.Kind.EMOTIONAL_WELLBEING: "Help the children name their worries and know who to go to.",
    Intervention.Kind.SCHOOL_ATTENDANCE: "Get attendance back above 95% with the school's help.",
    Intervention.Kind.PARENTAL_CONFLICT: "Reduce conflict at home and agree a calm-down plan.",
    Intervention.Kind.HOUSING_MONEY: "Stabilise the tenancy and the family's money.",
    Intervention.Kind.EARLY_YEARS: "Support play, talk and routines for the youngest child.",
}

SESSION_NOTES = [
    "Worked through the routine chart; the children added their own pictures.",
    "Talked about what went well this week and one thing to try differently.",
    "Practised praise and calm consequences with a role play.",
    "Went through the budget sheet together and found two savings.",
    "Feelings cards with the children; they named the school nurse as a trusted adult.",
    "Reviewed attendance with the family: two late marks this week, no absences.",
    "Family did not answer the door; left a card and rang later to rebook.",
]

# (kind, text, child seen, child seen alone)
NOTES = [
    (CaseNote.Kind.PHONE, "Phone call with {parent} to introduce myself and arrange a first visit.", False, False),
    (
        CaseNote.Kind.HOME_VISIT,
        "Home visit. Saw {parent} and {child}. The home was warm; {child} showed me their room and talked about "
        "school.",
        True,
        False,
    ),
    (
        CaseNote.Kind.SCHOOL,
        "Saw {child} alone at school with the pastoral lead's agreement. {child} said mornings are the hardest part.",
        True,
        True,
    ),
    (
        CaseNote.Kind.EMAIL_LETTER,
        "Wrote to {parent} confirming the plan and the date of the next review.",
        False,
        False,
    ),
    (CaseNote.Kind.OFFICE, "{parent} came to the centre to go through the budget sheet.", False, False),
    (
        CaseNote.Kind.MANAGEMENT,
        "Management oversight: discussed in supervision. The plan is right; check the review is booked.",
        False,
        False,
    ),
]
SIGNIFICANT_NOTES = [
    (
        CaseNote.Kind.PHONE,
        "{parent} rang to say the family has received a notice seeking possession from the landlord.",
        False,
        False,
    ),
    (
        CaseNote.Kind.HOME_VISIT,
        "Home visit. {parent} disclosed that the children's father has been sending threatening messages. Safety "
        "plan agreed and the police informed with {parent}'s agreement.",
        True,
        False,
    ),
    (
        CaseNote.Kind.SCHOOL,
        "School reports {child} arrived with a bruise on the arm and gave a consistent account of a fall at the "
        "park. Discussed with the manager: no further action beyond the plan.",
        True,
        True,
    ),
]
AMENDMENTS = [
    ("The visit was in the afternoon, not the morning.", "Wrong time recorded"),
    ("Added after speaking to the school: attendance this week was 100%.", "Information received afterwards"),
    ("The call was with the children's grandmother, who is helping with the school run.", "Wrong person recorded"),
]

# (reason, weight, summary)
CLOSURES = [
    (
        Closure.Reason.OUTCOMES_ACHIEVED,
        60,
        "The goals were met and have held for a month. The school will keep in touch with the family.",
    ),
    (
        Closure.Reason.STEPPED_DOWN,
        15,
        "The family continues with the children's centre and the school's pastoral support.",
    ),
    (Closure.Reason.DISENGAGED, 10, "The family stopped answering calls and visits after several attempts."),
    (Closure.Reason.MOVED_AREA, 5, "The family moved out of York; the new area's early help team was told."),
    (Closure.Reason.CONSENT_WITHDRAWN, 5, "The family no longer wanted support and withdrew consent."),
    (Closure.Reason.OTHER, 5, "The eldest child's needs are now met through the school's own support plan."),
]
