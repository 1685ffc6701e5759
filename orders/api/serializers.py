"""Request and response shapes of the cart, checkout, order and payment API (API.md).

Input serializers check shape and type only (a quantity is a JSON integer, a token a string
of at most 64 characters); the services check the rules and name each problem. Output
serializers render the dicts built in orders.api.shapes, so the OpenAPI document and the
answers cannot drift apart.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.addresses import MAX_LENGTHS
from orders.models import MAX_LINE_QUANTITY, Carrier, OrderStatus, PaymentStatus, ShipmentStatus
from orders.services import EVENT_TYPES
from shop.api.serializers import MoneySerializer
from shop.models import Channel

# Far above any real order, far below BigIntegerField's limit: a bigger number is a typo or
# an attack, and must be a 400, never a database overflow.
MAX_AMOUNT_CENTS = 10**12


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer: "5", 5.0 and true are refused (DRF's IntegerField would take them)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- Input ----------------------------------------------------------------------------


class CartCreateSerializer(serializers.Serializer):
    market = serializers.CharField(max_length=8, help_text="Market code: US, CA or EU.")
    channel = serializers.ChoiceField(choices=Channel.Kind.choices, default=Channel.Kind.WEB)


class CartLineCreateSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class CartLineUpdateSerializer(serializers.Serializer):
    quantity = StrictIntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class CouponSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)


def _address_field(name: str, **kwargs):
    # No max_length here: the service checks lengths with every other address rule, so all
    # address problems come back alike (`shipping_address.<field>`).
    kwargs.setdefault("help_text", f"At most {MAX_LENGTHS[name]} characters.")
    return serializers.CharField(required=False, allow_blank=True, **kwargs)


class AddressInputSerializer(serializers.Serializer):
    """Which fields a country requires and how its postal codes look is checked by the
    checkout service, which names every problem at once (`shipping_address.<field>`)."""

    name = _address_field("name")
    line1 = _address_field("line1")
    line2 = _address_field("line2", allow_null=True)
    city = _address_field("city")
    region = _address_field("region", allow_null=True, help_text="State or province (US, CA).")
    postal_code = _address_field("postal_code")
    country = _address_field("country", help_text="ISO 3166 alpha-2 code, e.g. US.")
    phone = _address_field("phone", allow_null=True)


class CheckoutSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    shipping_address = AddressInputSerializer()
    shipping_method = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=40,
        help_text="A code from the cart's `shipping_rates`; left out, a chosen method stays "
        "while it still ships to the address.",
    )


class PaymentMethodSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=["card"])
    token = serializers.CharField(
        max_length=64, help_text="A card token (test tokens: API.md, e.g. tok_visa)."
    )


class OrderCreateSerializer(serializers.Serializer):
    cart = serializers.CharField(max_length=32, help_text="The cart's id (cart_…).")
    payment = PaymentMethodSerializer()


class OrderListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OrderStatus.choices, required=False)


class EventLineSerializer(serializers.Serializer):
    line_id = serializers.CharField(max_length=32)
    quantity = StrictIntegerField(min_value=1, max_value=1_000_000)


class EventPayloadSerializer(serializers.Serializer):
    """The keys the transitions read; any other key is kept on the event as it came."""

    amount = StrictIntegerField(
        required=False, min_value=0, max_value=MAX_AMOUNT_CENTS, help_text="Minor units."
    )
    lines = EventLineSerializer(many=True, required=False, allow_empty=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=120)
    decline_code = serializers.CharField(required=False, allow_blank=True, max_length=64)


class OrderEventCreateSerializer(serializers.Serializer):
    event_id = serializers.CharField(
        max_length=128, help_text="Your id for this event; sending it again changes nothing."
    )
    type = serializers.ChoiceField(choices=EVENT_TYPES)
    payload = EventPayloadSerializer(required=False)

    def validate(self, attrs):
        # Keep the keys the payload serializer does not know (a carrier, a note...).
        raw = self.initial_data.get("payload") if isinstance(self.initial_data, dict) else None
        known = attrs.get("payload", {})
        attrs["payload"] = {**raw, **known} if isinstance(raw, dict) else dict(known)
        return attrs


class OrderCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT_CENTS},
            {
                "type": "object",
                "properties": {
                    "amount": {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT_CENTS},
                    "currency": {"type": "string"},
                },
                "required": ["amount", "currency"],
            },
        ],
        "description": "Minor units of the order's currency, or Money "
        '`{"amount", "currency"}` in the order\'s currency.',
    }
)
class AmountField(serializers.Field):
    """Minor units, as an integer or as Money; returns (cents, currency or None)."""

    default_error_messages = {
        # Braces doubled: DRF formats these messages.
        "invalid": 'Give whole minor units (500) or {{"amount": 500, "currency": "USD"}}.',
        "range": f"Between 1 and {MAX_AMOUNT_CENTS}.",
    }

    def to_internal_value(self, data):
        currency = None
        if isinstance(data, dict):
            if set(data) != {"amount", "currency"} or not isinstance(data["currency"], str):
                self.fail("invalid")
            data, currency = data["amount"], data["currency"].upper()
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        if not 1 <= data <= MAX_AMOUNT_CENTS:
            self.fail("range")
        return data, currency

    def to_representation(self, value):
        return value


class PaymentCreateSerializer(serializers.Serializer):
    order = serializers.CharField(max_length=32, help_text="The order's id (ord_…).")
    action = serializers.ChoiceField(choices=["authorize", "capture", "void", "refund"])
    amount = AmountField(
        required=False,
        help_text="capture: at most the authorized amount (default all of it); refund: at "
        "most what is captured and not yet refunded (default all of that).",
    )
    token = serializers.CharField(
        required=False,
        max_length=64,
        help_text="authorize only: the new card token to retry a payment_failed order with.",
    )

    def validate(self, attrs):
        action = attrs["action"]
        if action == "authorize" and not attrs.get("token"):
            raise serializers.ValidationError({"token": ["A card token is needed to authorize."]})
        if action != "authorize" and "token" in attrs:
            raise serializers.ValidationError({"token": ["Only authorize takes a token."]})
        if action in ("authorize", "void") and "amount" in attrs:
            raise serializers.ValidationError(
                {"amount": [f"{action} always covers the order's total; leave amount out."]}
            )
        return attrs


# --- Output ---------------------------------------------------------------------------


class AddressSerializer(serializers.Serializer):
    name = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField(allow_blank=True)
    city = serializers.CharField()
    region = serializers.CharField(allow_blank=True)
    postal_code = serializers.CharField(allow_blank=True)
    country = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)


class LineDiscountSerializer(serializers.Serializer):
    promotion = serializers.CharField(help_text="The promotion's id (promo_…).")
    amount = MoneySerializer()


class CartLineSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The line's id (cli_…; gift_<promotion> for a gift).")
    sku = serializers.CharField()
    title = serializers.CharField()
    variant_title = serializers.CharField(allow_blank=True)
    gift = serializers.BooleanField(
        help_text="A free gift a promotion added at zero price: its quantity cannot be changed; "
        "it goes when the cart no longer earns it."
    )
    gift_promotion = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField()
    unit_price = MoneySerializer(help_text="Today's price, as listed.")
    subtotal = MoneySerializer(help_text="Net of included tax where prices include it.")
    discounts = LineDiscountSerializer(many=True)
    discount = MoneySerializer()
    tax = MoneySerializer()
    total = MoneySerializer(help_text="subtotal - discount + tax.")


class UnavailableLineSerializer(serializers.Serializer):
    id = serializers.CharField()
    sku = serializers.CharField()
    title = serializers.CharField()
    quantity = serializers.IntegerField()


class PromotionSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    amount = MoneySerializer()


class PromotionNotAppliedSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    reason = serializers.CharField(
        help_text="min_subtotal_not_met, min_quantity_not_met, not_stackable_with:<id>, "
        "or (for a code on the cart) any reason of docs/promotions.md"
    )
    amount_needed = MoneySerializer(required=False, help_text="min_subtotal_not_met: add this")
    quantity_needed = serializers.IntegerField(required=False)
    hint = serializers.CharField(
        required=False, help_text='"Add $12.00 more to get 15% off hoodies and tees"'
    )


class PriceChangeSerializer(serializers.Serializer):
    line_id = serializers.CharField()
    sku = serializers.CharField()
    old_price = MoneySerializer()
    new_price = MoneySerializer()
    message = serializers.CharField()


class ShippingRateSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    price = MoneySerializer()
    min_days = serializers.IntegerField(allow_null=True)
    max_days = serializers.IntegerField(allow_null=True)


class CartSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="cart_…: whoever holds it may use a guest's cart.")
    status = serializers.ChoiceField(choices=["open", "converted", "abandoned"])
    order = serializers.CharField(
        allow_null=True, help_text="The order this cart became (ord_…), once placed."
    )
    market = serializers.CharField()
    channel = serializers.CharField()
    currency = serializers.CharField()
    email = serializers.CharField(allow_blank=True)
    lines = CartLineSerializer(many=True)
    unavailable_lines = UnavailableLineSerializer(
        many=True,
        help_text="Lines that can no longer be bought (archived, inactive, no price): remove "
        "them to check out. They count in no total.",
    )
    promotions = PromotionSerializer(many=True)
    promotions_not_applied = PromotionNotAppliedSerializer(many=True)
    price_changes = PriceChangeSerializer(
        many=True,
        help_text="Prices that changed since the lines were added. Totals use today's prices; "
        "POST /orders refuses (409 price_changed) until POST /carts/{id}/reprice accepts them.",
    )
    subtotal = MoneySerializer()
    discount_total = MoneySerializer()
    shipping_total = MoneySerializer()
    tax_total = MoneySerializer()
    total = MoneySerializer(help_text="subtotal - discount_total + shipping_total + tax_total.")
    prices_include_tax = serializers.BooleanField()
    shipping_address = AddressSerializer(allow_null=True)
    shipping_method = serializers.CharField(allow_null=True)
    shipping_rates = ShippingRateSerializer(
        many=True, help_text="The methods that ship these lines to the address (none before)."
    )


class PromotionNoteSerializer(serializers.Serializer):
    promotion = serializers.CharField()
    name = serializers.CharField()
    reason = serializers.CharField(help_text='"gift out of stock"')


class OrderLineSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The line's id (oli_…).")
    sku = serializers.CharField()
    title = serializers.CharField()
    variant_title = serializers.CharField(allow_blank=True)
    quantity = serializers.IntegerField()
    gift = serializers.BooleanField(help_text="A free gift a promotion gave at zero price.")
    gift_promotion = serializers.CharField(allow_null=True)
    unit_price = MoneySerializer()
    subtotal = MoneySerializer()
    discount = MoneySerializer()
    tax = MoneySerializer()
    total = MoneySerializer()
    quantity_fulfilled = serializers.IntegerField()
    quantity_cancelled = serializers.IntegerField(help_text="Units cancelled before they shipped.")
    quantity_returned = serializers.IntegerField()


# `from` is a Python keyword: the fields are given as a mapping.
OrderEventSerializer = type(
    "OrderEventSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "One entry of the order's timeline (notes leave `from` equal to `to`).",
        "type": serializers.CharField(),
        "from": serializers.CharField(allow_blank=True),
        "to": serializers.CharField(allow_blank=True),
        "payment_from": serializers.CharField(allow_blank=True),
        "payment_to": serializers.CharField(allow_blank=True),
        "actor": serializers.CharField(
            help_text="customer, guest, staff, system, gateway, checkout, reconciliation…"
        ),
        "at": serializers.DateTimeField(),
    },
)


class ShipmentLineSerializer(serializers.Serializer):
    line_id = serializers.CharField(help_text="The order line (oli_…)")
    sku = serializers.CharField()
    title = serializers.CharField()
    quantity = serializers.IntegerField()


class ShipmentSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="shp_…")
    order = serializers.CharField(help_text="ord_…")
    status = serializers.ChoiceField(choices=ShipmentStatus.choices)
    location = serializers.CharField(help_text="The stock location it leaves from")
    carrier = serializers.ChoiceField(choices=Carrier.choices, allow_null=True)
    carrier_name = serializers.CharField(allow_null=True)
    tracking_number = serializers.CharField(allow_null=True)
    tracking_url = serializers.CharField(allow_null=True)
    lines = ShipmentLineSerializer(many=True)
    captured = MoneySerializer(help_text="Captured when it shipped (capture on shipment)")
    created_at = serializers.DateTimeField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(
        allow_null=True, help_text="The return window counts from this date"
    )
    cancelled_at = serializers.DateTimeField(allow_null=True)


class ShippingMethodRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class OrderSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="ord_…")
    reference = serializers.CharField(help_text="The order number customers read out.")
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    payment_status = serializers.ChoiceField(choices=PaymentStatus.choices)
    email = serializers.CharField()
    market = serializers.CharField()
    currency = serializers.CharField()
    lines = OrderLineSerializer(many=True)
    subtotal = MoneySerializer()
    discount_total = MoneySerializer()
    shipping_total = MoneySerializer()
    tax_total = MoneySerializer()
    total = MoneySerializer()
    refunded_total = MoneySerializer()
    promotion_notes = PromotionNoteSerializer(
        many=True, help_text="What a promotion could not give, e.g. a gift out of stock."
    )
    prices_include_tax = serializers.BooleanField()
    shipping_address = AddressSerializer()
    shipping_method = ShippingMethodRefSerializer()
    shipments = ShipmentSerializer(many=True)
    events = OrderEventSerializer(many=True)
    order_url = serializers.CharField(
        help_text="The order's storefront page; signed for guest orders, whose buyers see "
        "them there (guests have no API account)."
    )
    placed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class OrderListPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = OrderSerializer(many=True)


class OrderEventResultSerializer(serializers.Serializer):
    applied = serializers.BooleanField(help_text="false: this event_id was seen before.")
    order = OrderSerializer()
