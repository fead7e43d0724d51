"""The demo's agencies and its users: one per role, and one per role in each Local Area Team for team-based roles."""

from base64 import b32decode

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from earlyhelp.accounts.models import User
from earlyhelp.core import perms
from locality.models import Agency, LocalAreaTeam, Team
from locality.services import membership_add

DEMO_PASSWORD = "Early-help-demo-2026"  # nosec B105  # published demo password; seed_demo refuses production
# Every demo user's authenticator app shares this published TOTP secret (base32, as an app asks for it when typed in),
# so the demo and the browser tests can sign in: `manage.py demo_code` prints the code it shows now.
DEMO_TOTP_SECRET = "EARLYHELPYORKDEMOSECRETTOTP23456"  # nosec B105  # published demo secret, never in production
DEMO_DOMAIN = "example.org"

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
        perms.SF_OFFICER,
        "sf.validator",
        "Val Checker",
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


def demo_email(local: str, lat_slug: str | None = None) -> str:
    """A demo user's e-mail address, such as cfs.tang-hall@example.org."""
    return f"{local}.{lat_slug}@{DEMO_DOMAIN}" if lat_slug else f"{local}@{DEMO_DOMAIN}"


@transaction.atomic
def agencies_load() -> dict[str, Agency]:
    """York's demo agencies by name, made once."""
    teams = {t.slug: t for t in LocalAreaTeam.objects.all()}
    agencies = {}
    for name, type_, code, lat in AGENCIES:
        agencies[name], _ = Agency.objects.get_or_create(
            name=name, defaults={"type": type_, "code": code, "local_area_team": teams.get(lat)}
        )
    return agencies


@transaction.atomic
def users_load(agencies: dict[str, Agency]) -> dict[str, User]:
    """The demo users by e-mail address, each in their team with their role; made once."""
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
            demo_authenticator_add(user)
            users[email] = user
    return users


def demo_totp_key() -> str:
    """DEMO_TOTP_SECRET as django-otp stores a key: hex."""
    return b32decode(DEMO_TOTP_SECRET).hex()


def demo_authenticator_add(user: User) -> None:
    """Give a demo user an authenticator app set up with DEMO_TOTP_SECRET, unless they already have one."""
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(user=user, name="Demo authenticator app", key=demo_totp_key(), confirmed=True)


# Extra staff for a city-sized demo (`seed_demo --users N`): (role, job title, agency, team name, in a LAT team).
EXTRA_STAFF_ROLES = [
    (perms.CFS_WORKER, "Child and family support worker", "City of York Council", "Local Area Team", True),
    (perms.LEAD_PRACTITIONER, "Lead practitioner", "City of York Council", "Local Area Team", True),
    (perms.PARTNER_PRACTITIONER, "Class teacher", "Ouse Valley Secondary School (demo)", "Pastoral", False),
    (perms.CFS_WORKER, "Child and family support worker", "City of York Council", "Local Area Team", True),
    (perms.PARTNER_PRACTITIONER, "Health visitor", "York Health Visiting Service (demo)", "Health visiting", False),
    (perms.LEAD_PRACTITIONER, "Lead practitioner", "City of York Council", "Local Area Team", True),
    (perms.MASH_SCREENER, "MASH screener", "City of York Council", "MASH", False),
    (perms.LAT_MANAGER, "Local Area Team manager", "City of York Council", "Local Area Team", True),
]
FIRST_NAMES = ["Alex", "Bailey", "Charlie", "Dee", "Eden", "Finley", "Gray", "Harley", "Indigo", "Jules", "Kit", "Lou"]
LAST_NAMES = ["Acomb", "Bishop", "Clement", "Dringhouses", "Fulford", "Heslington", "Layerthorpe", "Micklegate"]


def extra_staff_email(number: int) -> str:
    """The address of the city-sized demo's extra staff member `number` (from 1): staff-001@example.org."""
    return f"staff-{number:03d}@{DEMO_DOMAIN}"


@transaction.atomic
def staff_top_up(agencies: dict[str, Agency], *, total: int) -> int:
    """Add staff until `total` people can sign in (`staff-NNN@example.org`, roles in turn from EXTRA_STAFF_ROLES,
    Local Area Team roles spread over the teams), each with the demo password and authenticator. Made once: a
    second run adds only what is missing. Returns how many were added.

    The password is hashed once for them all: hashing it for each of hundreds of users would take minutes."""
    from django.contrib.auth.hashers import make_password

    signing_in = User.objects.filter(is_service_account=False, is_active=True)
    missing = total - signing_in.count()
    if missing <= 0:
        return 0
    lats = list(LocalAreaTeam.objects.order_by("pk"))
    password = make_password(DEMO_PASSWORD)
    number = signing_in.filter(email__startswith="staff-").count()
    added = 0
    while added < missing:
        number += 1
        role, job, agency_name, team_name, per_lat = EXTRA_STAFF_ROLES[(number - 1) % len(EXTRA_STAFF_ROLES)]
        lat = lats[(number - 1) // len(EXTRA_STAFF_ROLES) % len(lats)] if per_lat else None
        name = f"{FIRST_NAMES[number % len(FIRST_NAMES)]} {LAST_NAMES[number % len(LAST_NAMES)]} {number:03d}"
        user, created = User.objects.get_or_create(
            email=extra_staff_email(number),
            defaults={"full_name": name, "job_title": job, "agency": agencies[agency_name], "password": password},
        )
        team, _ = Team.objects.get_or_create(
            agency=agencies[agency_name],
            name=f"{team_name}: {lat.name}" if lat else team_name,
            defaults={"local_area_team": lat},
        )
        membership_add(user=user, team=team, role=role)
        demo_authenticator_add(user)
        added += created
    return added
