"""Writes to the access log."""

import hashlib

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from earlyhelp.audit.models import AccessChainHead, AccessEvent

GENESIS_HASH = "0" * 64


def access_event_hash(*, previous_hash: str, event: AccessEvent) -> str:
    """SHA-256 of the previous row's hash and this row's content."""
    content = "|".join(
        (
            previous_hash,
            event.occurred_at.isoformat(),
            str(event.user_id),
            event.action,
            event.object_type,
            str(event.object_uuid or ""),
            event.detail,
            event.ip_address or "",
        )
    )
    if event.break_glass_grant:  # added after the chain began, so rows without a grant hash as they always did
        content += f"|break-glass:{event.break_glass_grant}"
    return hashlib.sha256(content.encode()).hexdigest()


def client_ip(request: HttpRequest | None) -> str | None:
    """The address the request came from, as seen by the first proxy we trust (REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") if request is not None else None


def _break_glass_grant(*, user, obj, request: HttpRequest | None):
    from governance.selectors.break_glass import break_glass_grant_in_session

    return break_glass_grant_in_session(session=getattr(request, "session", None), user=user, obj=obj)


@transaction.atomic(savepoint=False)  # no savepoint: if the log cannot be written, the request fails
def access_event_record(
    *,
    user,
    action: str,
    obj=None,
    detail: str = "",
    request: HttpRequest | None = None,
) -> AccessEvent:
    """Append one access event to the chain. Appends are serialised by locking the chain head.

    An event about a family the user sees under break-the-glass (the family, a record with its `family_id`, or a
    person in it) carries the grant's uuid, read from the session: no query, except for a person who joined the
    family after the grant, looked up (one query) only when the session holds an active grant."""
    head, _ = AccessChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS_HASH})
    event = AccessEvent(
        occurred_at=timezone.now(),
        user=user,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_uuid=getattr(obj, "uuid", None),
        detail=detail[:500],
        ip_address=client_ip(request),
        break_glass_grant=_break_glass_grant(user=user, obj=obj, request=request),
        previous_hash=head.last_hash,
    )
    event.hash = access_event_hash(previous_hash=head.last_hash, event=event)
    event.save()
    head.last_hash = event.hash
    head.save(update_fields=["last_hash"])
    return event


def access_chain_break_report(*, broken, url: str = "") -> int:
    """Tell every information governance officer where the access log's chain is broken.

    An officer who still has the same notification unread is not told again, so the daily check says it once
    per break however often it runs. Returns how many officers were told."""
    from cases.selectors import users_with_role
    from earlyhelp.accounts.models import Notification
    from earlyhelp.accounts.services import notify
    from earlyhelp.core import perms

    message = str(broken)[:300]
    already_told = Notification.objects.filter(message=message, read_at__isnull=True).values("user")
    officers = users_with_role(role=perms.IG_OFFICER).exclude(pk__in=already_told)
    told = 0
    for officer in officers:
        notify(user=officer, message=message, url=url)
        told += 1
    return told
