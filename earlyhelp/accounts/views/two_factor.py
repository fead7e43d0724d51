"""Two-factor pages: the code asked for after the password, setting up an authenticator app (on first sign-in, or a
new one later), backup codes, "Enter a code to continue" before a sensitive action, and "Your account" with the
changes a user makes to their own credentials."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from earlyhelp.accounts import two_factor as services
from earlyhelp.accounts.forms import AuthenticatorForm, CodeForm, PasswordChangeGovukForm
from earlyhelp.accounts.otp import reauthentication_required, session_verified_at, session_verified_mark
from earlyhelp.accounts.signed_in_sessions import EndReason, signed_in_sessions_end_others

PENDING_KEY_SESSION_KEY = "two_factor_pending_key"
NEW_BACKUP_CODES_SESSION_KEY = "two_factor_new_backup_codes"


def next_url(request: HttpRequest, default: str = "core:home") -> str:
    """The page to go on to: `next` from the form or the address when it is on this site, otherwise `default`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(default)


def with_next(url_name: str, next_to: str) -> str:
    """The address of `url_name`, carrying `next_to` on."""
    return f"{reverse(url_name)}?{urlencode({'next': next_to})}" if next_to else reverse(url_name)


def second_factor_url(user, next_to: str = "") -> str:
    """Where a user who has given their password goes: the code page, or setting up an app if they have none."""
    name = "accounts:two_factor_code" if services.user_has_authenticator(user) else "accounts:two_factor_enrol"
    return with_next(name, next_to)


def _code_accepted(request: HttpRequest) -> None:
    """The session has passed the second factor: note when, and give it a new id."""
    request.session.pop(PENDING_KEY_SESSION_KEY, None)
    session_verified_mark(request.session)
    request.session.cycle_key()


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_code(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the authenticator app (or a backup code), then on to `next`."""
    if session_verified_at(request.session):
        return redirect(next_url(request))
    if not services.user_has_authenticator(request.user):
        return redirect(with_next("accounts:two_factor_enrol", request.GET.get("next", "")))
    form = CodeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        _code_accepted(request)
        return redirect(next_url(request))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "accounts/two_factor/code.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Before a sensitive action, when the last code was entered too long ago: a new code, then back to `next`."""
    form = CodeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        _code_accepted(request)
        return redirect(next_url(request))
    context = {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "minutes": settings.REAUTH_MINUTES,
    }
    return render(request, "accounts/two_factor/reauthenticate.html", context)


def _authenticator_page(request: HttpRequest, *, template: str) -> HttpResponse | None:
    """The QR code and secret of a new app, kept in the session until a code from the app confirms it: the page to
    show, or None once the app is set up."""
    key = request.session.get(PENDING_KEY_SESSION_KEY) or services.authenticator_secret_new()
    request.session[PENDING_KEY_SESSION_KEY] = key
    form = AuthenticatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.authenticator_set_up(user=request.user, key=key, code=form.cleaned_data["code"])
        except services.TwoFactorError as refusal:
            form.add_error("code", str(refusal))
        else:
            return None
    context = {
        "form": form,
        "qr_code": services.authenticator_qr_data_uri(user=request.user, key=key),
        "secret": services.authenticator_secret_display(key),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up an authenticator app, confirm it with a code, then see the backup codes once."""
    if session_verified_at(request.session):
        return redirect("accounts:account")
    if services.user_has_authenticator(request.user):
        return redirect(with_next("accounts:two_factor_code", request.GET.get("next", "")))
    page = _authenticator_page(request, template="accounts/two_factor/enrol.html")
    if page is not None:
        return page
    codes = services.backup_codes_generate(user=request.user)
    services.credentials_changed_email(user=request.user, change="first_authenticator")
    _code_accepted(request)
    request.session[NEW_BACKUP_CODES_SESSION_KEY] = codes
    messages.success(request, "Your authenticator app is set up.")
    return redirect(with_next("accounts:backup_codes", next_url(request)))


@login_required
@require_GET
def backup_codes(request: HttpRequest) -> HttpResponse:
    """New backup codes, shown once: reloading the page does not show them again."""
    codes = request.session.pop(NEW_BACKUP_CODES_SESSION_KEY, None)
    context = {"codes": codes, "next": next_url(request, default="accounts:account")}
    return render(request, "accounts/two_factor/backup_codes.html", context)


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """Your account: your details, and links to change your password, authenticator app and backup codes."""
    context = {
        "has_authenticator": services.user_has_authenticator(request.user),
        "backup_codes_left": services.backup_codes_left(request.user),
        "reauth_minutes": settings.REAUTH_MINUTES,
    }
    return render(request, "registration/account.html", context)


def _other_sessions_end(request: HttpRequest) -> None:
    """Sign the user out everywhere else after a change to their credentials: whoever knew the old ones is out."""
    signed_in_sessions_end_others(
        user=request.user, keep_session_key=request.session.session_key, reason=EndReason.CREDENTIALS_CHANGED
    )


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change your password: this session stays signed in, every other one ends, and you are told by e-mail."""
    form = PasswordChangeGovukForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        services.credentials_changed_email(user=user, change="password")
        _other_sessions_end(request)
        messages.success(request, "Your password has been changed. You have been signed out everywhere else.")
        return redirect("accounts:account")
    return render(request, "registration/password_change.html", {"form": form})


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def authenticator_replace(request: HttpRequest) -> HttpResponse:
    """Set up a new authenticator app (a new phone, say): it replaces the old one once a code from it is entered."""
    page = _authenticator_page(request, template="accounts/two_factor/replace.html")
    if page is not None:
        return page
    services.credentials_changed_email(user=request.user, change="authenticator")
    _code_accepted(request)
    _other_sessions_end(request)
    messages.success(request, "Your new authenticator app is set up. The old one no longer works.")
    return redirect("accounts:account")


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def backup_codes_regenerate(request: HttpRequest) -> HttpResponse:
    """Make ten new backup codes; the ones left stop working."""
    if request.method == "POST":
        codes = services.backup_codes_generate(user=request.user)
        services.credentials_changed_email(user=request.user, change="backup_codes")
        _other_sessions_end(request)
        request.session[NEW_BACKUP_CODES_SESSION_KEY] = codes
        messages.success(request, "New backup codes have been made. The old ones no longer work.")
        return redirect(with_next("accounts:backup_codes", reverse("accounts:account")))
    context = {"backup_codes_left": services.backup_codes_left(request.user)}
    return render(request, "accounts/two_factor/backup_codes_regenerate.html", context)


urlpatterns: list = [
    path("", account, name="account"),
    path("two-factor/", two_factor_code, name="two_factor_code"),
    path("two-factor/set-up/", two_factor_enrol, name="two_factor_enrol"),
    path("two-factor/backup-codes/", backup_codes, name="backup_codes"),
    path("two-factor/confirm/", reauthenticate, name="reauthenticate"),
    path("password/", password_change, name="password_change"),
    path("authenticator/", authenticator_replace, name="authenticator_replace"),
    path("backup-codes/new/", backup_codes_regenerate, name="backup_codes_regenerate"),
]
