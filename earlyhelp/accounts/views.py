from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from earlyhelp.accounts.forms import SignInForm

LOCKED_OUT_MESSAGE = (
    "There have been too many attempts to sign in with this e-mail address. "
    "Wait 30 minutes and try again, or ask your system administrator to unlock your account."
)


class SignInView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


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
