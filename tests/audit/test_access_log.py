"""The access log is tamper-evident: every event is chained by SHA-256 to the one before, `verify_audit_chain` finds
the first broken link (an altered row, a removed row, a chain head that does not match), the daily job tells the
information governance officers, and on PostgreSQL the database itself refuses to change or remove an event.

On PostgreSQL a trigger refuses UPDATE and DELETE on audit_accessevent, so the tests that tamper with rows first
switch triggers off for their transaction with `SET LOCAL session_replication_role = replica`, as only a superuser
can (the test database's user is one): the chain must still tell.
"""

import uuid
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from earlyhelp.accounts.models import Notification
from earlyhelp.audit.models import AccessChainHead, AccessEvent
from earlyhelp.audit.selectors import (
    ALL_ROWS_MISSING,
    CONTENT_ALTERED,
    HEAD_MISMATCH,
    LAST_ROWS_MISSING,
    PREVIOUS_HASH_MISMATCH,
    ROW_MISSING,
    access_chain_first_broken_link,
)
from earlyhelp.audit.services import GENESIS_HASH, access_event_hash, access_event_record
from earlyhelp.audit.tasks import audit_chain_verify_task
from earlyhelp.core import perms
from locality.services import membership_add
from tests.conftest import is_postgresql, require_service
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(cfs_worker_user, own_family):
    return [access_event_record(user=cfs_worker_user, action="view", obj=own_family) for _ in range(5)]


def _tamper(sql: str, params: list) -> None:
    """Change the access log behind the application's back, as someone with the database's superuser could."""
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute("SET LOCAL session_replication_role = replica")  # switches the append-only trigger off
        cursor.execute(sql, params)
        if is_postgresql():
            cursor.execute("SET LOCAL session_replication_role = origin")


def _verify() -> str:
    with pytest.raises(CommandError) as raised:
        call_command("verify_audit_chain", stdout=StringIO())
    return str(raised.value)


def test_access_events_are_chained_by_hash(events):
    assert events[0].previous_hash == GENESIS_HASH
    assert all(later.previous_hash == earlier.hash for earlier, later in pairwise(events))
    assert AccessChainHead.objects.get().last_hash == events[-1].hash
    assert access_chain_first_broken_link() is None
    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert out.getvalue().strip() == "The access log chain is intact."


def test_verify_audit_chain_walks_the_log_in_batches(events):
    assert access_chain_first_broken_link(batch_size=2) is None
    _tamper("UPDATE audit_accessevent SET detail = 'edited' WHERE id = %s", [events[3].id])
    assert access_chain_first_broken_link(batch_size=2).event_id == events[3].id


def test_verify_audit_chain_passes_on_an_empty_log(db):
    assert access_chain_first_broken_link() is None


def test_access_events_cannot_be_changed_or_deleted_through_the_orm(events):
    with pytest.raises(ValueError, match="append-only"):
        events[0].save()
    with pytest.raises(ValueError, match="append-only"):
        events[0].delete()


def test_verify_audit_chain_finds_a_row_altered_by_raw_sql(events):
    _tamper("UPDATE audit_accessevent SET detail = 'edited' WHERE id = %s", [events[2].id])
    broken = access_chain_first_broken_link()
    assert (broken.event_id, broken.occurred_at) == (events[2].id, events[2].occurred_at)
    assert broken.problem == CONTENT_ALTERED
    message = _verify()
    assert message.startswith(f"The access log chain is broken at event {events[2].id} (")
    assert message.endswith(f"): {CONTENT_ALTERED}.")


def _forge(event: AccessEvent, **changes) -> None:
    """Rewrite a row and recompute its hash, as someone who knows how the chain is made could."""
    for field, value in changes.items():
        setattr(event, field, value)
    event.hash = access_event_hash(previous_hash=event.previous_hash, event=event)
    _tamper(
        "UPDATE audit_accessevent SET detail = %s, previous_hash = %s, hash = %s WHERE id = %s",
        [event.detail, event.previous_hash, event.hash, event.id],
    )


def test_verify_audit_chain_finds_a_row_rewritten_with_a_new_hash_at_the_next_row(events):
    _forge(events[1], detail="edited")
    broken = access_chain_first_broken_link()
    assert (broken.event_id, broken.problem) == (events[2].id, ROW_MISSING)


def test_verify_audit_chain_finds_a_row_that_follows_another_than_the_one_before_it(events):
    _forge(events[3], previous_hash=events[1].hash)  # as if events[2] had been slipped in later
    broken = access_chain_first_broken_link()
    assert (broken.event_id, broken.problem) == (events[3].id, PREVIOUS_HASH_MISMATCH)


def test_verify_audit_chain_finds_a_deleted_row(events):
    _tamper("DELETE FROM audit_accessevent WHERE id = %s", [events[2].id])
    broken = access_chain_first_broken_link()
    assert (broken.event_id, broken.problem) == (events[3].id, ROW_MISSING)
    assert f"broken at event {events[3].id} (" in _verify()


def test_verify_audit_chain_finds_the_first_row_deleted(events):
    _tamper("DELETE FROM audit_accessevent WHERE id = %s", [events[0].id])
    broken = access_chain_first_broken_link()
    assert (broken.event_id, broken.problem) == (events[1].id, ROW_MISSING)


def test_verify_audit_chain_finds_the_newest_rows_deleted_from_the_chain_head(events):
    _tamper("DELETE FROM audit_accessevent WHERE id >= %s", [events[3].id])
    broken = access_chain_first_broken_link()
    assert (broken.event_id, broken.problem) == (events[2].id, LAST_ROWS_MISSING)


def test_verify_audit_chain_finds_every_row_deleted(events):
    _tamper("DELETE FROM audit_accessevent", [])
    broken = access_chain_first_broken_link()
    assert (broken.event_id, broken.problem) == (None, ALL_ROWS_MISSING)
    assert _verify() == f"The access log chain is broken: {ALL_ROWS_MISSING}."


def test_verify_audit_chain_finds_a_chain_head_that_does_not_match_the_last_row(events):
    AccessChainHead.objects.filter(pk=1).update(last_hash=events[1].hash)
    broken = access_chain_first_broken_link()
    assert (broken.event_id, broken.problem) == (events[-1].id, HEAD_MISMATCH)


def test_audit_chain_daily_task_tells_every_information_governance_officer_once(
    events, ig_officer_user, lat_manager_user
):
    second_officer = UserFactory(full_name="Second Officer")
    membership_add(user=second_officer, team=TeamFactory(), role=perms.IG_OFFICER)
    _tamper("DELETE FROM audit_accessevent WHERE id = %s", [events[2].id])

    result = audit_chain_verify_task()

    assert result.startswith(f"The access log chain is broken at event {events[3].id} (")
    told = Notification.objects.order_by("user__full_name")
    assert [(n.user, n.message, n.url) for n in told] == [
        (ig_officer_user, result, "/access-log/"),
        (second_officer, result, "/access-log/"),
    ]
    audit_chain_verify_task()  # the next day, unread: not told again
    assert Notification.objects.count() == 2


def test_audit_chain_daily_task_tells_nobody_while_the_chain_is_intact(events, ig_officer_user):
    assert audit_chain_verify_task() == "The access log chain is intact."
    assert not Notification.objects.exists()


@pytest.mark.services
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_accessevent SET detail = 'edited' WHERE id = %s", "DELETE FROM audit_accessevent WHERE id = %s"],
    ids=["update", "delete"],
)
def test_access_log_refuses_update_and_delete_in_the_database_on_postgresql(events, statement):
    require_service(is_postgresql(), "the database-level guard is a PostgreSQL trigger (set DATABASE_URL)")
    with connection.cursor() as cursor, pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        cursor.execute(statement, [events[1].id])
    assert access_chain_first_broken_link() is None


@pytest.mark.services
def test_least_privilege_application_role_cannot_update_delete_or_truncate_on_postgresql(
    events, cfs_worker_user, own_family
):
    """The production grant in docs/operations.md: the application's role may append access events but not change,
    remove or truncate them, whatever happens to the trigger. The role is made for this test and rolled back."""
    require_service(is_postgresql(), "roles and grants are PostgreSQL's (set DATABASE_URL)")
    role = f"earlyhelp_app_test_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_accessevent FROM {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
        try:
            appended = access_event_record(user=cfs_worker_user, action="view", obj=own_family)
            for statement in (
                "UPDATE audit_accessevent SET detail = 'edited' WHERE id = %s",
                "DELETE FROM audit_accessevent WHERE id = %s",
                "TRUNCATE audit_accessevent",
            ):
                with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                    cursor.execute(statement, [events[1].id] if "%s" in statement else None)
        finally:
            cursor.execute("RESET ROLE")
    assert AccessEvent.objects.filter(pk=appended.pk).exists()
    assert access_chain_first_broken_link() is None
