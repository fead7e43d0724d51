import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from earlyhelp.audit.selectors import access_log_first_broken_link
from earlyhelp.audit.services import access_event_record
from tests.conftest import is_postgresql, require_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_events(cfs_worker_user, own_family):
    return [access_event_record(user=cfs_worker_user, action="view", obj=own_family) for _ in range(3)]


def test_access_events_are_chained_by_hash(three_events):
    first, second, third = three_events
    assert second.previous_hash == first.hash
    assert third.previous_hash == second.hash
    assert access_log_first_broken_link() is None
    call_command("access_log_verify", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_access_events_cannot_be_changed_or_deleted_through_the_orm(three_events):
    with pytest.raises(ValueError, match="append-only"):
        three_events[0].save()
    with pytest.raises(ValueError, match="append-only"):
        three_events[0].delete()


def test_access_log_refuses_update_in_the_database_on_postgresql(three_events):
    require_service(is_postgresql(), "the database-level guard is a PostgreSQL trigger (set DATABASE_URL)")
    with connection.cursor() as cursor, pytest.raises(Exception, match="append-only"), transaction.atomic():
        cursor.execute("UPDATE audit_accessevent SET detail = 'edited' WHERE id = %s", [three_events[1].id])


def test_access_log_verify_detects_an_edited_row(three_events):
    with connection.cursor() as cursor:
        if is_postgresql():
            # Someone with superuser rights can switch triggers off; the hash chain still tells.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE audit_accessevent SET detail = 'edited' WHERE id = %s", [three_events[1].id])
    assert access_log_first_broken_link() == three_events[1].id
    with pytest.raises(CommandError, match="broken at event"):
        call_command("access_log_verify")
