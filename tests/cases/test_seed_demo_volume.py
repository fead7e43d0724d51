"""seed_demo at a city's volume: staff topped up to a number who can sign in, and years of access log, chained."""

import io

import pytest
from django.core.management import call_command

from earlyhelp.accounts.models import User
from earlyhelp.audit.models import AccessEvent
from earlyhelp.audit.selectors import access_chain_first_broken_link
from locality.models import Membership

pytestmark = pytest.mark.django_db


def _seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", families=6, seed=11, stdout=out, **options)
    return out.getvalue()


def test_staff_are_added_until_the_number_asked_for_can_sign_in_each_in_a_role_with_an_authenticator(
    york_reference_data,
):
    output = _seed(users=40)

    people = User.objects.filter(is_service_account=False)
    assert people.count() == 40
    extra = people.filter(email__startswith="staff-")
    assert "more staff added" in output
    assert all(user.check_password("Early-help-demo-2026") for user in extra[:3])
    assert not extra.filter(memberships__isnull=True).exists()
    assert not extra.exclude(totpdevice__confirmed=True).exists()
    roles = set(Membership.objects.filter(user__in=extra).values_list("role", flat=True))
    assert len(roles) >= 4


def test_a_second_run_adds_no_more_staff_than_asked_for(york_reference_data):
    _seed(users=30)
    call_command("seed_demo", families=1, seed=12, users=30, stdout=io.StringIO())

    assert User.objects.filter(is_service_account=False).count() == 30


def test_access_events_are_added_oldest_first_to_an_intact_chain_about_the_seeded_records(york_reference_data):
    output = _seed(access_events=250)

    added = list(AccessEvent.objects.order_by("-id")[:250])[::-1]  # the last logged: after the demo's own events
    assert AccessEvent.objects.count() >= 250
    assert "250 events" in output
    times = [event.occurred_at for event in added]
    assert times == sorted(times)
    assert {event.action for event in added} >= {"view", "search"}
    assert all(event.object_uuid for event in added if event.action == "view")
    assert access_chain_first_broken_link() is None
