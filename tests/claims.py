"""A claimant that is alive: another database session holding a job's hold (`earlyhelp.core.claims`), as a worker
busy on the job does. Nothing to hold on SQLite, where every claimant counts as alive."""

from contextlib import closing, contextmanager

import psycopg2
from django.db import connection

from earlyhelp.core import claims


@contextmanager
def claimant_alive(kind: int, pk: int):
    """Hold job `pk` of `kind` from a session of its own for the length of the block."""
    if not claims.supported():
        yield
        return
    db = connection.settings_dict
    with closing(
        psycopg2.connect(
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname=db["NAME"],
        )
    ) as other:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", claims.key(kind, pk))
        yield
