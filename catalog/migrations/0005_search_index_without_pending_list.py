"""The search GIN indexes take each write at once (`fastupdate = off`).

With GIN's default fast update a write goes to the index's pending list, and every search
reads that whole list (up to gin_pending_list_limit, 4 MB) until VACUUM merges it. After a
bulk import of 100,000 products the list held ~5,500 documents and a new search's id query
took ~9 ms of PostgreSQL instead of ~4 (docs/storefront.md "Search"); a shop whose
autovacuum comes round late pays that on every search. Searches are read far more often than
products are written: writes pay instead (rebuilding every document of 100,000 products,
~22 s -> ~32 s). PostgreSQL only, as migrations 0003 and 0004.
"""

from django.db import migrations

INDEXES = ("catalog_search_document_en_gin", "catalog_search_document_de_gin")


def without_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {index} SET (fastupdate = off)")
        # Turning fast update off keeps what is already pending: merge it now.
        schema_editor.execute(
            "SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname = %s",
            params=[index],
        )


def with_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in INDEXES:
        schema_editor.execute(f"ALTER INDEX IF EXISTS {index} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0004_search_document_index_per_language"),
    ]

    operations = [migrations.RunPython(without_pending_list, with_pending_list)]
