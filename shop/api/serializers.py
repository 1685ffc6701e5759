"""Shapes shared by every app's API: the error body and money."""

from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every error response: `{"code", "detail", "fields"?}` (see shop.api.errors)."""

    code = serializers.CharField(help_text="snake_case error code.")
    detail = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.JSONField(
        required=False,
        help_text="Problems by field, mirroring the body: {field: [messages]}; list items are "
        'keyed by their index, e.g. {"variants": {"2": {"sku": ["…"]}}}. At most 50 messages.',
    )
    more_errors = serializers.IntegerField(
        required=False, help_text="How many problems `fields` leaves out (past its 50)."
    )


class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Integer minor units (1999 = 19.99).")
    currency = serializers.CharField(help_text="ISO 4217 code.")
