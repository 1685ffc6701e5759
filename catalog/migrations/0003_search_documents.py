"""Storefront search reads stored, weighted tsvectors (issue 9) instead of computing
`to_tsvector` over every product on every search.

ProductSearchDocument holds one document per active product and search language (English for
the US and CA markets, German for EU: the demo has German titles), kept by the catalog write
services (catalog.services.search_index). On PostgreSQL this migration adds the GIN index the
search uses and fills the documents of the products that exist; SQLite (`make run`) has no
full-text search, keeps no documents and searches the product columns instead.

SearchSynonym holds synonym groups ("t-shirt, tee, tshirt") merchandisers edit in the admin.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

INDEX = "catalog_search_document_gin"
# A frozen copy of catalog.services.search_index's statement at the time of this migration, for
# every active product (the service's later changes do not rewrite history).
BACKFILL = """
INSERT INTO catalog_productsearchdocument (product_id, language, document, currencies)
SELECT p.id, lang.code,
    setweight(to_tsvector(lang.config::regconfig, concat_ws(' ', t.title, p.title)), 'A')
    || setweight(to_tsvector(lang.config::regconfig,
        concat_ws(' ', b.name, p.product_type, cats.names)), 'B')
    || setweight(to_tsvector(lang.config::regconfig, concat_ws(' ', vals.names, skus.names)), 'C')
    || setweight(to_tsvector(lang.config::regconfig,
        coalesce(nullif(t.description, ''), p.description)), 'D'),
    coalesce(prices.currencies, '[]'::jsonb)
FROM catalog_product p
CROSS JOIN (VALUES ('en', 'english'), ('de', 'german')) AS lang(code, config)
LEFT JOIN catalog_brand b ON b.id = p.brand_id
LEFT JOIN catalog_producttranslation t ON t.product_id = p.id AND t.locale = lang.code
LEFT JOIN LATERAL (
    SELECT string_agg(DISTINCT c.name, ' ') AS names
    FROM catalog_product_categories pc
    JOIN catalog_category own ON own.id = pc.category_id
    JOIN catalog_category c ON c.path = own.path OR own.path LIKE c.path || '/%'
    WHERE pc.product_id = p.id
) cats ON true
LEFT JOIN LATERAL (
    SELECT string_agg(DISTINCT ov.value, ' ') AS names
    FROM catalog_variant v
    JOIN catalog_variant_option_values vov ON vov.variant_id = v.id
    JOIN catalog_optionvalue ov ON ov.id = vov.optionvalue_id
    WHERE v.product_id = p.id AND v.status = 'active'
) vals ON true
LEFT JOIN LATERAL (
    SELECT string_agg(v.sku, ' ') AS names
    FROM catalog_variant v WHERE v.product_id = p.id AND v.status = 'active'
) skus ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(DISTINCT vp.currency) AS currencies
    FROM catalog_variant v JOIN catalog_variantprice vp ON vp.variant_id = v.id
    WHERE v.product_id = p.id AND v.status = 'active'
) prices ON true
WHERE p.status = 'active'
ON CONFLICT (product_id, language) DO NOTHING
"""


def index_and_backfill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX {INDEX} ON catalog_productsearchdocument USING gin (document)",
        params=None,
    )
    schema_editor.execute(BACKFILL, params=None)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_variants_are_archived_never_deleted"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchSynonym",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "phrases",
                    models.CharField(
                        help_text="Same-meaning phrases, comma-separated: t-shirt, tee",
                        max_length=500,
                    ),
                ),
            ],
            options={
                "verbose_name": "search synonym group",
                "ordering": ["phrases"],
            },
        ),
        migrations.CreateModel(
            name="ProductSearchDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("language", models.CharField(max_length=10)),
                ("document", django.contrib.postgres.search.SearchVectorField()),
                ("currencies", models.JSONField(default=list)),
                (
                    "product",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="search_documents",
                        to="catalog.product",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("product", "language"), name="search_document_unique_language"
                    )
                ],
            },
        ),
        migrations.RunPython(index_and_backfill, drop_index),
    ]
