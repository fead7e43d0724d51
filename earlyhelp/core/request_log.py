"""Request ids and structured logs: support finds a request's log lines from the reference on its error page.

Every request gets an id: the proxy's `X-Request-ID` when it is a plain token, otherwise a new one. The id is sent
back in the `X-Request-ID` header, shown on the error pages, and added (with the signed-in user's id once the
request has loaded its user) to every log record written while the request runs; a Celery task's records carry its
task id the same way (`earlyhelp.celery`). One line a request (logger `earlyhelp.request`) gives its method, path,
URL name, status, time taken and user id.

What is logged never holds personal data: no query string (a search holds the names searched for), no name or
e-mail address, only the user's numeric id. In production (`LOG_FORMAT=json`) each record is one JSON object a
line, a traceback included in its `exc_info` field.
"""

import contextlib
import logging
import re
import time
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.functional import LazyObject, empty
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only when it is a plain token: nothing that could forge a log line or carry other data.
INCOMING_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")

logger = logging.getLogger("earlyhelp.request")


@dataclass(frozen=True)
class LogContext:
    request_id: str
    request: HttpRequest | None = None


_context: ContextVar[LogContext | None] = ContextVar("earlyhelp_log_context", default=None)
_task_tokens: dict[str, Token] = {}


def current_request_id() -> str | None:
    """The id of the request (or Celery task) running now, if any."""
    context = _context.get()
    return context.request_id if context else None


def request_id_from(request: HttpRequest) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if INCOMING_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def request_user_id(request: HttpRequest | None) -> int | None:
    """The signed-in user's id when the request has already loaded its user: never a query of its own (the database
    may be what failed), never anything but the number."""
    user = getattr(request, "user", None)
    if isinstance(user, LazyObject):
        if user._wrapped is empty:
            return None
        user = user._wrapped
    if user is None or not user.is_authenticated:
        return None
    return user.pk


class RequestLogMiddleware:
    """First in MIDDLEWARE: it sees every request, and every response, even one another middleware answered early
    or an error page (an exception inside it has already become a response by the time it returns here)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request)
        request.request_id = request_id
        # Kept until the response is closed (request_finished, below): Django logs a 4xx response ("Not Found: ...")
        # after the last middleware has returned it.
        _context.set(LogContext(request_id=request_id, request=request))
        started = time.perf_counter()
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        match = getattr(request, "resolver_match", None)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        logger.info(
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,  # without the query string
                "url_name": match.view_name if match else None,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "request_id": request_id,
                "user_id": request_user_id(request),
            },
        )
        return response


@receiver(request_finished, dispatch_uid="earlyhelp.request_log.forget")
def _request_log_forget(**kwargs) -> None:
    _context.set(None)


def task_log_started(task_id: str) -> None:
    """A Celery task's records carry its task id as their request id (signal task_prerun)."""
    _task_tokens[task_id] = _context.set(LogContext(request_id=task_id))


def task_log_finished(task_id: str) -> None:
    """Back to the context the task ran in: none in a worker, the request's for a task run eagerly within one."""
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        # A token set in another context has nothing of ours to put back here.
        with contextlib.suppress(ValueError):
            _context.reset(token)


# PostgreSQL's DETAIL line repeats the row's values ("Failing row contains (...)", "Key (email)=(...) already
# exists"), and psycopg puts it in the exception's text, so a logged error could carry a name. Those lines go.
_DATABASE_DETAIL = re.compile(r"^[ \t]*DETAIL:.*(?:\n|$)", re.MULTILINE)


def database_details_removed(text: str) -> str:
    """`text` without PostgreSQL's DETAIL lines, which can hold the values of the row concerned."""
    return _DATABASE_DETAIL.sub("", text)


class RequestContextFilter(logging.Filter):
    """On the console handler: adds `request_id` and, once known, `user_id` to every record written during a request
    or a Celery task, whichever logger wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "DETAIL:" in message:
            record.msg, record.args = database_details_removed(message), ()
        context = _context.get()
        if context is not None:
            if not hasattr(record, "request_id"):
                record.request_id = context.request_id
            if not hasattr(record, "user_id"):
                user_id = request_user_id(context.request)
                if user_id is not None:
                    record.user_id = user_id
        return True


class JsonFormatter(BaseJsonFormatter):
    """One JSON object a line: time, level, logger, message, the record's extra fields (request_id, user_id, ...) and
    an exception's traceback in `exc_info`. Django's `request` extra is left out: its text holds the query string."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def formatException(self, exc_info) -> str:
        return database_details_removed(super().formatException(exc_info))


class PlainFormatter(logging.Formatter):
    """A readable line for development and tests, ending in the request id and user id when the record has them."""

    def formatException(self, exc_info) -> str:
        return database_details_removed(super().formatException(exc_info))

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(
            f"{name}={getattr(record, name)}"
            for name in ("request_id", "user_id")
            if getattr(record, name, None) is not None
        )
        if not ids:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{ids}]{newline}{rest}"
