"""manage.py import_promotions FILE: create or update promotions from YAML or JSON, all or none."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from promotions.exceptions import PromotionImportFailed
from promotions.importing import load_entries
from promotions.services import import_promotions


class Command(BaseCommand):
    help = "Import promotions (one entry or a list, YAML or JSON, the rule shape of API.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to a .yaml, .yml or .json file ('-' for stdin)")

    def handle(self, *args, file, **options):
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from None
        try:
            saved = import_promotions(load_entries(text))
        except PromotionImportFailed as exc:
            lines = "\n".join(f"  - {e}" for e in exc.errors)
            raise CommandError(f"Nothing was imported:\n{lines}") from None
        for promotion in saved:
            self.stdout.write(
                f"{promotion.pk}: {promotion.status}, {promotion.coupons.count()} codes"
            )
        self.stdout.write(self.style.SUCCESS(f"Imported {len(saved)} promotion(s)."))
