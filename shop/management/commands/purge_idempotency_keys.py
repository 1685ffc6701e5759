from django.core.management.base import BaseCommand

from shop.idempotency import purge_expired_keys


class Command(BaseCommand):
    help = "Delete Idempotency-Key records past their expiry (the beat does this hourly)."

    def handle(self, *args, **options):
        purged = purge_expired_keys()
        self.stdout.write(f"Purged {purged} expired idempotency key(s).")
