from django.core.management.base import BaseCommand

from inventory import services


class Command(BaseCommand):
    help = "Release reservations whose TTL has passed (what the Celery beat task does)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        released = services.expire_reservations(batch_size=max(1, batch_size))
        self.stdout.write(f"Released {released} expired reservation(s).")
