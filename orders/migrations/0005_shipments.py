"""Shipments: parcels of an order from one location, their lines, and shipment e-mails."""

import django.db.models.deletion
import django_fsm
from django.conf import settings
from django.db import migrations, models

import orders.models.shipments


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_processed_webhooks_move_to_shop"),
        ("orders", "0004_line_public_ids"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="ordernotification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("order_placed", "Order confirmation"),
                    ("payment_failed", "Payment failed"),
                    ("order_cancelled", "Order cancelled"),
                    ("shipment_shipped", "Shipment on its way"),
                    ("shipment_delivered", "Shipment delivered"),
                ],
                max_length=24,
            ),
        ),
        migrations.CreateModel(
            name="Shipment",
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
                    "public_id",
                    models.CharField(
                        default=orders.models.shipments.new_shipment_id,
                        editable=False,
                        max_length=32,
                        unique=True,
                    ),
                ),
                (
                    "status",
                    django_fsm.FSMField(
                        choices=[
                            ("pending", "Pending"),
                            ("picking", "Picking"),
                            ("packed", "Packed"),
                            ("shipped", "Shipped"),
                            ("delivered", "Delivered"),
                            ("cancelled", "Cancelled"),
                        ],
                        default="pending",
                        max_length=12,
                        protected=True,
                    ),
                ),
                (
                    "carrier",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("ups", "UPS"),
                            ("usps", "USPS"),
                            ("fedex", "FedEx"),
                            ("dhl", "DHL Express"),
                            ("canada_post", "Canada Post"),
                            ("royal_mail", "Royal Mail"),
                            ("dpd", "DPD"),
                            ("gls", "GLS"),
                            ("local_courier", "Local courier"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "tracking_number",
                    models.CharField(
                        blank=True,
                        max_length=40,
                        validators=[orders.models.shipments.validate_tracking_number],
                    ),
                ),
                (
                    "tracking_url",
                    models.CharField(
                        blank=True,
                        max_length=500,
                        validators=[orders.models.shipments.validate_tracking_url],
                    ),
                ),
                (
                    "captured_cents",
                    models.BigIntegerField(
                        default=0,
                        help_text="Money captured when this shipment shipped",
                    ),
                ),
                ("picking_at", models.DateTimeField(blank=True, null=True)),
                ("packed_at", models.DateTimeField(blank=True, null=True)),
                ("shipped_at", models.DateTimeField(blank=True, null=True)),
                (
                    "delivered_at",
                    models.DateTimeField(
                        blank=True, help_text="The return window counts from this date", null=True
                    ),
                ),
                ("cancelled_at", models.DateTimeField(blank=True, null=True)),
                ("cancel_reason", models.CharField(blank=True, max_length=255)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "location",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="shipments",
                        to="inventory.location",
                    ),
                ),
                (
                    "order",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="shipments",
                        to="orders.order",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "pk"],
            },
            bases=(django_fsm.ConcurrentTransitionMixin, models.Model),
        ),
        migrations.AddField(
            model_name="ordernotification",
            name="shipment",
            field=models.ForeignKey(
                blank=True,
                help_text="The parcel a shipped/delivered e-mail is about",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notifications",
                to="orders.shipment",
            ),
        ),
        migrations.CreateModel(
            name="ShipmentLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("quantity", models.PositiveIntegerField()),
                (
                    "order_line",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="shipment_lines",
                        to="orders.orderline",
                    ),
                ),
                (
                    "reservation",
                    models.ForeignKey(
                        blank=True,
                        help_text="The picking hold these units come from (in_transit_out)",
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="inventory.reservation",
                    ),
                ),
                (
                    "shipment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="orders.shipment",
                    ),
                ),
            ],
            options={
                "ordering": ["pk"],
            },
        ),
        migrations.AddIndex(
            model_name="shipment",
            index=models.Index(fields=["status", "location"], name="shipment_status_loc_idx"),
        ),
        migrations.AddConstraint(
            model_name="shipment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "status__in",
                        ["pending", "picking", "packed", "shipped", "delivered", "cancelled"],
                    )
                ),
                name="shipment_status_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="shipment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("carrier", ""),
                    (
                        "carrier__in",
                        [
                            "ups",
                            "usps",
                            "fedex",
                            "dhl",
                            "canada_post",
                            "royal_mail",
                            "dpd",
                            "gls",
                            "local_courier",
                        ],
                    ),
                    _connector="OR",
                ),
                name="shipment_carrier_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="shipment",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    models.Q(("tracking_number", ""), _negated=True),
                    models.Q(("status", "cancelled"), _negated=True),
                ),
                fields=("tracking_number",),
                name="shipment_tracking_number_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="shipment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["pending", "picking", "packed", "cancelled"]),
                    models.Q(
                        models.Q(("carrier", ""), _negated=True),
                        models.Q(("tracking_number", ""), _negated=True),
                    ),
                    _connector="OR",
                ),
                name="shipment_shipped_has_tracking",
            ),
        ),
        migrations.AddConstraint(
            model_name="shipment",
            constraint=models.CheckConstraint(
                condition=models.Q(("captured_cents__gte", 0)), name="shipment_captured_gte_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="shipmentline",
            constraint=models.CheckConstraint(
                condition=models.Q(("quantity__gt", 0)), name="shipment_line_quantity_gt_0"
            ),
        ),
        migrations.AddConstraint(
            model_name="shipmentline",
            constraint=models.UniqueConstraint(
                fields=("shipment", "order_line"), name="shipment_line_unique"
            ),
        ),
    ]
