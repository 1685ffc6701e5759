"""Cart and order lines get opaque public ids (the API's line `id`); orders remember when the
current payment attempt started (reconciliation asks the gateway about attempts older than N).
"""

from django.db import migrations, models

import orders.models.cart
import orders.models.order


def fill_public_ids(apps, schema_editor):
    for model, make in (
        ("CartLine", orders.models.cart.new_cart_line_id),
        ("OrderLine", orders.models.order.new_order_line_id),
    ):
        Model = apps.get_model("orders", model)
        for row in Model.objects.filter(public_id__isnull=True).only("pk"):
            Model.objects.filter(pk=row.pk).update(public_id=make())


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_seed_shipping_and_tax")]

    operations = [
        migrations.AddField(
            model_name="cartline",
            name="public_id",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.AddField(
            model_name="orderline",
            name="public_id",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="cartline",
            name="public_id",
            field=models.CharField(
                default=orders.models.cart.new_cart_line_id,
                editable=False,
                max_length=32,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="public_id",
            field=models.CharField(
                default=orders.models.order.new_order_line_id,
                editable=False,
                max_length=32,
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="payment_attempted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
