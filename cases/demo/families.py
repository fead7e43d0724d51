"""N synthetic families: members, relationships, addresses and consent, written in bulk with their history."""

import random
from collections.abc import Callable
from datetime import date, timedelta

from django.db import connection, transaction
from faker import Faker

from cases.models import Family, FamilyMember, Person, PersonAddress, Relationship, person_search_name
from cases.services import REFERENCE_ALPHABET
from consent.models import ConsentRecord, ConsentShare, ConsentSubject
from earlyhelp.accounts.models import User
from earlyhelp.core.bulk import bulk_insert_with_history
from locality.models import Agency, LocalAreaTeam, PostcodeSector

BATCH = 1000
# Above this many families, the person-name trigram index (PostgreSQL) is built once after loading,
# which is much faster than updating it row by row.
REBUILD_INDEX_FROM = 10_000
TRIGRAM_INDEX_DROP = "DROP INDEX IF EXISTS person_search_name_trgm"
TRIGRAM_INDEX_CREATE = (
    "CREATE INDEX IF NOT EXISTS person_search_name_trgm ON cases_person USING gin (search_name gin_trgm_ops)"
)


def nhs_number_for(serial: int) -> str | None:
    """A valid NHS number in the 999 test range, or None when the serial gives no valid check digit."""
    stem = f"999{serial:06d}"
    total = sum(int(d) * w for d, w in zip(stem, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else f"{stem}{check}"


def families_load(
    *, count: int, seed: int, seeder: User, agencies: dict[str, Agency], progress: Callable[[str], object]
) -> list[Family]:
    """Create `count` families; on PostgreSQL a large load rebuilds the name-search index once at the end."""
    rebuild_index = connection.vendor == "postgresql" and count >= REBUILD_INDEX_FROM
    if rebuild_index:
        with connection.cursor() as cursor:
            cursor.execute(TRIGRAM_INDEX_DROP)
    try:
        return _families(count=count, seed=seed, seeder=seeder, agencies=agencies, progress=progress)
    finally:
        if rebuild_index:
            with connection.cursor() as cursor:
                cursor.execute(TRIGRAM_INDEX_CREATE)


def _families(
    *, count: int, seed: int, seeder: User, agencies: dict[str, Agency], progress: Callable[[str], object]
) -> list[Family]:
    """Create `count` families in batches, each batch with its history rows in bulk."""
    rng = random.Random(seed)  # nosec B311  # seeded generator for synthetic demo data, not for anything secret
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
            families = [_family(rng, fake, context) for _ in range(size)]
            plans = [_plan_people(rng, fake, family.name, date.today()) for family in families]
            bulk_insert_with_history(families, user=seeder)
            people = _people(rng, plans, context)
            bulk_insert_with_history(people, user=seeder)
            members, relationships, addresses = _links(rng, families, plans)
            bulk_insert_with_history(members, user=seeder)
            bulk_insert_with_history(relationships, user=seeder)
            bulk_insert_with_history(addresses, user=seeder)
            _consents(rng, families, plans, seeder)
            created.extend(families)
        progress(f"  {len(created)} of {count} families")
    return created


def _family(rng: random.Random, fake: Faker, context: dict) -> Family:
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


def _people(rng: random.Random, plans: list, context: dict) -> list[Person]:
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


def _links(rng: random.Random, families: list[Family], plans: list) -> tuple[list, list, list]:
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


def _plan_people(rng: random.Random, fake: Faker, surname: str, today: date) -> list:
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
        plan.append((father, FamilyMember.Role.PARENT, {"parental_responsibility": True, "in_household": in_household}))
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


def _consents(rng: random.Random, families: list[Family], plans: list, seeder: User) -> None:
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
