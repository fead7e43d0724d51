"""Synthetic demo data: York's agencies and teams, one demo user per role, N families and the work of their early
help. The data is built in `cases.demo`.

Everything is made up (Faker en_GB) and deterministic for a given --seed. Never run in production.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from cases.demo.casework import casework_load
from cases.demo.directory import directory_load
from cases.demo.families import families_load
from cases.demo.front_door import front_door_load, grants_load
from cases.demo.staff import DEMO_PASSWORD, agencies_load, staff_top_up, users_load
from cases.models import Family
from cases.supporting_families_demo import seed_supporting_families
from cases.transfer_outcome_demo import seed_social_care_outcomes
from earlyhelp.accounts.services import service_account_get
from earlyhelp.audit.context import acting_as
from earlyhelp.audit.demo import access_events_load
from earlyhelp.core.roles import roles_sync
from governance.demo import break_glass_demo, restrictions_demo, retention_demo
from reporting.demo import seed_indicator_snapshots
from reporting.demo_quality import seed_case_audits, seed_training


class Command(BaseCommand):
    help = "Load synthetic demo data: agencies, teams, one user per role, and --families families."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--families", type=int, default=60)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when families already exist")
        parser.add_argument(
            "--users", type=int, default=0, help="Add staff (staff-NNN@example.org) until this many can sign in"
        )
        parser.add_argument(
            "--access-events", type=int, default=0, help="Add this many synthetic events to the access log"
        )

    def handle(
        self, *args, families: int, seed: int, if_empty: bool, users: int, access_events: int, **options
    ) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo makes demo accounts with a published password: never in production.")
        if if_empty and Family.objects.exists():
            self.stdout.write("Families already exist; demo data left as it is.")
            return
        roles_sync()
        seeder = service_account_get(name="seed-demo")
        with acting_as(seeder):
            agencies = agencies_load()
            demo_users = users_load(agencies)
            added = staff_top_up(agencies, total=users)
            if added:
                self.stdout.write(f"{added} more staff added (staff-NNN@example.org).")
            directory_load(agencies, seed=seed)
            created = families_load(
                count=families, seed=seed, seeder=seeder, agencies=agencies, progress=self.stdout.write
            )
            grants_load(created, demo_users)
            front_door_load(created, demo_users)
            episodes = casework_load(
                created, demo_users, agencies, seed=seed, seeder=seeder, progress=self.stdout.write
            )
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")  # statistics for the bulk-loaded tables before the indicators read them
            today = timezone.localdate()
            # What the indicators measure beyond casework, then the last twelve months' figures stored from it all.
            for seed_part in (
                seed_social_care_outcomes,
                seed_supporting_families,
                seed_case_audits,
                seed_training,
                seed_indicator_snapshots,
                restrictions_demo,
                retention_demo,
                break_glass_demo,
            ):
                self.stdout.write(seed_part(today=today))
            # Last, so the log's chain continues from the events the parts above logged.
            self.stdout.write(access_events_load(count=access_events, seed=seed, progress=self.stdout.write))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(created)} families added, {episodes} with early help under way. "
                f"Password: {DEMO_PASSWORD} (then the code that manage.py demo_code prints)."
            )
        )
