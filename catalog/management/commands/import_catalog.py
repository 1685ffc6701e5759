from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from catalog.importers import FORMATS
from catalog.importers.base import ImportFileError, check_file_size
from catalog.importing import import_catalog


class Command(BaseCommand):
    help = (
        "Import products from a CSV or XLSX file (emporium or shopify format). All or nothing: "
        "any row error writes nothing and exits non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=list(FORMATS), default="emporium")
        parser.add_argument("--dry-run", action="store_true", help="Check and report only.")
        parser.add_argument(
            "--strict", action="store_true", help="Treat barcode warnings as errors."
        )
        parser.add_argument(
            "--currency",
            help="The currency the file's prices are in (default: the one its cells state, "
            "else the default market's). Cells stating another currency are refused.",
        )
        parser.add_argument(
            "--location",
            metavar="CODE",
            help="Stock location for the file's stock counts (default: the one location "
            "serving the market of the file's currency).",
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            # Refuse an oversized file before reading a byte of it into memory.
            check_file_size(path.stat().st_size)
        except ImportFileError as exc:
            raise CommandError(f"Nothing was imported: {exc}") from None
        data = path.read_bytes()
        # A CSV's lines, less the header, for the bar's total (a workbook's are not known).
        # The bar stays on screen when done (tqdm prints its final count on close) so
        # the operator sees how many rows went through.
        total = max(data.count(b"\n") - 1, 1) if path.suffix.lower() == ".csv" else None
        with tqdm(desc="rows", unit="row", total=total, file=self.stderr._out) as bar:
            result = import_catalog(
                data=data,
                filename=path.name,
                format=options["format"],
                dry_run=options["dry_run"],
                strict=options["strict"],
                currency=(options["currency"] or "").upper() or None,
                location=options["location"],
                progress=bar.update,
            )
        for message in result.messages():
            self.stderr.write(message)
        if result.inventory and result.committed:
            if result.stock_counts_applied:
                where = options["location"] or f"the location serving {result.currency}"
                self.stdout.write(f"Stock counts for {len(result.inventory)} SKUs set at {where}.")
            else:
                self.stdout.write(
                    f"Stock counts for {len(result.inventory)} SKUs were in the file; they are "
                    "not applied (no stock location exists yet, or no "
                    "stock app is installed)."
                )
        prefix = "Dry run" if options["dry_run"] else "Imported"
        if result.has_errors:
            raise CommandError(f"Nothing was imported: {result.summary()}.")
        self.stdout.write(self.style.SUCCESS(f"{prefix}: {result.summary()}."))
