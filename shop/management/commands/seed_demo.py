from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from shop import ports
from shop.seeding import DEMO_PASSWORD, seed_demo_users


class Command(BaseCommand):
    help = "Seed the demo shop: staff and customer logins, catalog, stock (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="allow in production mode")

    def handle(self, *args, **options):
        if settings.PRODUCTION and not options["force"]:
            raise CommandError("seed_demo creates well-known demo logins; refusing in production.")
        # Each app seeds its own data and registers its seeder in its AppConfig.ready()
        # (shop/ports.py), so `shop`, which sits under every other app, never imports them.
        for seeder in ports.demo_seeders():
            result = seeder.seed()
            self.stdout.write(f"{seeder.name}: {self._describe(result)}")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {DEMO_PASSWORD}):"))
        for email, role in seed_demo_users():
            self.stdout.write(f"  {email:<24} {role}")

    @staticmethod
    def _describe(result) -> str:
        if isinstance(result, dict):
            return ", ".join(f"{k}={v}" for k, v in result.items())
        return "done"
