"""The service directory: its search, its pages, who may see them, and the Early Help Champions."""

import importlib
import uuid

import pytest
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse

from earlyhelp.core.codes import SupportingFamiliesHeadline
from locality.models import EarlyHelpChampion, NeedCategory, Service, ServiceArea, ServiceNeed
from locality.selectors import champions_list, service_get, services_active, services_search
from tests.factories import AgencyFactory, EarlyHelpChampionFactory, NeedCategoryFactory, ServiceFactory

pytestmark = pytest.mark.django_db

# Session, user, role permissions, then the page's own: count, services, their teams, their
# categories, the team and need options of the search form, the champions. The session is not saved (it was saved at
# sign-in, less than a minute ago).
DIRECTORY_QUERIES = 11


@pytest.fixture(autouse=True)
def _need_categories(db):
    """The categories the data migration adds. Browser and worker tests empty the database (they cannot run in
    a rolled-back transaction), so they are put back here rather than assumed."""
    from django.apps import apps

    importlib.import_module("locality.migrations.0005_need_categories").add_categories(apps, None)


def _directory(client, **params):
    return client.get(reverse("locality:directory"), params)


def test_need_categories_migration_creates_the_headlines_and_three_more():
    from django.apps import apps

    NeedCategory.objects.all().delete()
    importlib.import_module("locality.migrations.0005_need_categories").add_categories(apps, None)
    codes = set(NeedCategory.objects.values_list("code", flat=True))
    assert set(SupportingFamiliesHeadline.values) | {"parenting", "send", "young_carers"} <= codes
    assert NeedCategory.objects.get(code="send").name == "Special educational needs and disabilities"


def test_services_search_matches_name_provider_and_description_case_insensitively():
    by_name = ServiceFactory(name="Tang Hall Stay and Play")
    by_provider = ServiceFactory(provider="Stay Safe Partnership")
    by_description = ServiceFactory(description="Somewhere to STAY overnight in a crisis")
    ServiceFactory(name="Family Money Advice Drop-in")
    assert list(services_search(text="stay")) == sorted([by_name, by_provider, by_description], key=lambda s: s.name)


def test_services_search_filters_by_local_area_team(lats):
    tang_hall = ServiceFactory(local_area_teams=[lats["tang-hall"]])
    both = ServiceFactory(local_area_teams=[lats["tang-hall"], lats["clifton"]])
    ServiceFactory(local_area_teams=[lats["hob-moor"]])
    assert set(services_search(local_area_team=lats["tang-hall"])) == {tang_hall, both}
    assert list(services_search(local_area_team=lats["clifton"])) == [both]


def test_services_search_filters_by_age_inclusive_of_both_ends():
    under_fives = ServiceFactory(age_from=0, age_to=5)
    teenagers = ServiceFactory(age_from=11, age_to=18)
    assert list(services_search(age=5)) == [under_fives]
    assert list(services_search(age=11)) == [teenagers]
    assert list(services_search(age=20)) == []


def test_services_search_filters_by_need_category():
    housing = NeedCategory.objects.get(code="housing")
    finances = NeedCategory.objects.get(code="finances")
    advice = ServiceFactory(need_categories=[housing, finances])
    ServiceFactory(need_categories=[finances])
    assert list(services_search(need_category=housing)) == [advice]


def test_services_search_combines_filters_and_lists_each_service_once(lats):
    housing = NeedCategory.objects.get(code="housing")
    finances = NeedCategory.objects.get(code="finances")
    match = ServiceFactory(
        name="Housing Options",
        local_area_teams=[lats["tang-hall"], lats["clifton"]],
        need_categories=[housing, finances],
        age_from=0,
        age_to=19,
    )
    ServiceFactory(name="Housing Elsewhere", local_area_teams=[lats["hob-moor"]], need_categories=[housing])
    results = services_search(text="housing", local_area_team=lats["tang-hall"], age=8, need_category=housing)
    assert list(results) == [match]
    assert list(services_search()) == sorted(Service.objects.all(), key=lambda s: s.name)


def test_services_search_hides_inactive_services():
    active = ServiceFactory()
    ServiceFactory(active=False)
    assert list(services_search()) == [active]


def test_services_active_covers_the_team_or_every_active_service(lats):
    tang_hall = ServiceFactory(name="A in Tang Hall", local_area_teams=[lats["tang-hall"]])
    clifton = ServiceFactory(name="B in Clifton", local_area_teams=[lats["clifton"]])
    ServiceFactory(name="C closed", local_area_teams=[lats["tang-hall"]], active=False)
    assert list(services_active(local_area_team=lats["tang-hall"])) == [tang_hall]
    assert list(services_active()) == [tang_hall, clifton]


def test_service_get_finds_a_closed_service_and_404s_for_unknown_or_bad_uuids():
    closed = ServiceFactory(active=False)
    assert service_get(uuid=closed.uuid) == closed
    with pytest.raises(Http404):
        service_get(uuid=uuid.uuid4())
    with pytest.raises(Http404):
        service_get(uuid="not-a-uuid")


def test_champions_list_shows_active_champions_by_agency_then_name():
    police = AgencyFactory(name="B Police")
    school = AgencyFactory(name="A School")
    second = EarlyHelpChampionFactory(agency=school, name="Zara Example")
    first = EarlyHelpChampionFactory(agency=school, name="Adam Example")
    officer = EarlyHelpChampionFactory(agency=police, name="Aaron Example")
    EarlyHelpChampionFactory(agency=school, name="Left Example", active=False)
    assert list(champions_list()) == [first, second, officer]


@pytest.mark.parametrize("persona", ["partner_client", "mash_screener_client"])
def test_directory_shows_services_to_practitioners_and_the_mash(request, persona, lats):
    ServiceFactory(name="Young Carers Group", local_area_teams=[lats["clifton"]], age_from=8, age_to=18)
    response = _directory(request.getfixturevalue(persona))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Young Carers Group" in page and "1 service" in page
    assert "8 to 18 years" in page and "Clifton" in page


def test_directory_refuses_the_performance_analyst(analyst_client):
    assert _directory(analyst_client).status_code == 403


def test_directory_sends_anonymous_users_to_sign_in(anonymous_client):
    response = _directory(anonymous_client)
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_directory_filters_by_team_slug_and_need_code(partner_client, lats):
    housing = NeedCategory.objects.get(code="housing")
    ServiceFactory(name="Housing in Clifton", local_area_teams=[lats["clifton"]], need_categories=[housing])
    ServiceFactory(name="Housing in Hob Moor", local_area_teams=[lats["hob-moor"]], need_categories=[housing])
    page = _directory(partner_client, local_area_team="clifton", need_category="housing").content.decode()
    assert "Housing in Clifton" in page
    assert "Housing in Hob Moor" not in page


def test_directory_paginates_25_services_a_page_and_keeps_the_filters(partner_client):
    for n in range(30):
        ServiceFactory(name=f"Play Group {n:02d}")
    first = _directory(partner_client, text="play").content.decode()
    assert "30 services" in first and "Play Group 24" in first and "Play Group 25" not in first
    assert "?text=play&amp;page=2" in first
    second = _directory(partner_client, text="play", page=2).content.decode()
    assert "Play Group 25" in second and "Play Group 29" in second and "Play Group 24" not in second


def test_directory_shows_an_empty_state_when_nothing_matches(partner_client):
    ServiceFactory(name="Tang Hall Stay and Play")
    page = _directory(partner_client, text="swimming").content.decode()
    assert "No services match. Try fewer filters." in page


def test_directory_with_a_bad_age_shows_the_error(partner_client):
    ServiceFactory(name="Tang Hall Stay and Play")
    response = _directory(partner_client, age="30")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Age must be between 0 and 25" in page and "There is a problem" in page
    assert "<title>Error: Service directory" in page
    assert "Tang Hall Stay and Play" not in page
    assert "Age must be a whole number, like 8" in _directory(partner_client, age="eight").content.decode()


def test_directory_lists_early_help_champions_by_agency(mash_screener_client):
    school = AgencyFactory(name="Heworth Green Primary School (test)")
    EarlyHelpChampionFactory(agency=school, name="Robin Example", email="robin@example.org", telephone="01904 000 101")
    EarlyHelpChampionFactory(agency=school, name="Gone Example", active=False)
    page = _directory(mash_screener_client).content.decode()
    assert "Heworth Green Primary School (test)" in page
    assert "Robin Example" in page and 'href="mailto:robin@example.org"' in page and "01904 000 101" in page
    assert "Gone Example" not in page


def test_service_detail_shows_the_service(cfs_worker_client, lats):
    service = ServiceFactory(
        name="Family Money Advice Drop-in",
        how_to_access="Drop in on Tuesdays.",
        email="money@example.org",
        local_area_teams=[lats["hob-moor"]],
        need_categories=[NeedCategory.objects.get(code="finances")],
    )
    response = cfs_worker_client.get(reverse("locality:service_detail", kwargs={"uuid": service.uuid}))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Family Money Advice Drop-in" in page and "Drop in on Tuesdays." in page
    assert "Hob Moor" in page and "Financial stability" in page and 'href="mailto:money@example.org"' in page


def test_service_detail_404s_for_an_unknown_service(cfs_worker_client):
    response = cfs_worker_client.get(reverse("locality:service_detail", kwargs={"uuid": uuid.uuid4()}))
    assert response.status_code == 404


def test_navigation_offers_the_directory_to_holders_only(partner_client, analyst_client):
    link = f'href="{reverse("locality:directory")}"'
    assert link in partner_client.get(reverse("core:home")).content.decode()
    assert link not in analyst_client.get(reverse("core:home")).content.decode()


@pytest.mark.parametrize("count", [2, 30])
def test_directory_query_count_is_constant(partner_client, lats, count, django_assert_num_queries):
    housing = NeedCategory.objects.get(code="housing")
    for n in range(count):
        ServiceFactory(local_area_teams=[lats["tang-hall"], lats["clifton"]], need_categories=[housing])
        EarlyHelpChampionFactory(agency=AgencyFactory(name=f"Agency {n % 5}"))
    with django_assert_num_queries(DIRECTORY_QUERIES):
        response = _directory(partner_client, age="8")
    assert response.status_code == 200


def test_service_admin_pages_load(admin_client):
    service = ServiceFactory(need_categories=[NeedCategoryFactory()])
    assert admin_client.get(reverse("admin:locality_service_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:locality_service_change", args=[service.pk])).status_code == 200
    assert admin_client.get(reverse("admin:locality_earlyhelpchampion_changelist")).status_code == 200


def test_seed_demo_fills_the_directory_once(york_reference_data, lats):
    with open("/dev/null", "w") as quiet:
        call_command("seed_demo", families=0, stdout=quiet)
        counts = (Service.objects.count(), ServiceArea.objects.count(), ServiceNeed.objects.count())
        champions = EarlyHelpChampion.objects.count()
        call_command("seed_demo", families=0, stdout=quiet)
    assert counts[0] >= 15 and champions >= 5
    assert (Service.objects.count(), ServiceArea.objects.count(), ServiceNeed.objects.count()) == counts
    assert EarlyHelpChampion.objects.count() == champions
    assert Service.history.filter(history_user__isnull=True).count() == 0
