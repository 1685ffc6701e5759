"""Input and output shapes of the returns API (API.md "Returns")."""

from __future__ import annotations

from rest_framework import serializers

from orders.api.serializers import StrictIntegerField
from returns.models import Disposition, ReceptionOutcome, ReturnReason, ReturnStatus
from shop.api.serializers import MoneySerializer


class ReturnLineInputSerializer(serializers.Serializer):
    line_id = serializers.CharField(max_length=64, help_text="oli_… of the order")
    # Any integer reaches the service, which names the problem (zero, negative, too many).
    quantity = StrictIntegerField()
    reason = serializers.ChoiceField(choices=ReturnReason.choices)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ReturnCreateSerializer(serializers.Serializer):
    order = serializers.CharField(max_length=64, help_text="ord_…")
    lines = ReturnLineInputSerializer(many=True, allow_empty=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ReceiveLineSerializer(serializers.Serializer):
    line_id = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=0)
    outcome = serializers.ChoiceField(choices=ReceptionOutcome.choices, required=False)
    condition_notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ReceiveSerializer(serializers.Serializer):
    lines = ReceiveLineSerializer(
        many=True, required=False, help_text="Default: everything requested arrived."
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class InspectLineSerializer(serializers.Serializer):
    line_id = serializers.CharField(max_length=64)
    disposition = serializers.ChoiceField(choices=Disposition.choices)
    location = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text="Location code"
    )
    condition_notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class InspectSerializer(serializers.Serializer):
    lines = InspectLineSerializer(many=True, allow_empty=False)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ReturnLineSerializer(serializers.Serializer):
    line_id = serializers.CharField()
    sku = serializers.CharField()
    title = serializers.CharField()
    quantity = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=ReturnReason.choices)
    note = serializers.CharField()
    received_quantity = serializers.IntegerField(allow_null=True)
    reception_outcome = serializers.CharField()
    disposition = serializers.CharField()
    location = serializers.CharField(allow_null=True)
    refund_estimate = MoneySerializer()
    refund = MoneySerializer(allow_null=True)


# `from` is a Python keyword: the fields are given as a mapping.
ReturnEventSerializer = type(
    "ReturnEventSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "One entry of the return's timeline.",
        "type": serializers.CharField(),
        "from": serializers.CharField(allow_blank=True),
        "to": serializers.CharField(allow_blank=True),
        "actor": serializers.CharField(help_text="customer, staff, system, auto-approve"),
        "note": serializers.CharField(allow_blank=True),
        "at": serializers.DateTimeField(),
    },
)


class ReturnSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="rma_…")
    reference = serializers.CharField()
    order = serializers.CharField(help_text="ord_…")
    status = serializers.ChoiceField(choices=ReturnStatus.choices)
    lines = ReturnLineSerializer(many=True)
    refund_estimate = MoneySerializer()
    refund = MoneySerializer(allow_null=True)
    refund_breakdown = serializers.DictField(allow_empty=True)
    refund_error = serializers.CharField()
    label_url = serializers.CharField(allow_null=True)
    tracking_number = serializers.CharField()
    message = serializers.CharField()
    events = ReturnEventSerializer(many=True)
    created_at = serializers.DateTimeField()
