"""Code lists: small reference tables that many pages read and that change rarely (the Local Area Teams, the lawful
basis for early help records).

Each list is kept in the cache (each process's own memory unless CACHES says otherwise) for CODE_LIST_SECONDS, and
dropped as soon as one of its rows is saved or deleted through the ORM in this process, the admin included. Another
process sees such a change within CODE_LIST_SECONDS: a team renamed in the admin shows everywhere within five
minutes. Nothing personal is ever a code list.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

CODE_LIST_SECONDS = 300


@dataclass(frozen=True)
class CodeList:
    name: str
    model: type[Model]
    load: Callable[[], list]

    @property
    def key(self) -> str:
        return f"code-list:{self.name}"


_LISTS: dict[str, CodeList] = {}


def code_list_register(name: str, model: type[Model], load: Callable[[], list]) -> None:
    """Make `load()` (a list of rows of `model`) available as `code_list(name)`; a write to `model` drops it."""
    code = CodeList(name, model, load)
    _LISTS[name] = code

    def forget(**kwargs) -> None:
        cache.delete(code.key)
        # Again once the change is committed: a read in between would have kept rows that may yet be rolled back.
        transaction.on_commit(lambda: cache.delete(code.key))

    post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"code-list-{name}-save")
    post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"code-list-{name}-delete")


def code_list(name: str) -> list:
    """The rows of a registered code list, from the cache, or read (one query) and kept."""
    code = _LISTS[name]
    rows = cache.get(code.key)
    if rows is None:
        rows = list(code.load())
        cache.set(code.key, rows, CODE_LIST_SECONDS)
    return rows


def code_lists_forget() -> None:
    """Drop every code list (tests start each from the database)."""
    cache.delete_many([code.key for code in _LISTS.values()])
