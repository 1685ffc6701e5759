"""manage.py prewarm_caches [--market US --market CA] [--pages 3] [--no-progress]

Fills the catalog, price, promotion and shipping-rate caches through the functions the pages
use (storefront/prewarm.py), with a progress bar, then prints what it warmed and how long it
took. Run it after a deploy or a Redis flush, before opening the doors (docs/runbooks.md).
"""

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from storefront import prewarm

MAX_PAGES = 1000


def page_count(value: str) -> int:
    import argparse

    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGES:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_PAGES}")
    return int(value)


class Command(BaseCommand):
    help = "Warm the storefront, price, promotion and shipping-rate caches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--market",
            action="append",
            dest="markets",
            metavar="CODE",
            help="warm only this market (repeatable); default: every active market",
        )
        parser.add_argument(
            "--pages",
            type=page_count,
            default=3,
            help="listing pages of cards warmed per category (default 3)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, markets, pages, no_progress, **options):
        for code in markets or []:
            if not code.isascii() or not code.isalnum() or len(code) > 8:
                raise CommandError(f"--market {code!r} is not a market code.")
        started = time.perf_counter()
        try:
            the_plan = prewarm.plan(market_codes=markets)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        with tqdm(
            total=the_plan.steps,
            desc="prewarm",
            unit="item",
            file=self.stderr._out,
            disable=no_progress,
        ) as bar:

            def step(label: str) -> None:
                bar.set_postfix_str(label[-40:], refresh=False)
                bar.update(1)

            try:
                warmed = prewarm.prewarm(the_plan, pages=pages, step=step)
            except prewarm.CacheUnavailable as exc:
                raise CommandError(str(exc)) from None
        self._report(warmed, time.perf_counter() - started, the_plan)

    def _report(self, warmed, total_seconds: float, the_plan) -> None:
        rows = warmed.rows()
        width = max(len(kind) for kind, _, _ in rows)
        codes = ", ".join(m.code for m in the_plan.markets) or "none"
        self.stdout.write(f"Warmed for markets: {codes}")
        self.stdout.write(f"{'kind'.ljust(width)}  {'count':>8}  {'seconds':>8}")
        for kind, count, seconds in rows:
            self.stdout.write(f"{kind.ljust(width)}  {count:>8}  {seconds:>8.2f}")
        total = f"{'total'.ljust(width)}  {'':>8}  {total_seconds:>8.2f}"
        self.stdout.write(self.style.SUCCESS(total))
