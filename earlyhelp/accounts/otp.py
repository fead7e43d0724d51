"""Second-factor checks shared by sign-in, re-authentication and break-the-glass (django-otp underneath)."""

from django_otp import match_token


def code_matches(*, user, code: str) -> bool:
    """Whether `code` is a current code from one of `user`'s confirmed devices (an authenticator app's TOTP code or
    an unused backup code). django-otp refuses a TOTP code already used and throttles repeated failures."""
    code = "".join((code or "").split())
    if not code:
        return False
    return match_token(user, code) is not None
