"""Where a user is signed in: a record of each signed-in session, read alongside Django's session store.

Django's `Session` row holds the expiry, which requests move on (at most once a SESSION_TOUCH_SECONDS: see
`SessionTouchMiddleware`), so a session's last activity is its expiry less the idle timeout, to within that time:
nothing here writes on an ordinary request. Ending a session deletes its row from the session store, so its browser
is signed out at its next request."""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone

from earlyhelp.accounts.models import SignedInSession, User

EndReason = SignedInSession.EndReason

# The time of sign-in, kept in the session itself so the 12-hour limit costs no query.
SIGNED_IN_AT_SESSION_KEY = "signed_in_at"
# When the session's expiry was last moved on (seconds since the epoch), so it is saved at most once a minute.
TOUCHED_AT_SESSION_KEY = "touched_at"
USER_AGENT_LENGTH = SignedInSession._meta.get_field("user_agent").max_length
ENDED_SHOWN_FOR = timedelta(days=30)
ENDED_PER_PAGE = 20


def session_signed_in_mark(session: SessionBase, *, at: datetime | None = None) -> None:
    """Start the session's 12-hour clock."""
    session[SIGNED_IN_AT_SESSION_KEY] = (at or timezone.now()).isoformat()


def session_signed_in_at(session: SessionBase) -> datetime | None:
    """When this session's user signed in, or None for a session that has no record of it."""
    value = session.get(SIGNED_IN_AT_SESSION_KEY)
    return datetime.fromisoformat(value) if value else None


def session_absolute_limit_passed(session: SessionBase, *, now: datetime | None = None) -> bool:
    """Whether the session has lasted SESSION_ABSOLUTE_SECONDS since sign-in, however active it has been."""
    signed_in_at = session_signed_in_at(session)
    limit = timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)
    return signed_in_at is not None and (now or timezone.now()) - signed_in_at >= limit


# Services


@transaction.atomic
def signed_in_session_record(*, request: HttpRequest, user: User) -> SignedInSession | None:
    """Note a sign-in: the session's key (after rotation), where it came from and with what browser; start the
    session's 12-hour clock; and close the user's records of sessions that have since ended by themselves."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    now = timezone.now()
    session_signed_in_mark(session, at=now)
    if session.session_key is None:  # flushed by a sign-in over another user's session: give it its key now
        session.save()
    signed_in_sessions_close_expired(user=user, now=now)
    record, _ = SignedInSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "signed_in_at": now,
            "last_seen_at": now,
            "ip_address": _ip_address(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_LENGTH],
            "ended_at": None,
            "end_reason": "",
        },
    )
    return record


def signed_in_session_rekey(*, old_key: str, new_key: str) -> None:
    """Follow a session to its new key when the key is rotated (at sign-in and after the second factor)."""
    SignedInSession.objects.filter(session_key=old_key).update(session_key=new_key)


def signed_in_session_signed_out(*, session_key: str, reason: str = EndReason.SIGNED_OUT) -> None:
    """Close the record of a session whose user has signed out (or been signed out by the service)."""
    now = timezone.now()
    SignedInSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
        ended_at=now, last_seen_at=now, end_reason=reason
    )


@transaction.atomic
def signed_in_session_end(
    *, user: User, signed_in_session: SignedInSession, reason: str = EndReason.ENDED_BY_USER
) -> bool:
    """End one of the user's sessions from another: its browser is signed out at its next request. False if it had
    already ended."""
    if signed_in_session.user_id != user.pk:
        raise ValueError("A user can end only their own sessions")
    return _sessions_end(user=user, reason=reason, only_key=signed_in_session.session_key) > 0


@transaction.atomic
def signed_in_sessions_end_others(
    *, user: User, keep_session_key: str | None, reason: str = EndReason.ENDED_BY_USER
) -> int:
    """End every session of the user but the one they are using (after a password or second-factor change, or
    "sign out of all other sessions"). Returns how many sessions were still open."""
    return _sessions_end(user=user, reason=reason, keep_key=keep_session_key)


@transaction.atomic
def signed_in_sessions_end_all(*, user: User, reason: str) -> int:
    """End every session of the user (their account is disabled, or an administrator signs them out everywhere).
    Returns how many sessions were still open."""
    return _sessions_end(user=user, reason=reason)


def signed_in_sessions_close_expired(*, user: User, now: datetime | None = None) -> int:
    """Close the user's records of sessions that ended by themselves: timed out, or past the 12-hour limit."""
    now = now or timezone.now()
    dead = list(_with_expiry(SignedInSession.objects.filter(user=user, ended_at__isnull=True)).filter(_dead(now)))
    for record in dead:
        _close(record, reason=_natural_end(record, now), now=now)
    Session.objects.filter(session_key__in=[record.session_key for record in dead]).delete()
    return len(dead)


def _sessions_end(*, user: User, reason: str, keep_key: str | None = None, only_key: str | None = None) -> int:
    """Close the user's open records (all, all but `keep_key`, or only `only_key`) and delete their sessions from
    the store; how many of them were still open."""
    now = timezone.now()
    records = _with_expiry(SignedInSession.objects.filter(user=user, ended_at__isnull=True))
    if only_key is not None:
        records = records.filter(session_key=only_key)
    elif keep_key:
        records = records.exclude(session_key=keep_key)
    ended, recorded = 0, set()
    for record in records:
        natural_end = _natural_end(record, now)
        _close(record, reason=natural_end or reason, now=now)
        ended += natural_end is None
        recorded.add(record.session_key)
    # Sessions with no record (begun before records were kept) are found by decoding the live ones.
    unrecorded = set() if only_key is not None else _live_session_keys_of(user, now=now) - recorded - {keep_key}
    Session.objects.filter(session_key__in=recorded | unrecorded).delete()
    return ended + len(unrecorded)


def _close(record: SignedInSession, *, reason: str, now: datetime) -> None:
    expires_at = record.session_expires_at
    last_seen = expires_at - _idle() if expires_at else record.last_seen_at
    ended_at = now
    if reason == EndReason.IDLE and expires_at is not None:
        ended_at = min(expires_at, now)
    elif reason == EndReason.ABSOLUTE_LIMIT:
        ended_at = min(record.signed_in_at + _absolute(), now)
    record.ended_at = ended_at
    record.last_seen_at = min(max(last_seen, record.signed_in_at), ended_at)
    record.end_reason = reason
    record.save(update_fields=["ended_at", "last_seen_at", "end_reason"])


def _live_session_keys_of(user: User, *, now: datetime) -> set[str]:
    user_id = str(user.pk)
    return {
        session.session_key
        for session in Session.objects.filter(expire_date__gt=now).iterator()
        if str(session.get_decoded().get(SESSION_KEY)) == user_id
    }


def _ip_address(request: HttpRequest) -> str | None:
    """The address the request came from, as the first proxy we trust saw it (REMOTE_ADDR), if it is one."""
    value = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


# Selectors


@dataclass(frozen=True)
class SessionLine:
    """One session as "Where you are signed in" shows it."""

    record: SignedInSession
    is_current: bool
    browser: str
    last_activity: datetime | None
    ended_at: datetime | None
    end_reason: str

    @property
    def uuid(self):
        return self.record.uuid


def signed_in_sessions_open(*, user: User, current_session_key: str | None) -> list[SessionLine]:
    """The user's sessions that are still open, this one first, then the most recently active."""
    now = timezone.now()
    records = _with_expiry(SignedInSession.objects.filter(user=user)).filter(_live(now))
    lines = [_line(record, now=now, current_session_key=current_session_key) for record in records]
    return sorted(lines, key=lambda line: (not line.is_current, -(line.last_activity or now).timestamp()))


def signed_in_sessions_ended_page(*, user: User, page_number) -> tuple[Page, list[SessionLine]]:
    """One page of the user's sessions that ended in the last 30 days, most recent sign-in first."""
    now = timezone.now()
    records = (
        _with_expiry(SignedInSession.objects.filter(user=user, signed_in_at__gte=now - ENDED_SHOWN_FOR))
        .filter(_dead(now))
        .order_by("-signed_in_at", "-id")
    )
    page = Paginator(records, ENDED_PER_PAGE).get_page(page_number)
    return page, [_line(record, now=now, current_session_key=None) for record in page.object_list]


def signed_in_session_of(*, user: User, uuid) -> SignedInSession | None:
    """One of the user's sessions, open or ended; None for anyone else's."""
    return SignedInSession.objects.filter(user=user, uuid=uuid).first()


def browser_describe(user_agent: str) -> str:
    """ "Firefox on Windows", from a browser's User-Agent header, or "An unknown browser"."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "An unknown browser")


_BROWSERS = (
    ("Edg/", "Microsoft Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def _idle() -> timedelta:
    return timedelta(seconds=settings.SESSION_COOKIE_AGE)


def _absolute() -> timedelta:
    return timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS)


def _with_expiry(records: QuerySet) -> QuerySet:
    """Each record with the expiry of its row in the session store (None once the row has gone)."""
    expiry = Session.objects.filter(session_key=OuterRef("session_key")).values("expire_date")[:1]
    return records.annotate(session_expires_at=Subquery(expiry))


def _live(now: datetime) -> Q:
    return Q(ended_at__isnull=True, session_expires_at__gt=now, signed_in_at__gt=now - _absolute())


def _dead(now: datetime) -> Q:
    return (
        Q(ended_at__isnull=False)
        | Q(session_expires_at__isnull=True)
        | Q(session_expires_at__lte=now)
        | Q(signed_in_at__lte=now - _absolute())
    )


def _natural_end(record: SignedInSession, now: datetime) -> str | None:
    """Why a session not yet closed has ended by itself, or None while it is still open."""
    if record.signed_in_at <= now - _absolute():
        return EndReason.ABSOLUTE_LIMIT
    if record.session_expires_at is None or record.session_expires_at <= now:
        return EndReason.IDLE
    return None


def _line(record: SignedInSession, *, now: datetime, current_session_key: str | None) -> SessionLine:
    expires_at = record.session_expires_at
    reason = record.end_reason if record.ended_at else _natural_end(record, now)
    if record.ended_at:
        last_activity, ended_at = record.last_seen_at, record.ended_at
    elif reason == EndReason.ABSOLUTE_LIMIT:
        last_activity = expires_at - _idle() if expires_at else None
        ended_at = record.signed_in_at + _absolute()
    elif reason == EndReason.IDLE:
        last_activity = expires_at - _idle() if expires_at else None
        ended_at = expires_at
    else:
        last_activity, ended_at = max(expires_at - _idle(), record.signed_in_at), None
    return SessionLine(
        record=record,
        is_current=bool(current_session_key) and record.session_key == current_session_key,
        browser=browser_describe(record.user_agent),
        last_activity=last_activity,
        ended_at=ended_at,
        end_reason=EndReason(reason).label if reason else "",
    )


def session_touch_due(session: SessionBase, *, now: float) -> bool:
    """Whether this request should save the session to move its idle expiry on: when it is saved anyway, or when
    SESSION_TOUCH_SECONDS have passed since it last was."""
    touched = session.get(TOUCHED_AT_SESSION_KEY)
    return session.modified or touched is None or now - touched >= settings.SESSION_TOUCH_SECONDS


def session_touch(session: SessionBase, *, now: float) -> None:
    """Note that the session is saved now (which marks it to be saved, so its expiry moves on)."""
    session[TOUCHED_AT_SESSION_KEY] = int(now)


def session_idle_seconds_left(session: SessionBase, *, now: float) -> int:
    """How long the session has before the idle timeout, as this request leaves it."""
    if session_touch_due(session, now=now):
        return settings.SESSION_COOKIE_AGE
    return max(0, settings.SESSION_COOKIE_AGE - int(now - session[TOUCHED_AT_SESSION_KEY]))
