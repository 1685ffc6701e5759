import csv
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from catalog.importing import export_catalog, import_catalog
from catalog.models import (
    Brand,
    OptionValue,
    Product,
    ProductStatus,
    Variant,
    VariantIdentifier,
    VariantPrice,
)
from tests.factories.catalog import (
    BrandFactory,
    CategoryFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
    VariantIdentifierFactory,
    VariantPriceFactory,
)

pytestmark = pytest.mark.django_db

HEADER = "handle,title,status,option1_name,option1_value,sku,weight_grams,price_USD,ean"


def catalog_state():
    """Everything an import may write, as comparable values."""
    return (
        sorted(Product.objects.values_list("handle", "title", "status", "description", "tags")),
        sorted(
            Variant.objects.values_list("sku", "product__handle", "option_key", "weight_grams")
        ),
        sorted(VariantPrice.objects.values_list("variant__sku", "currency", "amount_cents")),
        sorted(VariantIdentifier.objects.values_list("variant__sku", "kind", "value")),
        sorted(OptionValue.objects.values_list("option__name", "value")),
        Brand.objects.count(),
    )


def run(text: str | bytes, name: str = "catalog.csv", **options):
    data = text.encode() if isinstance(text, str) else text
    return import_catalog(data=data, filename=name, **options)


@pytest.fixture
def catalog():
    parent = CategoryFactory(slug="apparel", name="Apparel")
    tees = CategoryFactory(slug="tees", name="Tees", parent=parent)
    product = ProductFactory(
        handle="tee", title="Tee", tags=["summer", "cotton"], brand=BrandFactory(name="Acme")
    )
    product.categories.set([parent, tees])
    color = OptionFactory(product=product, name="Color", position=0)
    size = OptionFactory(product=product, name="Size", position=1)
    red, blue = (OptionValueFactory(option=color, value=v) for v in ("Red", "Blue"))
    small = OptionValueFactory(option=size, value="S")
    VariantFactory(
        product=product, sku="TEE-R-S", option_values=[red, small], prices={"USD": 1999}
    )
    blue_s = VariantFactory(
        product=product, sku="TEE-B-S", option_values=[blue, small], prices={"USD": 2100}
    )
    VariantPriceFactory(variant=blue_s, currency="EUR", amount_cents=1900, compare_at_cents=2500)
    VariantIdentifierFactory(variant=blue_s, kind="ean", value="4006381333931")
    VariantIdentifierFactory(variant=blue_s, kind="mpn", value="MPN-77")
    plain = ProductFactory(handle="mug", title="Mug", description="Line one\nLine two", brand=None)
    VariantFactory(product=plain, sku="MUG-1", weight_grams=None, prices={"USD": 900})
    return product


def test_export_csv_has_one_row_per_variant(catalog):
    rows = list(csv.reader(io.StringIO(export_catalog(file_format="csv").decode())))

    assert ",".join(rows[0]) == (
        "handle,title,description,brand,categories,product_type,tags,status,seo_title,"
        "seo_description,option1_name,option1_value,option2_name,option2_value,option3_name,"
        "option3_value,sku,weight_grams,variant_status,gtin,ean,upc,isbn,mpn,asin,"
        "price_USD,compare_at_USD,price_CAD,compare_at_CAD,price_EUR,compare_at_EUR"
    )
    assert [row[16] for row in rows[1:]] == ["MUG-1", "TEE-R-S", "TEE-B-S"]
    assert rows[1][:4] == ["mug", "Mug", "Line one\nLine two", ""]
    assert rows[3] == [
        *["tee", "Tee", "A fine product.", "Acme", "apparel|apparel/tees", ""],
        *["summer, cotton", "active", "", ""],
        *["Color", "Blue", "Size", "S", "", ""],
        *["TEE-B-S", "250", "active"],
        *["", "4006381333931", "", "", "MPN-77", ""],
        *["21.00", "", "", "", "19.00", "25.00"],
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(catalog, file_format):
    before = catalog_state()
    data = export_catalog(file_format=file_format)

    result = run(data, name=f"catalog.{file_format}")

    assert result.messages() == []
    assert result.summary() == "0 created, 0 updated, 3 skipped, 0 warnings, 0 errors"
    assert catalog_state() == before


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_quotes_formula_text_and_import_reads_it_back_unchanged(catalog, file_format):
    catalog.title = '=HYPERLINK("http://evil.example","Tee")'
    catalog.description = "- soft cotton\n- pre-washed"
    catalog.save()
    before = catalog_state()

    data = export_catalog(file_format=file_format)
    result = run(data, name=f"catalog.{file_format}")

    if file_format == "csv":
        text = data.decode()
        assert "'=HYPERLINK(" in text and "'- soft cotton" in text
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        titles = [row[1].value for row in sheet.iter_rows(min_row=2)]
        assert '\'=HYPERLINK("http://evil.example","Tee")' in titles
        assert all(row[1].data_type == "s" for row in sheet.iter_rows(min_row=2))
    assert result.messages() == []
    assert catalog_state() == before


def test_import_creates_products_options_variants_prices_and_identifiers(db):
    text = (
        f"{HEADER}\n"
        "hoodie,Hoodie,active,Size,S,HD-S,500.4,49.00,4006381333931\n"
        "hoodie,,,,M,HD-M,500.5,49,\n"
    )

    result = run(text)

    assert result.summary() == "2 created, 0 updated, 0 skipped, 0 warnings, 0 errors"
    product = Product.objects.get(handle="hoodie")
    assert (product.title, product.status, product.published_at is not None) == (
        "Hoodie",
        ProductStatus.ACTIVE,
        True,
    )
    assert [v.value for v in product.options.get().values.all()] == ["S", "M"]
    assert sorted(Variant.objects.values_list("sku", "weight_grams")) == [
        ("HD-M", 501),
        ("HD-S", 500),
    ]
    assert sorted(VariantPrice.objects.values_list("variant__sku", "amount_cents")) == [
        ("HD-M", 4900),
        ("HD-S", 4900),
    ]
    assert list(VariantIdentifier.objects.values_list("variant__sku", "kind", "value")) == [
        ("HD-S", "ean", "4006381333931")
    ]


def test_import_updates_a_price_and_reports_one_update(catalog):
    before_skus = sorted(Variant.objects.values_list("sku", flat=True))

    result = run("handle,sku,price_USD\ntee,TEE-B-S,22.00\nmug,MUG-1,9.00\n")

    assert result.summary() == "0 created, 1 updated, 1 skipped, 0 warnings, 0 errors"
    assert VariantPrice.objects.get(variant__sku="TEE-B-S", currency="USD").amount_cents == 2200
    assert sorted(Variant.objects.values_list("sku", flat=True)) == before_skus


def test_import_dry_run_writes_nothing(db):
    result = run(f"{HEADER}\nhoodie,Hoodie,active,Size,S,HD-S,500,49.00,\n", dry_run=True)

    assert result.summary() == "1 created, 0 updated, 0 skipped, 0 warnings, 0 errors"
    assert (result.committed, Product.objects.count()) == (False, 0)


def test_import_utf8_with_bom_is_read(db):
    result = run(("\ufeffhandle,title,sku\ncafe,Café crème,CAFE-1\n").encode())

    assert result.messages() == []
    assert Product.objects.get().title == "Café crème"


@pytest.mark.parametrize(
    ("data", "name", "messages"),
    [
        (b"", "c.csv", ["The file is empty."]),
        (b"title,price_USD\nx,1\n", "c.csv", ["Required columns are missing: handle, sku."]),
        (
            b"Handle,Title,Variant SKU\nx,X,S-1\n",
            "c.csv",
            [
                "Required columns are missing: sku. This looks like a Shopify export: "
                "choose the shopify format."
            ],
        ),
        (b"handle,sku\n", "c.csv", ["The file has a header but no rows to import."]),
        (
            "handle,title,sku\ncafe,Caf\u00e9,C-1\n".encode("latin-1"),
            "c.csv",
            [
                "The file is not UTF-8 text (byte 0xE9 at position 25). Save it as 'CSV UTF-8' "
                "and upload it again."
            ],
        ),
        (
            "handle,title,sku\ncafe,Cafe,C-1\n".encode("utf-16"),
            "c.csv",
            [
                "The file is UTF-16 or binary, not a UTF-8 CSV. In your spreadsheet choose "
                "'CSV UTF-8' (or upload an .xlsx workbook)."
            ],
        ),
        (
            b"\x8b\x01random bytes, not a zip",
            "c.xlsx",
            [
                "The file is not a readable XLSX workbook (BadZipFile). Save it again from your "
                "spreadsheet as .xlsx or as CSV UTF-8."
            ],
        ),
        (
            b"handle,sku,price_XYZ\nx,S-1,1\n",
            "c.csv",
            ["Column price_XYZ: 'XYZ' is not an ISO 4217 currency code."],
        ),
    ],
)
def test_import_bad_file_is_refused_and_changes_nothing(catalog, data, name, messages):
    before = catalog_state()

    result = run(data, name=name)

    assert result.messages() == messages
    assert result.committed is False
    assert catalog_state() == before


@pytest.mark.parametrize(
    ("rows", "messages"),
    [
        (
            ["new,New,draft,Size,S,NEW-1,10,-1.00,"],
            ["Row 2: error: price_USD: '-1.00' is negative; prices are 0 or more."],
        ),
        (
            ["new,New,draft,Size,S,NEW-1,10,12.345,"],
            ["Row 2: error: price_USD: '12.345' has more than 2 decimal places for USD"],
        ),
        (
            ["new,New,draft,Size,S,NEW-1,ten,1.00,"],
            ["Row 2: error: weight_grams: 'ten' is not a number of grams."],
        ),
        (
            ["new,New,draft,Size,S,NEW-1,10,1.00,4006381333932"],
            ["Row 2: error: ean: '4006381333932' has a wrong check digit for a EAN."],
        ),
        (
            ["new,New,draft,Size,S,NEW-1,10,1.00,", "new,,,,M,NEW-1,10,1.00,"],
            ["Row 3: error: sku: SKU NEW-1 is also on row 2."],
        ),
        (
            ["new,New,draft,Size,S,NEW-1,10,1.00,", "new,,,,s,NEW-2,10,1.00,"],
            ["Row 3: error: options: Same options (S) as row 2."],
        ),
        (
            ["new,New,draft,Size,S,TEE-R-S,10,1.00,"],
            ["Row 2: error: sku: SKU TEE-R-S belongs to product tee."],
        ),
        (
            ["new,New,draft,Size,S,NEW-1,10,1.00,4006381333931"],
            ["Row 2: error: ean: EAN 4006381333931 is used by TEE-B-S."],
        ),
        (
            ["new,New,live,Size,S,NEW-1,10,1.00,"],
            ["Row 2: error: status: 'live' is not a status (draft, active, archived)."],
        ),
        (
            ["new,,draft,Size,S,NEW-1,10,1.00,"],
            ["Row 2: error: title: A new product needs a title."],
        ),
        (
            ["new,New,draft,Size,,NEW-1,10,1.00,"],
            ["Row 2: error: option1_value: A value for option Size is required."],
        ),
        (
            ["ok,Fine,draft,Size,S,OK-1,10,1.00,", "tee,Tee,active,Fit,Slim,TEE-R-S,250,19.99,"],
            [
                "Row 3: error: options: The options differ from the product's (Color, Size); "
                "change options in the admin."
            ],
        ),
    ],
)
def test_import_row_error_refuses_whole_file(catalog, rows, messages):
    before = catalog_state()

    result = run("\n".join([HEADER, *rows]) + "\n")

    assert result.messages() == messages
    assert result.committed is False
    assert catalog_state() == before


def test_import_file_over_size_limit_is_refused(catalog, settings):
    settings.CATALOG_IMPORT_MAX_BYTES = 20
    before = catalog_state()

    result = run("handle,title,sku\nlong,Long,LONG-1\n")

    assert result.messages() == [
        "The file is 34 bytes; the largest accepted is 20 bytes. Split it into several files."
    ]
    assert catalog_state() == before


def test_import_xlsx_with_numeric_cells_is_read(db):
    book = openpyxl.Workbook()
    book.active.append(["handle", "title", "sku", "weight_grams", "price_USD"])
    book.active.append(["cap", "Cap", "CAP-1", 120, 19.99])
    buffer = io.BytesIO()
    book.save(buffer)

    result = run(buffer.getvalue(), name="upload.xlsx")

    assert result.messages() == []
    assert list(Variant.objects.values_list("sku", "weight_grams", "prices__amount_cents")) == [
        ("CAP-1", 120, 1999)
    ]


def test_import_catalog_command_reports_summary(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("handle,title,sku,price_USD\ncap,Cap,CAP-1,5\n")

    call_command("import_catalog", str(path))

    assert "Imported: 1 created, 0 updated, 0 skipped, 0 warnings, 0 errors." in (
        capsys.readouterr().out
    )
    assert Variant.objects.get().sku == "CAP-1"


def test_import_catalog_command_with_errors_exits_non_zero(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("handle,title,sku,price_USD\ncap,Cap,CAP-1,-5\n")

    with pytest.raises(CommandError) as exc:
        call_command("import_catalog", str(path))

    assert (
        str(exc.value)
        == "Nothing was imported: 0 created, 0 updated, 0 skipped, 0 warnings, 1 errors."
    )
    assert "Row 2: error: price_USD: '-5' is negative" in capsys.readouterr().err
    assert Product.objects.count() == 0


def test_export_catalog_command_writes_xlsx(catalog, tmp_path):
    path = tmp_path / "out.xlsx"

    call_command("export_catalog", str(path))

    sheet = openpyxl.load_workbook(path).active
    assert [row[16] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "MUG-1",
        "TEE-R-S",
        "TEE-B-S",
    ]


def test_import_command_refuses_a_50_mb_file_without_reading_it(db, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as sparse:  # 50 MB on paper, no disk used
        sparse.truncate(50 * 1024 * 1024)
    before = catalog_state()

    with pytest.raises(CommandError, match="The file is 52,428,800 bytes; the largest accepted"):
        call_command("import_catalog", str(path))

    assert catalog_state() == before


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            'handle,title,sku\ntee,"Tee,TEE-9\n',
            ["The CSV is malformed: unexpected end of data."],
        ),
        (
            "handle,title,sku\ntee,Tee,TEE-9,surprise\n",
            ["Row 2 has 4 cells but the header names only 3."],
        ),
        ("handle,sku,sku\ntee,TEE-9,TEE-9\n", ["Columns appear more than once: sku."]),
        (
            "handle,sku,price_USD,compare_at_USD\ntee,TEE-9,abc,\n",
            ["Row 2: error: price_USD: 'abc' is not a number"],
        ),
        (
            "handle,sku,price_USD,compare_at_USD\ntee,TEE-9,,5.00\n",
            ["Row 2: error: compare_at_USD: A compare-at price needs a price_USD."],
        ),
    ],
)
def test_import_malformed_file_or_cells_change_nothing(catalog, text, messages):
    before = catalog_state()

    result = run(text)

    assert result.messages() == messages
    assert catalog_state() == before


def test_import_refuses_a_new_sku_with_the_options_of_an_existing_variant(catalog):
    before = catalog_state()
    text = (
        "handle,option1_name,option1_value,option2_name,option2_value,sku,price_USD\n"
        "tee,Color,Red,Size,S,TEE-R-S-2,19.99\n"
    )

    result = run(text)

    assert result.messages() == ["Row 2: error: options: SKU TEE-R-S already has options Red / S."]
    assert catalog_state() == before
