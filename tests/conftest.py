"""Personas, their clients and the families they can and cannot see.

Personas: a partner practitioner (school), a child and family support worker and a Local Area
Team manager in Tang Hall, a MASH screener, two MASH managers (one decides, the other approves
safeguarding overrides), a worker in another team (Hob Moor), and a performance analyst.
Families: one in Tang Hall, one in Hob Moor, a restricted one in Tang Hall, and one in Clifton
granted to the partner practitioner.
"""

import os

import pytest
from django.db import connection
from django.test import Client

from cases.services import family_access_grant
from earlyhelp.celery import app as celery_app
from earlyhelp.core import perms
from earlyhelp.core.roles import roles_sync
from locality.models import Agency
from locality.services import membership_add
from tests.auth import signed_in_client
from tests.factories import AgencyFactory, FamilyFactory, LocalAreaTeamFactory, TeamFactory, UserFactory

pytest_plugins = ["tests.assessment_fixtures"]

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def require_service(available: bool, reason: str) -> None:
    """Skip a test whose service is missing, or fail it when CI says every service must be there."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher():
    """Hashing passwords slowly protects production; in tests it only costs minutes."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()
    get_hashers_by_algorithm.cache_clear()


@pytest.fixture(autouse=True)
def _session_saved_at_sign_in_only(settings):
    """A persona's session is saved at sign-in and, in production, again once a minute. A test's setup can take more
    than a minute on a busy machine, so that save would land in some query counts and not others: in tests it waits
    an hour. The tests of the idle timeout itself put the minute back."""
    settings.SESSION_TOUCH_SECONDS = 3600


@pytest.fixture(autouse=True)
def _code_lists_from_the_database():
    """Each test reads code lists from its own data: a rolled-back test's teams must not linger in the cache."""
    from earlyhelp.core.code_lists import code_lists_forget

    code_lists_forget()
    yield
    code_lists_forget()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded evidence goes to a throw-away folder, never the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _eager_celery():
    """Unit tests run tasks in-process; the worker test switches this off for itself."""
    # The app reads Django settings under the CELERY_ namespace, so override the namespaced keys.
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    yield


@pytest.fixture
def york_reference_data(db):
    """York's reference data, as its data migrations make it: a browser test's live server empties every table after
    it, so a later test that needs the real teams, wards, postcode districts, need categories, lawful basis and
    privacy notice (seed_demo, for one) puts them back first. Each migration's function adds only what is missing."""
    import importlib

    from django.apps import apps

    for module, function in (
        ("locality.migrations.0002_york_local_area_teams", "add_teams"),
        ("locality.migrations.0005_need_categories", "add_categories"),
        ("consent.migrations.0002_lawful_basis_and_first_privacy_notice", "add"),
    ):
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture
def lats(db):
    """York's three Local Area Teams, with their groups and permissions in place."""
    teams = {slug: LocalAreaTeamFactory(slug=slug) for slug in ("tang-hall", "hob-moor", "clifton")}
    roles_sync()
    return teams


@pytest.fixture
def council(db):
    return AgencyFactory(name="City of York Council (test)", type=Agency.Type.LOCAL_AUTHORITY)


def _persona(role: str, *, lat=None, agency=None, name: str):
    user = UserFactory(full_name=name, agency=agency)
    team = TeamFactory(
        agency=agency or AgencyFactory(), name=f"{role} {lat.slug if lat else 'city'}", local_area_team=lat
    )
    membership_add(user=user, team=team, role=role)
    return user


@pytest.fixture
def partner_user(lats):
    school = AgencyFactory(name="Test Primary School", type=Agency.Type.SCHOOL)
    return _persona(perms.PARTNER_PRACTITIONER, agency=school, name="Pat Partner")


@pytest.fixture
def cfs_worker_user(lats, council):
    return _persona(perms.CFS_WORKER, lat=lats["tang-hall"], agency=council, name="Chris Worker")


@pytest.fixture
def lat_manager_user(lats, council):
    return _persona(perms.LAT_MANAGER, lat=lats["tang-hall"], agency=council, name="Mel Manager")


@pytest.fixture
def second_manager_user(lats, council):
    """Another Tang Hall manager, to approve what the first one records."""
    return _persona(perms.LAT_MANAGER, lat=lats["tang-hall"], agency=council, name="Max Approver")


@pytest.fixture
def mash_screener_user(lats, council):
    return _persona(perms.MASH_SCREENER, agency=council, name="Sam Screener")


@pytest.fixture
def mash_manager_user(lats, council):
    return _persona(perms.MASH_MANAGER, agency=council, name="Mo Mashmanager")


@pytest.fixture
def second_mash_manager_user(lats, council):
    """Another MASH manager, to approve a safeguarding override the first one records."""
    return _persona(perms.MASH_MANAGER, agency=council, name="Meg Mashapprover")


@pytest.fixture
def other_lat_user(lats, council):
    return _persona(perms.CFS_WORKER, lat=lats["hob-moor"], agency=council, name="Olly Other")


@pytest.fixture
def analyst_user(lats, council):
    return _persona(perms.PERFORMANCE_ANALYST, agency=council, name="Ana Analyst")


@pytest.fixture
def sf_officer_user(lats, council):
    return _persona(perms.SF_OFFICER, agency=council, name="Sid Supportingfamilies")


@pytest.fixture
def ig_officer_user(lats, council):
    return _persona(perms.IG_OFFICER, agency=council, name="Iggy Governance")


def _client(user) -> Client:
    return signed_in_client(user)


@pytest.fixture
def anonymous_client():
    return Client()


@pytest.fixture
def admin_client(admin_user):
    """pytest-django's superuser client, signed in with the second factor entered like every persona's."""
    return _client(admin_user)


@pytest.fixture
def partner_client(partner_user):
    return _client(partner_user)


@pytest.fixture
def cfs_worker_client(cfs_worker_user):
    return _client(cfs_worker_user)


@pytest.fixture
def lat_manager_client(lat_manager_user):
    return _client(lat_manager_user)


@pytest.fixture
def mash_screener_client(mash_screener_user):
    return _client(mash_screener_user)


@pytest.fixture
def mash_manager_client(mash_manager_user):
    return _client(mash_manager_user)


@pytest.fixture
def other_lat_client(other_lat_user):
    return _client(other_lat_user)


@pytest.fixture
def analyst_client(analyst_user):
    return _client(analyst_user)


@pytest.fixture
def sf_officer_client(sf_officer_user):
    return _client(sf_officer_user)


@pytest.fixture
def ig_officer_client(ig_officer_user):
    return _client(ig_officer_user)


@pytest.fixture
def own_family(lats):
    return FamilyFactory(name="Ownteam", local_area_team=lats["tang-hall"])


@pytest.fixture
def other_family(lats):
    return FamilyFactory(name="Otherteam", local_area_team=lats["hob-moor"], postcode="YO24 1AB")


@pytest.fixture
def restricted_family(lats):
    return FamilyFactory(name="Restricted", local_area_team=lats["tang-hall"], restricted=True)


@pytest.fixture
def granted_family(lats, partner_user):
    family = FamilyFactory(name="Granted", local_area_team=lats["clifton"], postcode="YO30 5AA")
    family_access_grant(family=family, user=partner_user)
    return family
