from django.core.management.base import BaseCommand, CommandError

from inventory import selectors


class Command(BaseCommand):
    help = "Verify that every StockLevel.on_hand equals the sum of its ledger movements."

    def handle(self, *args, **options):
        mismatches = selectors.list_ledger_mismatches()
        for m in mismatches:
            self.stderr.write(
                f"{m['sku']} @ {m['location']}: on_hand={m['on_hand']} ledger={m['ledger']}"
            )
        if mismatches:
            raise CommandError(f"{len(mismatches)} stock level(s) disagree with the ledger.")
        self.stdout.write("Stock ledger OK: on_hand equals the sum of movements everywhere.")
