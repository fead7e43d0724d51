"""The code the demo users' authenticator app shows now (every demo user shares the published DEMO_TOTP_SECRET)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cases.demo.staff import DEMO_TOTP_SECRET, demo_totp_key
from earlyhelp.accounts.otp import totp_code_now


class Command(BaseCommand):
    help = "Print the current 6-digit sign-in code of the demo users (never in production)."

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo_code prints codes for a published secret: never in production.")
        self.stdout.write(totp_code_now(key=demo_totp_key()))
        self.stderr.write(
            f"Valid for this 30-second window (and the next). Each code signs a user in once. "
            f"Or add the secret {DEMO_TOTP_SECRET} to an authenticator app."
        )
