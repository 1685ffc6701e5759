from django.core.management.base import BaseCommand

from orders.services import expire_unpaid_orders


class Command(BaseCommand):
    help = (
        "Cancel orders left unpaid past their market's limit, after asking the gateway "
        "(what the Celery beat task does)."
    )

    def handle(self, *args, **options):
        cancelled = expire_unpaid_orders()
        self.stdout.write(f"Cancelled {cancelled} unpaid order(s).")
