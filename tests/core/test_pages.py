import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_with_personal_data_are_never_cached(cfs_worker_client, own_family):
    response = cfs_worker_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid}))
    assert response["Cache-Control"] == "no-store, private"


def test_every_page_has_a_strict_content_security_policy(client):
    response = client.get(reverse("accounts:login"))
    policy = dict(directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";"))
    assert (policy["script-src"], policy["style-src"]) == ("'self'", "'self'")
    assert response["X-Frame-Options"] == "DENY"


def test_pages_have_no_inline_scripts_or_styles(cfs_worker_client, own_family):
    for url in (reverse("core:home"), reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})):
        page = cfs_worker_client.get(url).content.decode()
        assert "<script>" not in page
        assert "style=" not in page
        assert all(" src=" in tag for tag in page.split("<script")[1:])


def test_unknown_page_is_a_govuk_404(cfs_worker_client):
    response = cfs_worker_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_server_error_page_renders_without_a_database():
    from earlyhelp.core.views import server_error

    response = server_error(None)
    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page
    assert "give them this reference" not in page  # outside a request there is none to give


def test_role_without_access_sees_a_govuk_403(analyst_client):
    response = analyst_client.get(reverse("cases:family_list"))
    assert response.status_code == 403
    assert "You do not have permission" in response.content.decode()


def test_navigation_shows_only_what_the_role_allows(analyst_client, cfs_worker_client):
    assert "Find a person or family" in cfs_worker_client.get(reverse("core:home")).content.decode()
    assert "Find a person or family" not in analyst_client.get(reverse("core:home")).content.decode()


def test_navigation_offers_my_actions_to_those_who_see_families(analyst_client, cfs_worker_client):
    link = f'href="{reverse("cases:my_actions")}"'
    page = cfs_worker_client.get(reverse("core:home")).content.decode()
    assert "My actions" in page and link in page
    assert link not in analyst_client.get(reverse("core:home")).content.decode()


def test_home_points_each_role_to_its_reports(analyst_client, sf_officer_client, cfs_worker_client):
    analyst = analyst_client.get(reverse("core:home")).content.decode()
    for name in ("reporting:dashboard", "reporting:annex_a", "reporting:training"):
        assert f'href="{reverse(name)}"' in analyst
    assert f'href="{reverse("cases:sf_list")}"' in sf_officer_client.get(reverse("core:home")).content.decode()
    assert "Measuring the difference" not in cfs_worker_client.get(reverse("core:home")).content.decode()


def test_anonymous_users_are_sent_to_sign_in():
    response = Client().get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
