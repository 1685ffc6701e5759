"""Catalog import throughput on PostgreSQL: a 20,000-product x 5-variant Emporium CSV.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/emporium python benchmarks/import_bench.py

Creates a throwaway database `<name>_bench_<pid>` on the same server and migrates it, generates
an Emporium-format CSV like an export (title, description, brand, tags, status, two options,
SKU, weight, EAN, USD and EUR prices with compare-at), then imports it with
`catalog.importing.import_catalog` three times: into the empty catalog (every row created),
the same file again (every row read, compared and skipped) and the file with every USD price
changed (every price updated). Prints seconds, rows/s and SQL statements per row for each.
Drops the database at the end. The target for the first run is 60 s or less on one machine.
"Python CPU" is this process's own time: on a busy machine the wall time includes waiting for
a core, and the rest is PostgreSQL's.
"""

import argparse
import csv
import io
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = ("XS", "S", "M", "L", "XL")
COLORS = ("Black", "White", "Navy", "Olive", "Rust")
HEADER = [
    "handle",
    "title",
    "description",
    "brand",
    "product_type",
    "tags",
    "status",
    "seo_title",
    "seo_description",
    "option1_name",
    "option1_value",
    "option2_name",
    "option2_value",
    "sku",
    "weight_grams",
    "variant_status",
    "ean",
    "price_USD",
    "compare_at_USD",
    "price_EUR",
    "compare_at_EUR",
]


def _bench_url(url: str) -> tuple[str, str, str]:
    """(admin url, bench url, bench db name) for DATABASE_URL."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'emporium'}_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path=f"/{name}")), name


def _admin_sql(admin_url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql)


def _ean13(n: int) -> str:
    """A valid EAN-13 (check digit computed) from a running number."""
    body = f"20{n:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def generate_csv(products: int, variants: int, *, usd_cents: int = 2500) -> bytes:
    """An Emporium export-shaped CSV: `products` handles of `variants` rows each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for p in range(products):
        color = COLORS[p % len(COLORS)]
        for v in range(variants):
            first = v == 0
            n = p * variants + v
            price = usd_cents + (p % 40) * 100
            writer.writerow(
                [
                    f"bench-product-{p:06d}",
                    f"Bench Product {p}" if first else "",
                    f"A sturdy product number {p}, made to last." if first else "",
                    f"Brand {p % 50}" if first else "",
                    "Apparel" if first else "",
                    "bench, cotton" if first else "",
                    "active" if first else "",
                    "",
                    "",
                    "Size",
                    SIZES[v % len(SIZES)] if v < len(SIZES) else f"Size {v}",
                    "Color",
                    color,
                    f"BENCH-{p:06d}-{v:02d}",
                    str(200 + v * 10),
                    "active",
                    _ean13(n),
                    f"{price // 100}.{price % 100:02d}",
                    "",
                    f"{(price - 200) // 100}.{(price - 200) % 100:02d}",
                    "",
                ]
            )
    return out.getvalue().encode()


def _run(label: str, data: bytes, rows: int) -> None:
    from django.db import connection

    from catalog.importing import import_catalog

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(count):
        result = import_catalog(data=data, filename="bench.csv", format="emporium")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if result.has_errors:
        raise SystemExit(f"{label}: the import failed: {result.messages()[:5]}")
    print(
        f"{label:<28} {seconds:>8.1f} s {rows / seconds:>10,.0f} rows/s "
        f"{statements / rows:>8.3f} statements/row {cpu:>7.1f} s Python CPU   "
        f"({result.summary()})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--variants", type=int, default=5, help="variants per product")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL server.")
    admin_url, bench_url, name = _bench_url(url)
    _admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    os.environ["CATALOG_IMPORT_MAX_BYTES"] = str(500 * 1024 * 1024)  # the file is ~25 MB
    began = time.perf_counter()
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        rows = args.products * args.variants
        data = generate_csv(args.products, args.variants)
        repriced = generate_csv(args.products, args.variants, usd_cents=2600)
        print(
            f"database {name}; {args.products:,} products x {args.variants} variants = "
            f"{rows:,} rows, {len(data) / 1e6:.1f} MB CSV\n"
        )
        _run("import into empty catalog", data, rows)
        _run("same file again (skips)", data, rows)
        _run("every USD price changed", repriced, rows)
        connections.close_all()
    finally:
        _admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"\ndone in {time.perf_counter() - began:.0f}s; dropped {name}")


if __name__ == "__main__":
    main()
