from django.core.management.base import BaseCommand, CommandError

from orders import conf
from orders.services import reconcile_payments


class Command(BaseCommand):
    help = (
        "Ask the payment gateway, by idempotency key, about orders still pending payment and "
        "settle them (what the Celery beat task does)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=int,
            default=conf.DEFAULT_RECONCILE_AFTER_SECONDS,
            metavar="SECONDS",
            help="Only attempts older than this (default: 300).",
        )

    def handle(self, *args, older_than, **options):
        if older_than < 0:
            raise CommandError("--older-than must be 0 or more seconds.")
        result = reconcile_payments(older_than=older_than)
        self.stdout.write(
            f"Checked {result.checked} order(s): {result.placed} placed, {result.failed} "
            f"failed, {result.still_pending} still pending."
        )
