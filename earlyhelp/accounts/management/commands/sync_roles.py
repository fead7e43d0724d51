from django.core.management.base import BaseCommand

from earlyhelp.core.roles import roles_sync


class Command(BaseCommand):
    help = "Create or update the role groups and Local Area Team groups from the permission registry."

    def handle(self, *args, **options) -> None:
        roles_sync()
        self.stdout.write(self.style.SUCCESS("Roles are in line with earlyhelp/core/perms.py."))
