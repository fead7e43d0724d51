"""Two-factor sign-in: a signed-in user who has not entered a code sees only the code and enrolment pages.

The check reads the session only (its user id and `VERIFIED_AT_SESSION_KEY`), so an ordinary request of a verified
session costs no query; the database is asked only to choose where an unverified session is sent."""

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.shortcuts import redirect
from django.urls import reverse

from earlyhelp.accounts.otp import VERIFIED_AT_SESSION_KEY

# Open to a session that has given the password but not yet the code.
OPEN_BEFORE_THE_CODE = ("accounts:two_factor_code", "accounts:two_factor_enrol", "accounts:logout")


class TwoFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: frozenset[str] | None = None

    def __call__(self, request):
        if self._code_needed(request):
            from earlyhelp.accounts.views.two_factor import second_factor_url

            return redirect(second_factor_url(request.user, request.get_full_path()))
        return self.get_response(request)

    def _code_needed(self, request) -> bool:
        session = request.session
        if SESSION_KEY not in session or VERIFIED_AT_SESSION_KEY in session:
            return False  # not signed in, or the code entered: no query either way
        if request.path in self.open_paths or request.path.startswith(settings.STATIC_URL):
            return False
        return request.user.is_authenticated  # a session whose user has gone is not signed in

    @property
    def open_paths(self) -> frozenset[str]:
        if self._open_paths is None:
            self._open_paths = frozenset(reverse(name) for name in OPEN_BEFORE_THE_CODE)
        return self._open_paths
