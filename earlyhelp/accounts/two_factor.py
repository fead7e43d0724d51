"""Writes for two-factor sign-in: setting up an authenticator app, backup codes, and the e-mail sent when a user's
credentials change. Checking a code is in earlyhelp.accounts.otp."""

import logging
from base64 import b32encode

import segno
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from earlyhelp.accounts.models import User
from earlyhelp.accounts.otp import totp_time_step

logger = logging.getLogger(__name__)

BACKUP_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_CODES_NAME = "Backup codes"


class TwoFactorError(Exception):
    """A refusal to show the user, such as a code that does not match the new authenticator app."""


def authenticator_secret_new() -> str:
    """A new random TOTP key (hex, 20 bytes), kept in the session until the user confirms it with a code."""
    return default_key()


def authenticator_secret_display(key: str) -> str:
    """The key as an authenticator app asks for it when typed in: base32, in groups of four."""
    text = b32encode(bytes.fromhex(key)).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def authenticator_qr_data_uri(*, user: User, key: str) -> str:
    """The otpauth:// address of `key` as a QR code: an SVG data: URI drawn here, so no other site is asked."""
    url = TOTPDevice(user=user, key=key).config_url
    return segno.make(url, error="m").svg_data_uri(scale=5, border=4, dark="#0b0c0c", light="#ffffff")


def user_has_authenticator(user: User) -> bool:
    """Whether `user` has a confirmed authenticator app."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


@transaction.atomic
def authenticator_set_up(*, user: User, key: str, code: str) -> TOTPDevice:
    """Confirm a new authenticator app with a code it shows and make it the user's only one (an app set up before is
    removed). The code's time step is stored as used, so the same code cannot then be entered to sign in."""
    step = totp_time_step(key=key, code=code)
    if step is None:
        raise TwoFactorError("The code is not right. Enter the 6-digit code your authenticator app shows now")
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True, last_t=step)
    logger.info("Authenticator app set up for user %s", user.pk)
    return device


@transaction.atomic
def backup_codes_generate(*, user: User) -> list[str]:
    """Ten new single-use backup codes for `user`, replacing any left. Returned once to show the user: they are not
    shown again."""
    device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": BACKUP_CODES_NAME, "confirmed": True})
    StaticDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.token_set.all().delete()
    device.confirmed = True
    device.throttle_reset(commit=False)
    device.save()
    codes: list[str] = []
    while len(codes) < BACKUP_CODE_COUNT:
        token = StaticToken.random_token()
        if token not in codes and not token.isdigit():  # an all-digit code would be taken for an app's code
            codes.append(token)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in codes)
    logger.info("Backup codes made for user %s", user.pk)
    return codes


def backup_codes_left(user: User) -> int:
    """How many of `user`'s backup codes are still unused."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


CREDENTIAL_CHANGES = {
    "password": (
        "Your Early Help password was changed",
        "Your password for Early Help was changed on {when}.",
    ),
    "authenticator": (
        "A new authenticator app was set up for Early Help",
        "A new authenticator app was set up for your Early Help account on {when}. "
        "The codes of any app set up before no longer work.",
    ),
    "first_authenticator": (
        "Two-factor sign-in was set up for Early Help",
        "An authenticator app was set up for your Early Help account on {when}, and backup codes were made.",
    ),
    "backup_codes": (
        "New Early Help backup codes were made",
        "New backup codes were made for your Early Help account on {when}. "
        "The backup codes made before no longer work.",
    ),
}


def credentials_changed_email(*, user: User, change: str) -> None:
    """Tell `user` by e-mail that their password, authenticator app or backup codes changed, so a change they did not
    make is noticed. `change` is a key of CREDENTIAL_CHANGES."""
    subject, body = CREDENTIAL_CHANGES[change]
    when = timezone.localtime().strftime("%-d %B %Y at %H:%M")
    message = (
        f"{body.format(when=when)}\n\n"
        "If you did not make this change, tell your system administrator straight away: someone else may know "
        "your password.\n"
    )
    send_mail(subject, message, settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True)
    logger.info("Credentials changed (%s) for user %s", change, user.pk)
