"""Who is acting, for history rows written outside a web request (Celery tasks, commands)."""

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from simple_history.models import HistoricalRecords


@contextmanager
def acting_as(user) -> Iterator[None]:
    """Record `user` as the author of every history row written inside the block.

    Web requests get this from `HistoryRequestMiddleware`; tasks and commands use this.
    """
    previous = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if previous is None:
            del HistoricalRecords.context.request
        else:
            HistoricalRecords.context.request = previous
