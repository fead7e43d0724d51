"""Synthetic demo data: York's agencies and teams, one demo user per role, and N families.

Everything is made up (Faker en_GB) and deterministic for a given --seed. Never run in production.
"""

import random
from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from faker import Faker

from cases.models import Family, FamilyMember, Person, PersonAddress, Relationship, person_search_name
from cases.services import REFERENCE_ALPHABET, family_access_grant, family_restricted_allow
from consent.models import ConsentRecord, ConsentShare, ConsentSubject
from earlyhelp.accounts.models import User
from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as
from earlyhelp.core import perms
from earlyhelp.core.bulk import bulk_insert_with_history
from earlyhelp.core.roles import roles_sync
from locality.models import (
    Agency,
    EarlyHelpChampion,
    LocalAreaTeam,
    NeedCategory,
    PostcodeSector,
    Service,
    ServiceArea,
    ServiceNeed,
    Team,
)
from locality.services import membership_add

DEMO_PASSWORD = "Early-help-demo-2026"
DEMO_DOMAIN = "example.org"
BATCH = 1000
# Above this many families, the person-name trigram index (PostgreSQL) is built once after loading,
# which is much faster than updating it row by row.
REBUILD_INDEX_FROM = 10_000
TRIGRAM_INDEX_DROP = "DROP INDEX IF EXISTS person_search_name_trgm"
TRIGRAM_INDEX_CREATE = (
    "CREATE INDEX IF NOT EXISTS person_search_name_trgm ON cases_person USING gin (search_name gin_trgm_ops)"
)

AGENCIES = [
    ("City of York Council", Agency.Type.LOCAL_AUTHORITY, "", None),
    ("Heworth Green Primary School (demo)", Agency.Type.SCHOOL, "900001", "tang-hall"),
    ("Hob Moor Lane Primary School (demo)", Agency.Type.SCHOOL, "900002", "hob-moor"),
    ("Clifton Moor Academy (demo)", Agency.Type.SCHOOL, "900003", "clifton"),
    ("Ouse Valley Secondary School (demo)", Agency.Type.SCHOOL, "900004", None),
    ("Little Acorns Nursery (demo)", Agency.Type.EARLY_YEARS, "EY900005", None),
    ("York Health Visiting Service (demo)", Agency.Type.HEALTH, "", None),
    ("Minster Medical Practice (demo)", Agency.Type.GP, "B90001", None),
    ("Riverside Surgery (demo)", Agency.Type.GP, "B90002", None),
    ("Police (demo)", Agency.Type.POLICE, "", None),
    ("Housing Services (demo)", Agency.Type.HOUSING, "", None),
    ("Family Friends Voluntary Project (demo)", Agency.Type.VOLUNTARY, "", None),
]
ROLE_USERS = [
    # (role, e-mail local part, full name, job title, agency, team name, team's LAT slug or "each")
    (
        perms.PARTNER_PRACTITIONER,
        "partner.school",
        "Sam Partner",
        "Class teacher",
        "Heworth Green Primary School (demo)",
        "Safeguarding",
        None,
    ),
    (
        perms.AGENCY_LEAD,
        "lead.school",
        "Jordan Lead",
        "Designated safeguarding lead",
        "Heworth Green Primary School (demo)",
        "Safeguarding",
        None,
    ),
    (
        perms.PARTNER_PRACTITIONER,
        "partner.health",
        "Harper Health",
        "Health visitor",
        "York Health Visiting Service (demo)",
        "Health visiting",
        None,
    ),
    (
        perms.LEAD_PRACTITIONER,
        "lead",
        "Lee Lead",
        "Lead practitioner",
        "City of York Council",
        "Local Area Team",
        "each",
    ),
    (
        perms.CFS_WORKER,
        "cfs",
        "Casey Support",
        "Child and family support worker",
        "City of York Council",
        "Local Area Team",
        "each",
    ),
    (
        perms.LAT_MANAGER,
        "manager",
        "Morgan Manager",
        "Local Area Team manager",
        "City of York Council",
        "Local Area Team",
        "each",
    ),
    (perms.MASH_SCREENER, "mash.screener", "Sasha Screener", "MASH screener", "City of York Council", "MASH", None),
    (perms.MASH_MANAGER, "mash.manager", "Mo Decider", "MASH manager", "City of York Council", "MASH", None),
    (
        perms.SF_OFFICER,
        "sf.officer",
        "Frankie Families",
        "Supporting Families officer",
        "City of York Council",
        "Supporting Families",
        None,
    ),
    (
        perms.PERFORMANCE_ANALYST,
        "analyst",
        "Ari Analyst",
        "Performance analyst",
        "City of York Council",
        "Performance",
        None,
    ),
    (
        perms.IG_OFFICER,
        "ig.officer",
        "Indy Governance",
        "Information governance officer",
        "City of York Council",
        "Information governance",
        None,
    ),
    (
        perms.SYSTEM_ADMINISTRATOR,
        "admin",
        "Alex Admin",
        "System administrator",
        "City of York Council",
        "Systems",
        None,
    ),
]

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


def nhs_number_for(serial: int) -> str | None:
    """A valid NHS number in the 999 test range, or None when the serial gives no valid check digit."""
    stem = f"999{serial:06d}"
    total = sum(int(d) * w for d, w in zip(stem, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else f"{stem}{check}"


def demo_email(local: str, lat_slug: str | None = None) -> str:
    return f"{local}.{lat_slug}@{DEMO_DOMAIN}" if lat_slug else f"{local}@{DEMO_DOMAIN}"


class Command(BaseCommand):
    help = "Load synthetic demo data: agencies, teams, one user per role, and --families families."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--families", type=int, default=60)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when families already exist")

    def handle(self, *args, families: int, seed: int, if_empty: bool, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo makes demo accounts with a published password: never in production.")
        if if_empty and Family.objects.exists():
            self.stdout.write("Families already exist; demo data left as it is.")
            return
        roles_sync()
        seeder = service_account_get(name="seed-demo")
        rebuild_index = connection.vendor == "postgresql" and families >= REBUILD_INDEX_FROM
        with acting_as(seeder):
            agencies = self._agencies()
            users = self._users(agencies)
            self._directory(agencies, seed=seed)
            if rebuild_index:
                with connection.cursor() as cursor:
                    cursor.execute(TRIGRAM_INDEX_DROP)
            try:
                created = self._families(count=families, seed=seed, seeder=seeder, agencies=agencies)
            finally:
                if rebuild_index:
                    with connection.cursor() as cursor:
                        cursor.execute(TRIGRAM_INDEX_CREATE)
            self._grants(created, users)
            self._front_door(created, users)
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready: {len(created)} families added. Password: {DEMO_PASSWORD}")
        )

    @transaction.atomic
    def _agencies(self) -> dict[str, Agency]:
        teams = {t.slug: t for t in LocalAreaTeam.objects.all()}
        agencies = {}
        for name, type_, code, lat in AGENCIES:
            agencies[name], _ = Agency.objects.get_or_create(
                name=name, defaults={"type": type_, "code": code, "local_area_team": teams.get(lat)}
            )
        return agencies

    @transaction.atomic
    def _users(self, agencies: dict[str, Agency]) -> dict[str, User]:
        users = {}
        lats = list(LocalAreaTeam.objects.all())
        for role, local, name, job, agency_name, team_name, per_lat in ROLE_USERS:
            places = [(lat, f"{team_name}: {lat.name}") for lat in lats] if per_lat else [(None, team_name)]
            for lat, full_team_name in places:
                email = demo_email(local, lat.slug if lat else None)
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(
                        email,
                        DEMO_PASSWORD,
                        full_name=f"{name} ({lat.name})" if lat else name,
                        job_title=job,
                        agency=agencies[agency_name],
                        is_staff=role in (perms.SYSTEM_ADMINISTRATOR, perms.IG_OFFICER),
                    )
                team, _ = Team.objects.get_or_create(
                    agency=agencies[agency_name], name=full_team_name, defaults={"local_area_team": lat}
                )
                membership_add(user=user, team=team, role=role)
                users[email] = user
        return users

    @transaction.atomic
    def _directory(self, agencies: dict[str, Agency], *, seed: int) -> None:
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

    def _families(self, *, count: int, seed: int, seeder: User, agencies: dict[str, Agency]) -> list[Family]:
        """Create `count` families in batches, each batch with its history rows in bulk."""
        rng = random.Random(seed)
        fake = Faker("en_GB")
        fake.seed_instance(seed)
        context = {
            "lats": list(LocalAreaTeam.objects.all()),
            "districts": {s.code: s.local_area_team_id for s in PostcodeSector.objects.all()},
            "schools": [a for a in agencies.values() if a.type == Agency.Type.SCHOOL],
            "gps": [a for a in agencies.values() if a.type == Agency.Type.GP],
            "references": set(Family.objects.values_list("reference", flat=True)),
            "serial": Person.objects.count() + 1,
        }
        created: list[Family] = []
        for start in range(0, count, BATCH):
            with transaction.atomic():
                size = min(BATCH, count - start)
                families = [self._family(rng, fake, context) for _ in range(size)]
                plans = [self._plan_people(rng, fake, family.name, date.today()) for family in families]
                bulk_insert_with_history(families, user=seeder)
                people = self._people(rng, plans, context)
                bulk_insert_with_history(people, user=seeder)
                members, relationships, addresses = self._links(rng, families, plans)
                bulk_insert_with_history(members, user=seeder)
                bulk_insert_with_history(relationships, user=seeder)
                bulk_insert_with_history(addresses, user=seeder)
                self._consents(rng, families, plans, seeder)
                created.extend(families)
            self.stdout.write(f"  {len(created)} of {count} families")
        return created

    def _family(self, rng: random.Random, fake: Faker, context: dict) -> Family:
        lat = rng.choice(context["lats"])
        district = rng.choice([code for code, lat_id in context["districts"].items() if lat_id == lat.pk])
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        reference = ""
        while not reference or reference in context["references"]:
            reference = "EH-" + "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(8))
        context["references"].add(reference)
        return Family(
            reference=reference,
            name=fake.last_name(),
            local_area_team=lat,
            address_line_1=f"{rng.randint(1, 199)} {fake.street_name()}",
            town="York",
            postcode=f"{district} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}",
            restricted=rng.random() < 0.03,
        )

    def _people(self, rng: random.Random, plans: list, context: dict) -> list[Person]:
        """Fill in the fields `save()` or a form would: NHS number, search name, school and GP."""
        people = []
        today = date.today()
        for plan in plans:
            for person, role, _flags in plan:
                person.nhs_number = nhs_number_for(context["serial"]) or ""
                context["serial"] += 1
                person.search_name = person_search_name(person.first_name, person.last_name)
                is_pupil = role == FamilyMember.Role.CHILD and (person.age_on(today) or 0) >= 4
                person.school = rng.choice(context["schools"]) if is_pupil else None
                person.gp_practice = rng.choice(context["gps"])
                people.append(person)
        return people

    def _links(self, rng: random.Random, families: list[Family], plans: list) -> tuple[list, list, list]:
        """Memberships, relationships (parents, partners, siblings) and current addresses."""
        members, relationships, addresses = [], [], []
        for family, plan in zip(families, plans, strict=True):
            adults = [p for p, role, _ in plan if role != FamilyMember.Role.CHILD]
            children = [p for p, role, _ in plan if role == FamilyMember.Role.CHILD]
            for person, role, flags in plan:
                members.append(FamilyMember(family=family, person=person, role=role, **flags))
                moved_in = date.today() - timedelta(days=rng.randint(30, 3000))
                addresses.append(
                    PersonAddress(
                        person=person,
                        address_line_1=family.address_line_1,
                        town=family.town,
                        postcode=family.postcode,
                        moved_in=moved_in,
                    )
                )
            for adult in adults:
                kind = Relationship.Kind.MOTHER if adult.sex == "female" else Relationship.Kind.FATHER
                relationships.extend(Relationship(family=family, person=adult, relative=c, kind=kind) for c in children)
            if len(adults) == 2:
                relationships.append(
                    Relationship(family=family, person=adults[0], relative=adults[1], kind=Relationship.Kind.PARTNER)
                )
            relationships.extend(
                Relationship(family=family, person=a, relative=b, kind=Relationship.Kind.SIBLING)
                for i, a in enumerate(children)
                for b in children[i + 1 :]
            )
        return members, relationships, addresses

    def _plan_people(self, rng: random.Random, fake: Faker, surname: str, today: date) -> list:
        """A mother, sometimes a father, one to four children spaced at least ten months apart, and
        sometimes an unborn baby. Parents are 17 to 40 years older than their eldest child."""
        child_ages = [rng.randint(60, 17 * 365)]
        for _ in range(rng.randint(0, 3)):
            younger = child_ages[-1] - rng.randint(300, 4 * 365)
            if younger < 30:
                break
            child_ages.append(younger)
        mother_age = child_ages[0] + rng.randint(17 * 365, 40 * 365)
        mother = Person(
            first_name=fake.first_name_female(),
            last_name=surname,
            sex="female",
            date_of_birth=today - timedelta(days=mother_age),
            ethnicity=rng.choice(["WBRI", "WBRI", "WBRI", "WOTH", "MWAS", "APKN", "BAFR", "CHNE", "WROM"]),
            first_language=rng.choice(["English"] * 8 + ["Polish", "Urdu"]),
        )
        plan = [(mother, FamilyMember.Role.PARENT, {"parental_responsibility": True, "main_carer": True})]
        if rng.random() < 0.6:
            father_age = max(mother_age + rng.randint(-3 * 365, 8 * 365), child_ages[0] + 17 * 365)
            father = Person(
                first_name=fake.first_name_male(),
                last_name=surname if rng.random() < 0.7 else fake.last_name(),
                sex="male",
                date_of_birth=today - timedelta(days=father_age),
                ethnicity=mother.ethnicity,
                first_language=mother.first_language,
            )
            in_household = rng.random() < 0.7
            plan.append(
                (father, FamilyMember.Role.PARENT, {"parental_responsibility": True, "in_household": in_household})
            )
        for age in child_ages:
            sex = rng.choice(["male", "female"])
            child = Person(
                first_name=fake.first_name_male() if sex == "male" else fake.first_name_female(),
                last_name=surname,
                sex=sex,
                ethnicity=mother.ethnicity,
                first_language=mother.first_language,
                date_of_birth=today - timedelta(days=age),
                disability=rng.random() < 0.05,
                sen_status=rng.choice(["none"] * 8 + ["sen_support", "ehcp"]),
            )
            plan.append((child, FamilyMember.Role.CHILD, {}))
        if rng.random() < 0.05 and child_ages[-1] > 300:
            expected = today + timedelta(days=rng.randint(20, 250))
            plan.append(
                (
                    Person(first_name="Baby", last_name=surname, expected_date_of_birth=expected),
                    FamilyMember.Role.CHILD,
                    {},
                )
            )
        return plan

    def _consents(self, rng: random.Random, families: list[Family], plans: list, seeder: User) -> None:
        """Most families agreed to early help and to sharing with schools and health; a few refused."""
        today = date.today()
        consents, subjects, shares = [], [], []
        for family, plan in zip(families, plans, strict=True):
            roll = rng.random()
            if roll >= 0.75:
                continue  # consent still to be sought
            mother = plan[0][0]
            consent = ConsentRecord(
                family=family,
                status=ConsentRecord.Status.GIVEN if roll < 0.7 else ConsentRecord.Status.REFUSED,
                given_by=mother,
                giver_kind=ConsentRecord.GiverKind.PARENTAL_RESPONSIBILITY,
                engage=roll < 0.7,
                store=roll < 0.7,
                method=rng.choice(ConsentRecord.Method.values),
                obtained_by=seeder,
                obtained_on=today - timedelta(days=rng.randint(1, 300)),
                review_on=today + timedelta(days=rng.randint(10, 360)),
            )
            consent.demo_people = [person for person, _role, _flags in plan]
            consents.append(consent)
        bulk_insert_with_history(consents, user=seeder)
        for consent in consents:
            subjects.extend(ConsentSubject(consent=consent, person=person) for person in consent.demo_people)
            if consent.status == ConsentRecord.Status.GIVEN:
                shares.extend(ConsentShare(consent=consent, agency_type=t) for t in ("school", "health"))
        bulk_insert_with_history(subjects, user=seeder)
        bulk_insert_with_history(shares, user=seeder)

    @transaction.atomic
    def _grants(self, families: list[Family], users: dict[str, User]) -> None:
        """Give each partner practitioner a few families their consent covers, and a manager a restricted family."""
        consented = set(
            ConsentRecord.objects.filter(status=ConsentRecord.Status.GIVEN, family__in=families).values_list(
                "family_id", flat=True
            )
        )
        ordinary = [f for f in families if not f.restricted and f.pk in consented]
        for index, email in enumerate((demo_email("partner.school"), demo_email("partner.health"))):
            for family in ordinary[index * 3 : index * 3 + 3]:
                family_access_grant(family=family, user=users[email])
        restricted = [f for f in families if f.restricted]
        if restricted:
            lat = restricted[0].local_area_team
            family_restricted_allow(family=restricted[0], user=users[demo_email("manager", lat.slug)])

    FRONT_DOOR_CONTACTS = 8

    @transaction.atomic
    def _front_door(self, families: list[Family], users: dict[str, User]) -> None:
        """A few contacts at each stage, so the MASH inbox, the allocation queue and My referrals have work in them."""
        from referrals import services as front_door

        screener, manager = users[demo_email("mash.screener")], users[demo_email("mash.manager")]
        candidates = [f for f in families if not f.restricted and f.members.filter(role="child").exists()]
        now = timezone.now()
        for index, family in enumerate(candidates[: self.FRONT_DOOR_CONTACTS]):
            children = [m.person for m in family.members.filter(role="child").select_related("person")]
            contact = front_door.contact_record(
                user=users[demo_email("cfs", family.local_area_team.slug)],
                family=family,
                children=children,
                concern="Synthetic demo concern: attendance has dropped and the children often arrive hungry.",
                source="2A",
                family_aware="yes",
                consent_status="given",
                received_at=now - timedelta(hours=6 * index + 1),
            )
            if index % 4 == 0:
                continue  # left as received
            front_door.contact_rate(user=screener, contact=contact, rag=("red", "amber", "green")[index % 3])
            if index % 4 == 1:
                continue  # screening
            front_door.contact_screen(
                user=screener,
                contact=contact,
                checks={"involvement": True, "previous_contacts": True, "education": True},
                information_gathered="Synthetic demo: school confirms attendance of 78% this term.",
                ready=True,
            )
            if index % 4 == 2:
                continue  # awaiting decision
            front_door.contact_decide(
                user=manager,
                contact=contact,
                level=3,
                outcome="targeted",
                rationale="Synthetic demo: needs across education and health; the family agrees to support.",
                next_steps="A Child and Family Support worker will contact the family within 5 working days.",
                consent_basis="held",
                local_area_team=family.local_area_team,
            )
