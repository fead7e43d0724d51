from django.core.management.base import BaseCommand, CommandError

from earlyhelp.audit.selectors import access_log_first_broken_link


class Command(BaseCommand):
    help = "Check that no access event has been altered, removed or inserted out of order."

    def handle(self, *args, **options) -> None:
        broken = access_log_first_broken_link()
        if broken is not None:
            raise CommandError(f"The access log chain is broken at event {broken}.")
        self.stdout.write(self.style.SUCCESS("The access log chain is intact."))
