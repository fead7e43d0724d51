"""The service directory: invented services in York's Local Area Teams, and Early Help Champions."""

from django.db import transaction
from django.utils.text import slugify
from faker import Faker

from cases.demo.staff import DEMO_DOMAIN
from locality.models import Agency, EarlyHelpChampion, LocalAreaTeam, NeedCategory, Service, ServiceArea, ServiceNeed

# The service directory: invented services. "all" covers every Local Area Team.
DROP_IN = "Drop in during opening times; no referral is needed."
SELF_OR_FORM = (
    "Families can refer themselves by phone. Practitioners send the referral form, with the family's agreement."
)
DIRECTORY_SERVICES = [
    # (name, provider, teams, need category codes, age from, age to, description, how to access)
    (
        "Tang Hall Stay and Play",
        "Tang Hall Children's Centre (demo)",
        ["tang-hall"],
        ["early_years", "parenting"],
        0,
        5,
        "Play sessions for babies and young children with their parents or carers, with a family worker to talk to.",
        DROP_IN,
    ),
    (
        "Hob Moor Baby Massage",
        "Hob Moor Children's Centre (demo)",
        ["hob-moor"],
        ["early_years", "health"],
        0,
        1,
        "A five-week course for parents and babies under one, run with the health visiting team.",
        "Book a place through the children's centre or ask your health visitor.",
    ),
    (
        "Ready for School Talking Time",
        "Speech and Language Partnership (demo)",
        ["tang-hall", "hob-moor"],
        ["early_years", "education"],
        2,
        5,
        "Small groups that build speech, language and listening before school.",
        "Referral by a health visitor, nursery or children's centre worker.",
    ),
    (
        "Clifton Parenting Together",
        "Clifton Children's Centre (demo)",
        ["clifton"],
        ["parenting", "relationships"],
        0,
        12,
        "A ten-week group parenting course on routines, boundaries and play.",
        SELF_OR_FORM,
    ),
    (
        "Teen Parenting Workshop",
        "Early Help Team (demo)",
        "all",
        ["parenting", "relationships"],
        11,
        18,
        "Evening workshops for parents of teenagers: conflict, online safety and staying connected.",
        SELF_OR_FORM,
    ),
    (
        "Dads Matter Group",
        "Family Friends Voluntary Project (demo)",
        ["hob-moor", "clifton"],
        ["parenting", "relationships"],
        0,
        19,
        "A fortnightly group for fathers and male carers, with activities.",
        DROP_IN,
    ),
    (
        "Family Money Advice Drop-in",
        "York Advice Partnership (demo)",
        "all",
        ["finances", "housing"],
        0,
        19,
        "Help with benefits, debts, budgeting and cost-of-living grants for families with children.",
        DROP_IN,
    ),
    (
        "Family Food Pantry",
        "Family Friends Voluntary Project (demo)",
        ["tang-hall", "hob-moor"],
        ["finances"],
        0,
        19,
        "A weekly low-cost food pantry with advice on energy bills and school uniform grants.",
        DROP_IN,
    ),
    (
        "Housing Options Family Team",
        "Housing Services (demo)",
        "all",
        ["housing", "finances"],
        0,
        19,
        "Advice for families at risk of losing their home: rent arrears, disrepair and homelessness.",
        SELF_OR_FORM,
    ),
    (
        "Young Carers Group",
        "York Carers Network (demo)",
        "all",
        ["young_carers", "health"],
        8,
        18,
        "Fortnightly group, trips and one-to-one support for children who look after someone at home.",
        "Practitioners send the referral form, with the young person's and a parent's agreement.",
    ),
    (
        "Healthy Minds Drop-in",
        "Youth Wellbeing Service (demo)",
        "all",
        ["health"],
        11,
        25,
        "Emotional wellbeing support for young people: anxiety, low mood, sleep and self-harm.",
        DROP_IN,
    ),
    (
        "Steps to Recovery Family Service",
        "Recovery Partnership (demo)",
        "all",
        ["substance_use", "relationships"],
        0,
        25,
        "Support for families affected by a parent's or young person's drug or alcohol use.",
        SELF_OR_FORM,
    ),
    (
        "Safer Homes Domestic Abuse Support",
        "Independent Domestic Abuse Service (demo)",
        "all",
        ["domestic_abuse", "safe_from_abuse"],
        0,
        25,
        "Safety planning and advocacy for adults and children affected by domestic abuse; children's recovery groups.",
        "Self-referral by phone, or the practitioner referral form. In an emergency call 999.",
    ),
    (
        "Positive Futures Youth Club",
        "Youth Service (demo)",
        ["tang-hall", "clifton"],
        ["crime", "safe_from_abuse"],
        10,
        19,
        "Youth club evenings, sport and mentoring for young people at risk of exploitation or offending.",
        DROP_IN,
    ),
    (
        "School Attendance Support",
        "Education Welfare (demo)",
        "all",
        ["education"],
        5,
        16,
        "Works with schools and families when a child's attendance is falling, before it becomes a legal matter.",
        "Referral by the child's school.",
    ),
    (
        "SEND Information and Advice",
        "SEND Advice Service (demo)",
        "all",
        ["send", "education"],
        0,
        25,
        "Impartial advice on special educational needs and disabilities, EHC plans and school transport.",
        SELF_OR_FORM,
    ),
]
# (agency, champion's job title, how many champions)
DIRECTORY_CHAMPIONS = [
    ("Heworth Green Primary School (demo)", "Designated safeguarding lead", 1),
    ("Hob Moor Lane Primary School (demo)", "Family support worker", 1),
    ("Clifton Moor Academy (demo)", "Pastoral lead", 1),
    ("Ouse Valley Secondary School (demo)", "Head of year", 2),
    ("York Health Visiting Service (demo)", "Health visitor", 2),
    ("Minster Medical Practice (demo)", "Practice safeguarding lead", 1),
    ("Police (demo)", "Neighbourhood police officer", 1),
    ("Housing Services (demo)", "Tenancy support officer", 1),
    ("Family Friends Voluntary Project (demo)", "Project coordinator", 1),
]


@transaction.atomic
def directory_load(agencies: dict[str, Agency], *, seed: int) -> None:
    """Services for the directory and Early Help Champions; each is made once, so a rerun adds nothing."""
    teams = {t.slug: t for t in LocalAreaTeam.objects.all()}
    categories = NeedCategory.objects.in_bulk(field_name="code")
    for index, (name, provider, lats, codes, age_from, age_to, description, access) in enumerate(
        DIRECTORY_SERVICES, start=1
    ):
        service, _ = Service.objects.get_or_create(
            name=name,
            defaults={
                "provider": provider,
                "description": description,
                "how_to_access": access,
                "telephone": f"01904 000 {index:03d}",
                "email": f"{slugify(name)}@{DEMO_DOMAIN}",
                "age_from": age_from,
                "age_to": age_to,
            },
        )
        for slug in teams if lats == "all" else lats:
            ServiceArea.objects.get_or_create(service=service, local_area_team=teams[slug])
        for code in codes:
            ServiceNeed.objects.get_or_create(service=service, need_category=categories[code])
    _champions_load(agencies, seed=seed)


def _champions_load(agencies: dict[str, Agency], *, seed: int) -> None:
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    for index, (agency_name, job_title, count) in enumerate(DIRECTORY_CHAMPIONS, start=1):
        agency = agencies[agency_name]
        if agency.champions.exists():
            continue
        for number in range(count):
            first, last = fake.first_name(), fake.last_name()
            EarlyHelpChampion.objects.create(
                agency=agency,
                name=f"{first} {last}",
                job_title=job_title,
                email=f"{slugify(first)}.{slugify(last)}@{DEMO_DOMAIN}",
                telephone=f"01904 000 {100 + index * 2 + number:03d}",
            )
