import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from earlyhelp.accounts.views import LOCKED_OUT_MESSAGE
from tests.accounts.two_factor_helpers import authenticator_add
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
SIGN_IN = reverse("accounts:login")


def _sign_in(client, email, password):
    return client.post(SIGN_IN, {"username": email, "password": password})


def test_sign_in_with_correct_details_asks_for_the_code_next(client):
    authenticator_add(UserFactory(email="worker@example.org"))
    response = _sign_in(client, "Worker@Example.org", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_code")
    assert client.get(reverse("core:home"))["Location"].startswith(reverse("accounts:two_factor_code"))


def test_sign_in_with_correct_details_on_first_sign_in_sets_up_an_authenticator_app(client):
    UserFactory(email="worker@example.org")
    response = _sign_in(client, "worker@example.org", PASSWORD)
    assert response["Location"] == reverse("accounts:two_factor_enrol")


def test_sign_in_failure_message_is_the_same_for_known_and_unknown_users(client):
    UserFactory(email="worker@example.org")
    known = _sign_in(client, "worker@example.org", "wrong-password-123")
    unknown = _sign_in(client, "nobody@example.org", "wrong-password-123")
    assert known.status_code == unknown.status_code == 200
    assert "Enter a correct e-mail address and password" in known.content.decode()
    assert "Enter a correct e-mail address and password" in unknown.content.decode()
    assert "govuk-error-summary" in known.content.decode()


def test_sign_in_empty_form_shows_errors_next_to_fields(client):
    page = client.post(SIGN_IN, {}).content.decode()
    assert "Enter your e-mail address" in page
    assert "Enter your password" in page


def test_sign_in_locks_out_after_ten_failures_even_with_the_right_password(client):
    UserFactory(email="worker@example.org")
    for _ in range(10):
        _sign_in(client, "worker@example.org", "wrong-password-123")
    response = _sign_in(client, "worker@example.org", PASSWORD)
    assert response.status_code == 429
    assert LOCKED_OUT_MESSAGE in response.content.decode()


def test_sign_in_lockout_answer_is_the_same_for_unknown_users(client):
    for _ in range(10):
        _sign_in(client, "nobody@example.org", "wrong-password-123")
    response = _sign_in(client, "nobody@example.org", "wrong-password-123")
    assert response.status_code == 429
    assert LOCKED_OUT_MESSAGE in response.content.decode()


def test_sign_in_lockout_of_one_user_does_not_lock_another(client):
    UserFactory(email="other@example.org")
    for _ in range(10):
        _sign_in(client, "nobody@example.org", "wrong-password-123")
    assert _sign_in(client, "other@example.org", PASSWORD).status_code == 302


def test_sign_in_refuses_inactive_and_service_accounts(client):
    UserFactory(email="left@example.org", is_active=False)
    assert _sign_in(client, "left@example.org", PASSWORD).status_code == 200


@pytest.mark.parametrize("password", ["short-pw-1", "password1234", "123456789012345"])
def test_password_validation_refuses_short_common_and_numeric_passwords(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_password_validation_accepts_a_long_uncommon_passphrase():
    validate_password("kettle-orchard-lantern-47")


def test_session_expires_after_thirty_idle_minutes_and_is_saved_at_most_once_a_minute():
    from earlyhelp import settings as project_settings  # as deployed: tests/conftest.py changes the minute

    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert project_settings.SESSION_SAVE_EVERY_REQUEST is False
    assert project_settings.SESSION_TOUCH_SECONDS == 60


def test_a_system_administrator_cannot_change_anyones_access_in_the_admin(client):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    from earlyhelp.accounts.models import User
    from earlyhelp.core import perms
    from locality.services import membership_add
    from tests.factories import TeamFactory

    admin_user = UserFactory(is_staff=True)
    membership_add(user=admin_user, team=TeamFactory(), role=perms.SYSTEM_ADMINISTRATOR)
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=admin_user.pk)
    model_admin = site._registry[User]
    readonly = model_admin.get_readonly_fields(request, UserFactory())
    assert {"is_superuser", "is_staff", "groups"} <= set(readonly)
    assert {"is_superuser", "groups"} <= set(model_admin.get_readonly_fields(request, request.user))
