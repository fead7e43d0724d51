from django.core.management.base import BaseCommand, CommandError

from earlyhelp.audit.selectors import access_chain_first_broken_link


class Command(BaseCommand):
    help = (
        "Check the whole access log's hash chain: no event altered, removed or inserted out of order, and the chain "
        "head matching the last event. Exits non-zero naming the first broken link."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000, help="events read at a time (default 5000)")

    def handle(self, *args, batch_size: int, **options) -> None:
        broken = access_chain_first_broken_link(batch_size=batch_size)
        if broken is not None:
            raise CommandError(str(broken))
        self.stdout.write(self.style.SUCCESS("The access log chain is intact."))
