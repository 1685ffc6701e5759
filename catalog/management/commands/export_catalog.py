from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importing import export_catalog


class Command(BaseCommand):
    help = "Export every variant to a CSV or XLSX file (by extension), one row per variant."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        path: Path = options["file"]
        file_format = path.suffix.lower().lstrip(".")
        if file_format not in ("csv", "xlsx"):
            raise CommandError("The file name must end in .csv or .xlsx.")
        data = export_catalog(file_format=file_format)
        path.write_bytes(data)
        self.stdout.write(self.style.SUCCESS(f"Wrote {path} ({len(data):,} bytes)."))
