"""Break-the-glass: a user outside a family's scope gives a reason and re-enters a code, and sees the family for
`settings.BREAK_GLASS_MINUTES` (60). The grant is logged, the family's Local Area Team managers and every
information governance officer are told, and every page viewed under it is flagged in the access log."""

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from cases.models import Family, FamilyMember
from cases.selectors import team_managers, users_with_role
from earlyhelp.accounts.models import SignedInSession
from earlyhelp.accounts.services import notify
from earlyhelp.audit.services import access_event_record
from earlyhelp.core import perms
from governance.models import BreakGlassGrant
from governance.selectors.break_glass import BREAK_GLASS_SESSION_KEY, break_glass_grants_active

REASON_MIN_LENGTH = 15
REASON_TOO_SHORT = f"Give a reason of at least {REASON_MIN_LENGTH} characters: why must you see this record now?"
NOTIFICATION_MAX = 300


def break_glass_minutes() -> int:
    return int(getattr(settings, "BREAK_GLASS_MINUTES", 60))


def _who(user) -> str:
    parts = [part for part in (user.job_title, str(user.agency) if user.agency_id else "") if part]
    return f"{user.full_name} ({', '.join(parts)})" if parts else user.full_name


def _message(text: str, reason: str) -> str:
    """The notification: what happened, then as much of the reason as fits."""
    message = f"{text} Reason: {reason}"
    return message if len(message) <= NOTIFICATION_MAX else message[: NOTIFICATION_MAX - 1] + "…"


@transaction.atomic
def break_glass_grant_create(
    *, user, family: Family, reason: str, request: HttpRequest | None = None
) -> BreakGlassGrant:
    """Give `user` access to `family` for `settings.BREAK_GLASS_MINUTES`, for `reason` (at least 15 characters).

    The caller has checked the user's second-factor code. Never for a restricted family. Writes an access event
    (the giving of the grant, not flagged as a page viewed under it), and tells the managers of the family's Local
    Area Team and every information governance officer who asked, for which family (by reference), until when and
    why. Returns the grant; remember it in the session with `break_glass_session_remember`."""
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError({"reason": REASON_TOO_SHORT})
    if family.restricted:
        raise ValidationError("This record cannot be opened with break-the-glass.")
    if not user.has_perm(perms.BREAK_GLASS):
        raise ValidationError("You cannot use break-the-glass.")
    now = timezone.now()
    grant = BreakGlassGrant(
        user=user,
        family=family,
        family_reference=family.reference,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(minutes=break_glass_minutes()),
    )
    grant.full_clean()
    grant.save()
    access_event_record(user=user, action="view", obj=family, detail="break-the-glass access given", request=request)
    until = timezone.localtime(grant.expires_at).strftime("%H:%M")
    text = f"{_who(user)} used break-the-glass to see family {family.reference} until {until}."
    told = {user.pk}
    family_url = reverse("cases:family_detail", kwargs={"uuid": family.uuid})
    for manager in team_managers(local_area_team=family.local_area_team):
        if manager.pk not in told:
            told.add(manager.pk)
            notify(user=manager, message=_message(text, reason), url=family_url)
    report_url = reverse("governance:break_glass_report")
    for officer in users_with_role(role=perms.IG_OFFICER):
        if officer.pk not in told:
            told.add(officer.pk)
            notify(user=officer, message=_message(text, reason), url=report_url)
    return grant


def break_glass_session_remember(*, session: SessionBase | dict, grants) -> None:
    """Keep `grants` (the user's, not expired) in `session`, with the people of each family, so the access log
    flags the pages viewed under them without a query. Expired entries are dropped."""
    grants = list(grants)
    now = timezone.now()
    kept = {
        family_id: entry
        for family_id, entry in (session.get(BREAK_GLASS_SESSION_KEY) or {}).items()
        if datetime.fromisoformat(entry["until"]) > now
    }
    people: dict[int, list[str]] = {}
    for family_id, person_uuid in FamilyMember.objects.filter(family__in=[g.family_id for g in grants]).values_list(
        "family_id", "person__uuid"
    ):
        people.setdefault(family_id, []).append(str(person_uuid))
    for grant in grants:
        kept[str(grant.family_id)] = {
            "grant": str(grant.uuid),
            "user": grant.user_id,
            "until": grant.expires_at.isoformat(),
            "people": people.get(grant.family_id, []),
        }
    session[BREAK_GLASS_SESSION_KEY] = kept


def break_glass_sessions_share(*, user, grants, current_session_key: str | None = None) -> int:
    """Write `grants` into every other live session of `user` (their signed-in sessions still in the session
    store), so pages viewed under a grant are flagged in a session that was open before the grant was given.

    Only the session's data is rewritten: its expiry is left as it was, so an idle session is not kept alive.
    Returns how many sessions were written."""
    grants = list(grants)
    if not grants:
        return 0
    keys = SignedInSession.objects.filter(user=user, ended_at__isnull=True).values("session_key")
    rows = Session.objects.filter(session_key__in=keys, expire_date__gt=timezone.now())
    if current_session_key:
        rows = rows.exclude(session_key=current_session_key)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    written = 0
    for row in rows:
        data = store.decode(row.session_data)
        if str(data.get(SESSION_KEY)) != str(user.pk):
            continue
        break_glass_session_remember(session=data, grants=grants)
        Session.objects.filter(session_key=row.session_key).update(session_data=store.encode(data))
        written += 1
    return written


def break_glass_session_restore(*, session: SessionBase, user) -> None:
    """At sign-in: put the user's grants that have not expired into the new session, so pages viewed under them are
    flagged whichever session they were asked for in."""
    grants = list(break_glass_grants_active(user=user))
    if grants:
        break_glass_session_remember(session=session, grants=grants)


def break_glass_on_sign_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver (connected in governance/apps.py)."""
    session = getattr(request, "session", None)
    if session is not None:
        break_glass_session_restore(session=session, user=user)
