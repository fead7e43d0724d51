from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from earlyhelp.accounts.forms import SignInForm
from earlyhelp.accounts.models import Notification
from earlyhelp.accounts.otp import VERIFIED_AT_SESSION_KEY
from earlyhelp.accounts.services import notification_read as notification_read_service
from earlyhelp.accounts.views.two_factor import second_factor_url

LOCKED_OUT_MESSAGE = (
    "There have been too many attempts to sign in with this e-mail address. "
    "Wait 30 minutes and try again, or ask your system administrator to unlock your account."
)


class SignInView(auth_views.LoginView):
    """The password, the first of two steps: then the code from an authenticator app (or setting one up)."""

    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        auth_login(self.request, form.get_user())
        self.request.session.pop(VERIFIED_AT_SESSION_KEY, None)  # the code is asked for at every sign-in
        return redirect(second_factor_url(form.get_user(), self.get_redirect_url()))


sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view()


def lockout_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """The e-mail address failures are counted against, case-insensitively."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).strip().lower()


def locked_out(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """The same answer for every locked-out e-mail address, whether or not an account exists."""
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    form.is_valid()
    form.errors.clear()
    form.add_error(None, LOCKED_OUT_MESSAGE)
    return render(request, "registration/login.html", {"form": form}, status=429)


@login_required
@require_POST
def notification_read(request: HttpRequest, uuid) -> HttpResponse:
    notification = get_object_or_404(Notification, uuid=uuid, user=request.user)
    notification_read_service(user=request.user, notification=notification)
    return redirect("core:home")
