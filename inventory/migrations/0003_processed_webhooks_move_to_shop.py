# The WMS's processed event ids move to shop.ProcessedWebhook (shop.webhooks), the one
# de-duplication every webhook uses; rows are copied before the old table is dropped.

from django.db import migrations


def _copy(schema_editor, source_table, target_table, columns, where="1 = 1", params=()):
    # INSERT ... SELECT keeps received_at as it was (a model save would stamp it anew: the
    # field is auto_now_add) and runs in one statement however many rows there are.
    quote = schema_editor.quote_name
    target_columns = ", ".join(quote(c) for c, _ in columns)
    source_columns = ", ".join(quote(c) for _, c in columns)
    schema_editor.execute(
        f"INSERT INTO {quote(target_table)} ({target_columns}) "
        # SQLite needs the WHERE to read ON CONFLICT as the upsert clause, not a join's ON.
        f"SELECT {source_columns} FROM {quote(source_table)} WHERE {where} "
        "ON CONFLICT DO NOTHING",
        params,
    )


def copy_to_shop(apps, schema_editor):
    _copy(
        schema_editor,
        apps.get_model("inventory", "ProcessedWebhook")._meta.db_table,
        apps.get_model("shop", "ProcessedWebhook")._meta.db_table,
        [("source", "source"), ("event_key", "event_id"), ("received_at", "received_at")],
    )


def copy_back(apps, schema_editor):
    # Only event ids of sources that fit the old columns go back; signature digests
    # (`<source>:signature`) had no place there.
    _copy(
        schema_editor,
        apps.get_model("shop", "ProcessedWebhook")._meta.db_table,
        apps.get_model("inventory", "ProcessedWebhook")._meta.db_table,
        [("source", "source"), ("event_id", "event_key"), ("received_at", "received_at")],
        where="LENGTH(source) <= 20 AND LENGTH(event_key) <= 128 AND source NOT LIKE %s",
        params=["%:signature"],
    )


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0002_transfer_line_quantity_min_1'),
        ('shop', '0005_processed_webhooks'),
    ]

    operations = [
        migrations.RunPython(copy_to_shop, copy_back),
        migrations.DeleteModel(
            name='ProcessedWebhook',
        ),
    ]
