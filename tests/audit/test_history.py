"""Every write leaves a history row with its author; every read leaves an access event."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from cases.models import Family, FamilyMember, Person
from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as
from earlyhelp.audit.models import AccessEvent
from tests.factories import FamilyMemberFactory, PostcodeSectorFactory

pytestmark = pytest.mark.django_db

OUR_APPS = {
    "accounts",
    "audit",
    "core",
    "locality",
    "cases",
    "assessments",
    "consent",
    "referrals",
    "reporting",
    "documents",
    "governance",
}
NOT_TRACKED = {
    "audit.AccessEvent": "append-only itself, and chained",
    "audit.AccessChainHead": "a lock row, not a record",
    "consent.DisclosureLog": "a log written once by services and never edited",
    "reporting.IndicatorSnapshot": "derived figures, replaced whole by the monthly job; no personal data",
    "accounts.SignedInSession": "a record of sign-ins kept for the user's list of sessions, not a domain record",
    "governance.FamilyTombstone": "what is left after disposal: written once, no personal data",
    "core.FormSubmission": "a one-off form token that makes a form sent twice save once; no personal data, purged",
}


def test_every_domain_model_has_history():
    untracked = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in OUR_APPS
        and not model.__name__.startswith("Historical")
        and not hasattr(model, "history")
        and model._meta.label not in NOT_TRACKED
    ]
    assert not untracked, f"Models without HistoricalRecords: {untracked}"


def test_family_create_through_the_page_records_who_did_it(cfs_worker_client, cfs_worker_user, lats):
    PostcodeSectorFactory(code="YO31", local_area_team=lats["tang-hall"])
    response = cfs_worker_client.post(
        reverse("cases:family_create"),
        {"name": "Audit", "address_line_1": "1 Road", "town": "York", "postcode": "YO31 1AA"},
    )
    assert response.status_code == 302
    record = Family.objects.get(name="Audit").history.get()
    assert record.history_user == cfs_worker_user
    assert record.history_type == "+"


def test_family_edit_history_page_shows_who_changed_what_from_what_to_what(
    cfs_worker_client, cfs_worker_user, own_family, lats
):
    PostcodeSectorFactory(code="YO31", local_area_team=lats["tang-hall"])
    cfs_worker_client.post(
        reverse("cases:family_edit", kwargs={"uuid": own_family.uuid}),
        {"name": "Renamed", "address_line_1": own_family.address_line_1, "town": "York", "postcode": "YO31 1AA"},
    )
    latest = own_family.history.first()
    assert latest.history_user == cfs_worker_user
    page = cfs_worker_client.get(reverse("cases:family_history", kwargs={"uuid": own_family.uuid})).content.decode()
    assert "Ownteam" in page and "Renamed" in page and cfs_worker_user.full_name in page


def test_person_history_page_lists_changes(cfs_worker_client, own_family):
    person = FamilyMemberFactory(family=own_family, person__first_name="Before").person
    person.first_name = "After"
    person.save()
    page = cfs_worker_client.get(reverse("cases:person_history", kwargs={"uuid": person.uuid})).content.decode()
    assert "Before" in page and "After" in page


def test_acting_as_records_the_service_account_outside_a_request(own_family):
    robot = service_account_get(name="test-job")
    with acting_as(robot):
        own_family.name = "Changed by a job"
        own_family.save()
    assert own_family.history.first().history_user == robot


def test_seed_demo_command_writes_history_with_its_service_account(york_reference_data):
    call_command("seed_demo", families=3, seed=7, stdout=open("/dev/null", "w"))  # noqa: SIM115
    robot = service_account_get(name="seed-demo")
    # Three ordinary families, and the few closed long ago that the retention demo adds.
    assert Family.history.filter(history_user=robot).count() == Family.objects.count() > 3
    assert Person.history.exclude(history_user=robot).count() == 0
    assert FamilyMember.history.filter(history_user__isnull=True).count() == 0


def test_family_page_view_leaves_an_access_event(cfs_worker_client, cfs_worker_user, own_family):
    cfs_worker_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid}), REMOTE_ADDR="10.1.2.3")
    event = AccessEvent.objects.get()
    assert (event.user, event.action, event.object_type, event.object_uuid) == (
        cfs_worker_user,
        "view",
        "cases.family",
        own_family.uuid,
    )
    assert event.ip_address == "10.1.2.3"


def test_person_page_view_and_search_leave_access_events(cfs_worker_client, own_family):
    person = FamilyMemberFactory(family=own_family).person
    cfs_worker_client.get(reverse("cases:person_detail", kwargs={"uuid": person.uuid}))
    cfs_worker_client.post(reverse("cases:search"), {"name": "Smith"}, follow=True)
    assert list(AccessEvent.objects.order_by("id").values_list("action", "object_type")) == [
        ("view", "cases.person"),
        ("search", ""),
    ]
    assert AccessEvent.objects.get(action="search").detail == "name=Smith"


def test_refused_page_view_leaves_no_access_event(other_lat_client, own_family):
    assert other_lat_client.get(reverse("cases:family_detail", kwargs={"uuid": own_family.uuid})).status_code == 404
    assert not AccessEvent.objects.exists()
