"""The body of POST /api/v1/orders/{id}/cancel: a reason, and (Operations) single lines."""

from rest_framework import serializers

from orders.models import MAX_LINE_QUANTITY


class CancelLineSerializer(serializers.Serializer):
    line_id = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class OrderCancelRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    lines = CancelLineSerializer(
        many=True,
        required=False,
        help_text="Operations only: cancel these units and leave the rest of the order going. "
        "Without it the whole order (everything not shipped) is cancelled.",
    )
