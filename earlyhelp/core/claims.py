"""A worker's hold on a job it has claimed, lasting exactly as long as the worker process.

A background job (a PDF, a subject access pack) is claimed by moving its row to a working state under a row lock.
That alone cannot tell a second delivery of the same message whether the claimant is still working or was killed
(SIGKILL, the out-of-memory killer, a lost machine): the row says "working" either way. So, on PostgreSQL, the
claimant also holds a session advisory lock keyed on the job for the whole of the work. PostgreSQL releases it when
the claimant's connection ends, which it does the moment the process dies. A delivery that can take the lock knows
nobody alive is working on the job and may take it over; one that cannot leaves it to the living claimant.

SQLite (`make run`, tasks run in-process) has no advisory locks: there the hold is always granted and no claimant is
ever known to be dead, so a job found working is left to the sweep, as before.

The hold needs a session of its own on the database server: a pooler in transaction mode (PgBouncer's default)
would hand the lock to whichever client next used the server connection. Connect workers to PostgreSQL directly,
or through a pooler in session mode.
"""

import logging
import time
from contextlib import contextmanager, suppress

from django.db import DatabaseError, connection

logger = logging.getLogger("earlyhelp.claims")

# One number per kind of job, so a document and a subject access request with the same id never share a lock.
DOCUMENT = 72001
SUBJECT_ACCESS = 72002

# A redelivery can reach a new worker process a moment before PostgreSQL has noticed the old one's death.
TAKE_WAIT_SECONDS = 2.0
_POLL_SECONDS = 0.2


def supported() -> bool:
    """Whether holds mean anything here: on PostgreSQL only."""
    return connection.vendor == "postgresql"


def key(kind: int, pk: int) -> tuple[int, int]:
    """The two 32-bit halves PostgreSQL's two-key advisory lock functions take (ids wrap past 2**32, harmlessly:
    two jobs that shared a lock would only wait for each other)."""
    low = pk & 0xFFFFFFFF
    return kind, low - (1 << 32) if low >= 1 << 31 else low


def _try(kind: int, pk: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key(kind, pk))
        return bool(cursor.fetchone()[0])


def _release(kind: int, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key(kind, pk))


@contextmanager
def hold(kind: int, pk: int, *, wait: float = TAKE_WAIT_SECONDS):
    """Hold job `pk` of `kind` for the length of the block, waiting up to `wait` seconds for it; yields whether it
    is held. Not held means another process, alive, holds it. Always held where holds are not supported."""
    if not supported():
        yield True
        return
    taken = False
    try:
        deadline = time.monotonic() + wait
        taken = _try(kind, pk)
        while not taken and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
            taken = _try(kind, pk)
        yield taken
    finally:
        if taken:
            _give_back(kind, pk)


def _give_back(kind: int, pk: int) -> None:
    """Release the hold. If that fails (the connection lost, an aborted transaction, a time limit raised mid-call),
    close the connection, which always releases it, rather than leave it on a connection kept for the next task."""
    try:
        _release(kind, pk)
    except BaseException as failed:
        logger.warning("Could not give back the hold on job %s of kind %s: closing the connection", pk, kind)
        with suppress(DatabaseError):
            connection.close()
        if not isinstance(failed, DatabaseError):
            raise


def holder_alive(kind: int, pk: int) -> bool:
    """Whether a living process holds job `pk` of `kind`. Unknown (so assumed alive) where holds are not supported;
    false when this process holds it itself."""
    if not supported():
        return True
    if not _try(kind, pk):
        return True
    # Taken just now, or already held by this very session (session locks stack): give back this one.
    _release(kind, pk)
    return False
