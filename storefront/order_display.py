"""How carts and orders read to a customer: the totals block and the order's timeline.

Amounts come from orders.quote (a cart) or the order's snapshots; nothing is computed here
but their presentation. Where prices include tax (EU VAT) customers read gross amounts and
"including VAT"; elsewhere subtotal, shipping and tax add up to the total line by line.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import allocation
from orders.models import Order, OrderEvent, OrderStatus, PaymentStatus, ShipmentStatus
from orders.quote import Quote
from shop.money import Money


@dataclass(frozen=True)
class SummaryRow:
    label: str
    amount: Money | None  # None: not known yet (`note` says when it will be)
    note: str = ""
    is_total: bool = False
    is_discount: bool = False

    @property
    def text(self) -> str:
        """What the amount column reads: "$5.00", "−$5.00", "Free", "Calculated at checkout"."""
        if self.amount is None or (self.note and not self.amount.cents):
            return self.note
        return f"−{self.amount}" if self.is_discount else str(self.amount)


def _rows(
    *,
    currency: str,
    inclusive: bool,
    items_listed: int,
    subtotal: int,
    discount: int,
    shipping: int | None,
    shipping_tax: int,
    tax: int | None,
    total: int,
) -> list[SummaryRow]:
    def money(cents: int) -> Money:
        return Money(cents, currency)

    if inclusive:
        shipping_gross = None if shipping is None else shipping + shipping_tax
        # The discount as listed is what is left once the gross amounts meet the total.
        listed_discount = items_listed + (shipping_gross or 0) - total
        rows = [SummaryRow(_("Subtotal"), money(items_listed))]
        if listed_discount > 0:
            rows.append(SummaryRow(_("Discount"), money(listed_discount), is_discount=True))
        rows.append(_shipping_row(shipping_gross, money))
        rows.append(SummaryRow(_("Total"), money(total), is_total=True))
        if tax:
            rows.append(SummaryRow(_("Including VAT"), money(tax)))
        return rows
    rows = [SummaryRow(_("Subtotal"), money(subtotal))]
    if discount:
        rows.append(SummaryRow(_("Discount"), money(discount), is_discount=True))
    rows.append(_shipping_row(shipping, money))
    if tax is None:
        rows.append(SummaryRow(_("Tax"), None, _("Calculated at checkout")))
        rows.append(SummaryRow(_("Estimated total"), money(total), is_total=True))
    else:
        rows.append(SummaryRow(_("Tax"), money(tax)))
        rows.append(SummaryRow(_("Total"), money(total), is_total=True))
    return rows


def _shipping_row(cents: int | None, money) -> SummaryRow:
    if cents is None:
        return SummaryRow(_("Shipping"), None, _("Calculated at checkout"))
    if cents == 0:
        return SummaryRow(_("Shipping"), money(0), _("Free"))
    return SummaryRow(_("Shipping"), money(cents))


def quote_summary(quote: Quote, *, with_tax: bool) -> list[SummaryRow]:
    """The totals block of a priced cart (shipping once a method is chosen, tax once known)."""
    shipping = quote.shipping_total_cents if quote.shipping_option is not None else None
    return _rows(
        currency=quote.currency,
        inclusive=quote.prices_include_tax and with_tax,
        items_listed=sum(line.amount_cents for line in quote.lines),
        subtotal=quote.subtotal_cents,
        discount=quote.discount_total_cents,
        shipping=shipping,
        shipping_tax=quote.shipping_tax_cents,
        tax=quote.tax_total_cents if with_tax else None,
        total=quote.total_cents,
    )


def order_summary(order: Order) -> list[SummaryRow]:
    """The totals block of an order (reads `order.lines`: prefetch them). Units cancelled
    from an order that goes on are taken off the total by what they are worth (their share
    of shipping, discounts and tax included: orders.allocation, docs/orders.md), so the
    customer sees what the order now costs."""
    rows = _rows(
        currency=order.currency,
        inclusive=order.prices_include_tax,
        items_listed=sum(line.unit_price_cents * line.quantity for line in order.lines.all()),
        subtotal=order.subtotal_cents,
        discount=order.discount_total_cents,
        shipping=order.shipping_total_cents,
        shipping_tax=order.shipping_tax_cents,
        tax=order.tax_total_cents,
        total=order.total_cents,
    )
    lines = list(order.lines.all())
    cancelled = {line.pk: line.quantity_cancelled for line in lines if line.quantity_cancelled}
    if cancelled and order.status != OrderStatus.CANCELLED:
        worth = allocation.cancelled_worth(allocation.order_unit_shares(order), {}, cancelled)
        rows.append(
            SummaryRow(_("Cancelled items"), Money(worth, order.currency), is_discount=True)
        )
        rows.append(
            SummaryRow(
                _("New total"),
                Money(order.total_cents - worth, order.currency),
                is_total=True,
            )
        )
    return rows


@dataclass(frozen=True)
class OrderLineRow:
    title: str
    variant_title: str
    quantity: int
    amount: Money  # quantity × the unit price as listed
    cancelled: int = 0  # units cancelled before they shipped
    gift: bool = False  # a free gift a promotion gave


def order_lines(order: Order) -> list[OrderLineRow]:
    """The order's lines as bought (reads `order.lines`: prefetch them)."""
    return [
        OrderLineRow(
            line.title,
            line.variant_title,
            line.quantity,
            Money(line.unit_price_cents * line.quantity, order.currency),
            line.quantity_cancelled,
            bool(line.gift_promotion),
        )
        for line in order.lines.all()
    ]


# What each event means to the customer; events not listed (notes for Operations such as a
# timed-out gateway call or a failed void) stay off the customer's timeline.
EVENT_LABELS = {
    "order.created": gettext_lazy("Order received"),
    "payment.authorized": gettext_lazy("Payment approved — order confirmed"),
    "payment.declined": gettext_lazy("Payment declined"),
    "payment.retried": gettext_lazy("Payment tried again"),
    "payment.captured": gettext_lazy("Payment taken"),
    "payment.voided": gettext_lazy("Payment released"),
    "refund.created": gettext_lazy("Refund issued"),
    "order.cancelled": gettext_lazy("Order cancelled"),
    "order.lines_cancelled": gettext_lazy("Some items cancelled"),
    "checkout.expired": gettext_lazy("Cancelled: the payment did not arrive in time"),
    "fraud.review_required": gettext_lazy("Being checked by our team"),
    "fraud.approved": gettext_lazy("Check passed"),
    "fraud.rejected": gettext_lazy("Cancelled after our check"),
    "shipment.shipped": gettext_lazy("Shipped"),
    "shipment.delivered": gettext_lazy("Delivered"),
    "rma.completed": gettext_lazy("Return received"),
    "chargeback.notice": gettext_lazy("Payment disputed"),
    "chargeback.won": gettext_lazy("Dispute closed"),
    "chargeback.lost": gettext_lazy("Dispute closed"),
}


@dataclass(frozen=True)
class TimelineEntry:
    label: str
    status: str
    at: object  # an aware datetime


def timeline(order: Order) -> list[TimelineEntry]:
    """The order's story for its customer, oldest first (reads `order.events`)."""
    entries = []
    for event in order.events.all():
        if event.type not in EVENT_LABELS or not _shown(event):
            continue
        entries.append(
            TimelineEntry(
                label=str(EVENT_LABELS[event.type]),
                status=OrderStatus(event.to_status).label if event.to_status else "",
                at=event.created_at,
            )
        )
    return entries


def _shown(event: OrderEvent) -> bool:
    # A late answer about an attempt the order no longer waits for changes nothing; some
    # items cancelled changes no state but the customer must see it.
    return event.type in ("order.created", "order.lines_cancelled") or event.changed_state


STATUS_MESSAGES = {
    OrderStatus.PENDING_PAYMENT: gettext_lazy(
        "We are waiting for the payment provider to confirm your payment."
    ),
    OrderStatus.PAYMENT_FAILED: gettext_lazy("The payment did not go through."),
    OrderStatus.PLACED: gettext_lazy("Your order is confirmed and will ship soon."),
    OrderStatus.ON_HOLD: gettext_lazy("Your order is being checked before it ships."),
    OrderStatus.CANCELLED: gettext_lazy("This order was cancelled."),
    OrderStatus.PARTIALLY_FULFILLED: gettext_lazy(
        "Part of your order is on its way; the rest follows in another parcel."
    ),
    OrderStatus.FULFILLED: gettext_lazy("Everything is on its way."),
    OrderStatus.DELIVERED: gettext_lazy("Your order was delivered."),
}


def status_message(order: Order) -> str:
    message = STATUS_MESSAGES.get(order.status)
    return str(message) if message else OrderStatus(order.status).label


def payment_label(order: Order) -> str:
    return str(PaymentStatus(order.payment_status).label)


@dataclass(frozen=True)
class ShipmentItem:
    title: str
    variant_title: str
    quantity: int


@dataclass(frozen=True)
class ShipmentRow:
    """One parcel as its customer reads it: what is in it, who carries it, where to track."""

    public_id: str
    status: str
    status_label: str
    carrier: str
    tracking_number: str
    tracking_url: str
    items: list[ShipmentItem]
    shipped_at: object
    delivered_at: object


SHIPMENT_LABELS = {
    ShipmentStatus.PENDING: gettext_lazy("Being prepared"),
    ShipmentStatus.PICKING: gettext_lazy("Being prepared"),
    ShipmentStatus.PACKED: gettext_lazy("Packed, leaving soon"),
    ShipmentStatus.SHIPPED: gettext_lazy("On its way"),
    ShipmentStatus.DELIVERED: gettext_lazy("Delivered"),
}


def order_shipments(order: Order) -> list[ShipmentRow]:
    """The order's parcels, cancelled ones left out (reads `order.shipments` with their
    lines: orders.selectors prefetches them)."""
    return [
        ShipmentRow(
            public_id=shipment.public_id,
            status=shipment.status,
            status_label=str(SHIPMENT_LABELS[shipment.status]),
            carrier=shipment.carrier_name,
            tracking_number=shipment.tracking_number,
            tracking_url=shipment.tracking_url,
            items=[
                ShipmentItem(sl.order_line.title, sl.order_line.variant_title, sl.quantity)
                for sl in shipment.lines.all()
            ],
            shipped_at=shipment.shipped_at,
            delivered_at=shipment.delivered_at,
        )
        for shipment in order.shipments.all()
        if shipment.status != ShipmentStatus.CANCELLED
    ]
