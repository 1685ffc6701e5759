"""The batched import writer: statements per batch do not grow with its rows; same rules."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.management import call_command

from catalog.importers.base import ImportResult, read_table
from catalog.importers.emporium import parse
from catalog.importing import import_catalog
from catalog.models import Product, Variant, VariantIdentifier, VariantPrice
from catalog.services.batch_writing import write_products
from tests.factories.shop import StaffFactory

pytestmark = pytest.mark.django_db

HEADER = "handle,title,status,option1_name,option1_value,sku,weight_grams,ean,price_USD,price_EUR"
SIZES = ("XS", "S", "M", "L", "XL")


def _ean(n: int) -> str:
    body = f"20{n:010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def catalog_csv(products: int, *, usd: str = "25.00") -> bytes:
    lines = [HEADER]
    for p in range(products):
        for v, size in enumerate(SIZES):
            n = p * len(SIZES) + v
            title = f"Product {p}" if v == 0 else ""
            lines.append(
                f"p-{p},{title},active,Size,{size},P{p}-{size},{200 + v},{_ean(n)},{usd},23.00"
            )
    return ("\n".join(lines) + "\n").encode()


def run(data: bytes, **options):
    result = import_catalog(data=data, filename="c.csv", **options)
    assert result.messages() == []
    return result


# Parsing and the plan checks read nothing; a batch reads what exists in a fixed number of
# queries and writes each kind of row in one or two statements.
MAX_QUERIES_PER_BATCH = 30


@pytest.mark.parametrize("products", [2, 150])
def test_creating_a_batch_takes_the_same_few_statements_for_10_or_750_rows(
    products, django_assert_max_num_queries
):
    data = catalog_csv(products)

    with django_assert_max_num_queries(MAX_QUERIES_PER_BATCH):
        result = run(data)

    assert result.counts["created"] == products * 5
    assert Variant.objects.count() == products * 5
    assert VariantPrice.objects.filter(currency="USD", amount_cents=2500).count() == products * 5
    assert VariantIdentifier.objects.count() == products * 5


@pytest.mark.parametrize("products", [2, 150])
def test_updating_a_batch_takes_the_same_few_statements_for_10_or_750_rows(
    products, django_assert_max_num_queries
):
    run(catalog_csv(products))

    with django_assert_max_num_queries(MAX_QUERIES_PER_BATCH):
        result = run(catalog_csv(products, usd="26.50"))

    assert (
        result.summary() == f"0 created, {products * 5} updated, 0 skipped, 0 warnings, 0 errors"
    )
    assert set(
        VariantPrice.objects.filter(currency="USD").values_list("amount_cents", flat=True)
    ) == {2650}


def test_a_file_over_several_batches_writes_every_row_and_reports_progress():
    table = read_table(catalog_csv(7))
    result = ImportResult(format="emporium", dry_run=False)
    specs = parse(table, result)
    seen = []

    write_products(specs=specs, report=result, batch_rows=10, progress=seen.append)

    assert seen == [10, 10, 10, 5]  # two products (10 rows) per batch, then the last one
    assert result.summary() == "35 created, 0 updated, 0 skipped, 0 warnings, 0 errors"
    assert sorted(Product.objects.values_list("handle", flat=True)) == [f"p-{n}" for n in range(7)]
    assert Variant.objects.count() == 35


def test_each_product_created_or_changed_gets_one_history_row_naming_the_importer():
    staff = StaffFactory(email="importer@example.com")
    table = read_table(catalog_csv(3))
    result = ImportResult(format="emporium", dry_run=False)
    write_products(specs=parse(table, result), report=result, actor=staff)
    changed = read_table(
        f"{HEADER}\np-0,Product 0,active,Size,XS,P0-XS,200,{_ean(0)},30.00,23.00\n".encode()
    )
    again = ImportResult(format="emporium", dry_run=False)

    write_products(specs=parse(changed, again), report=again, actor=staff)

    entries = LogEntry.objects.filter(user=staff).order_by("pk")
    assert [(e.object_repr, e.action_flag, e.change_message) for e in entries] == [
        ("Product 0", ADDITION, "Created by import with 5 variant(s)."),
        ("Product 1", ADDITION, "Created by import with 5 variant(s)."),
        ("Product 2", ADDITION, "Created by import with 5 variant(s)."),
        ("Product 0", CHANGE, "Changed by import: variants."),
    ]


def test_the_command_shows_a_progress_bar_over_the_files_rows(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_bytes(catalog_csv(2))

    call_command("import_catalog", str(path))

    assert "10/10" in capsys.readouterr().err  # tqdm: rows written of the file's rows
    assert Variant.objects.count() == 10
