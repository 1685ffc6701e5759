from django.core.management.base import BaseCommand

from shop.roles import setup_roles


class Command(BaseCommand):
    help = "Create or refresh the staff groups Merchandiser, Operations and Finance (idempotent)."

    def handle(self, *args, **options):
        for group, count in setup_roles().items():
            self.stdout.write(f"{group}: {count} permissions")
