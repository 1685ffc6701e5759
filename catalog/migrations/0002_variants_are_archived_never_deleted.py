"""Variants are archived, never deleted, so a SKU is never reused.

Issue 6: removing a variant used to delete its row, after which the same SKU could be created
on another product. Two ways to make reuse impossible were weighed: a separate, never-deleted
registry of SKUs written beside each variant, or keeping every variant row. We keep the rows:
"remove" archives the variant (status `archived`), so the existing unique index on
`catalog_variant.sku` already covers every SKU ever saved, history (orders, stock ledger) keeps
pointing at a real variant, and there is no second table to keep in step with the first.

The database holds the line whatever the caller:
- products PROTECT their variants (a product with variants cannot be deleted; archive it);
- a trigger refuses every DELETE on catalog_variant (PostgreSQL and SQLite, which `make run`
  uses), raised as an integrity error (SQLSTATE 23001 restrict_violation on PostgreSQL);
- an archived variant frees its option combination (the unique index is partial), so a
  merchandiser can remove "Red / M" and add it again under a new SKU.

TRUNCATE (test database resets) does not fire DELETE triggers. On SQLite, a later migration
that rebuilds catalog_variant drops the trigger: re-run `install_delete_guard` there.
"""

import django.db.models.deletion
from django.db import migrations, models

GUARD = "catalog_variant_never_deleted"
MESSAGE = "variants are archived, never deleted: a SKU is never reused"

POSTGRESQL_INSTALL = f"""
CREATE OR REPLACE FUNCTION {GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (SKU %)', OLD.sku USING ERRCODE = 'restrict_violation';
END;
$$;
DROP TRIGGER IF EXISTS {GUARD} ON catalog_variant;
CREATE TRIGGER {GUARD} BEFORE DELETE ON catalog_variant
    FOR EACH ROW EXECUTE FUNCTION {GUARD}();
"""
POSTGRESQL_REMOVE = f"""
DROP TRIGGER IF EXISTS {GUARD} ON catalog_variant;
DROP FUNCTION IF EXISTS {GUARD}();
"""
SQLITE_INSTALL = f"""
CREATE TRIGGER IF NOT EXISTS {GUARD} BEFORE DELETE ON catalog_variant
BEGIN
    SELECT RAISE(ABORT, '{MESSAGE}');
END;
"""
SQLITE_REMOVE = f"DROP TRIGGER IF EXISTS {GUARD};"


def _run(schema_editor, sql_by_vendor: dict[str, str]) -> None:
    sql = sql_by_vendor.get(schema_editor.connection.vendor)
    if sql is None:
        raise RuntimeError(f"No variant delete guard for {schema_editor.connection.vendor}.")
    schema_editor.execute(sql, params=None)  # no placeholders: the SQL has a literal %


def install_delete_guard(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL})


def remove_delete_guard(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE})


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="variant",
            name="variant_unique_option_combination",
        ),
        migrations.RemoveConstraint(
            model_name="variant",
            name="variant_status_valid",
        ),
        migrations.AlterField(
            model_name="variant",
            name="product",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="variants",
                to="catalog.product",
            ),
        ),
        migrations.AlterField(
            model_name="variant",
            name="status",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("inactive", "Inactive"),
                    ("archived", "Archived (removed)"),
                ],
                default="active",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="variant",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "archived"), _negated=True),
                fields=("product", "option_key"),
                name="variant_unique_option_combination",
            ),
        ),
        migrations.AddConstraint(
            model_name="variant",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["active", "inactive", "archived"])),
                name="variant_status_valid",
            ),
        ),
        migrations.RunPython(install_delete_guard, remove_delete_guard),
    ]
