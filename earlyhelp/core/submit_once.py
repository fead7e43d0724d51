"""Submit once: the same form sent twice (a double click, a resend after a slow page) saves one record.

Each form a decorated view renders carries a one-off `form_token` (`{% form_token %}`). The first POST with a token
stores it with the address it was sent to, under a unique index, in the same transaction as whatever the view saves:
- the view redirects (saved): the token keeps where it redirected to, and commits with the record;
- the view shows the form again (errors, a refusal): the token is let go, so the corrected form can be sent with it;
- the view fails: the transaction rolls back, token and all.
The same token again, from the same person, saves nothing: it is sent to the first one's page, told it was already
saved. A copy arriving while the first is still being saved waits on the unique index, then does the same. A token
stored by someone else is refused (400). A POST without a token (a page rendered before this existed, a script) is
handled as before.
"""

import uuid
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from earlyhelp.core.models import FormSubmission

FIELD = "form_token"
ALREADY_SAVED = "This was already saved: the form was sent more than once, and only the first was kept"
# How long a token is remembered: far longer than anyone waits to press a button twice.
KEEP_DAYS = 7


def posted_token(request: HttpRequest) -> uuid.UUID | None:
    """The form token a POST carries, or None (not a POST, no token, or not a UUID)."""
    if request.method != "POST":
        return None
    try:
        return uuid.UUID(request.POST.get(FIELD, ""))
    except ValueError:
        return None


def submit_once(view):
    """Make a view that saves a person's form save it once per form token (see the module's docstring).

    Put it innermost, below the sign-in and permission checks. Decorated views are marked `submit_once`, so the
    tests can list them."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        token = posted_token(request)
        if token is None:
            return view(request, *args, **kwargs)
        if FormSubmission.objects.filter(token=token, path=_address(request)).exists():
            return _repeat(request, token)
        with transaction.atomic():
            submission = _claim(request, token)
            if submission is None:
                return _repeat(request, token)
            response = view(request, *args, **kwargs)
            if _saved(request, response):
                submission.location = response["Location"]
                submission.save(update_fields=["location"])
            else:
                submission.delete()
            return response

    wrapped.submit_once = True
    return wrapped


def _address(request: HttpRequest) -> str:
    return request.path[:500]


def _claim(request: HttpRequest, token: uuid.UUID) -> FormSubmission | None:
    """Store the token, or None if it is stored already. A copy of a form still being saved waits here on the
    unique index until the first commits (then None) or rolls back (then this one goes ahead)."""
    try:
        with transaction.atomic():
            return FormSubmission.objects.create(token=token, user=request.user, path=_address(request))
    except IntegrityError:
        return None


def _repeat(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """The same form again: to the page the first one went to, saying so. Someone else's token is refused."""
    earlier = FormSubmission.objects.filter(token=token, path=_address(request)).first()
    if earlier is None or earlier.user_id != request.user.pk:
        raise BadRequest("This form was sent by someone else")
    messages.info(request, ALREADY_SAVED)
    return redirect(earlier.location or request.path)


def _saved(request: HttpRequest, response: HttpResponse) -> bool:
    """A redirect is a save, unless the view said why it refused (an error message) on its way out."""
    if not (300 <= response.status_code < 400 and response.has_header("Location")):
        return False
    stored = messages.get_messages(request)
    refused = any(message.level >= messages.ERROR for message in stored)
    stored.used = False  # looking at the messages must not use them up: the next page still shows them
    return not refused


def form_submissions_purge(*, older_than_days: int = KEEP_DAYS) -> int:
    """Forget form tokens older than `older_than_days`; how many were deleted."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted
