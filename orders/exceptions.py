"""The orders app's refusals. Every interface turns them into its own error shape (API.md)."""

from shop.exceptions import Conflict, DomainError, NotFound, ValidationFailed


class CartNotFound(NotFound):
    """No such cart."""

    code = "cart_not_found"


class CartLineNotFound(NotFound):
    """No such line in this cart."""

    code = "cart_line_not_found"


class GiftLineNotEditable(Conflict):
    """A free gift comes and goes with its promotion: it cannot be changed or removed."""

    code = "gift_line_not_editable"


class CartNotOpen(Conflict):
    """The cart has already become an order (or was abandoned)."""

    code = "cart_not_open"

    def __init__(self, detail: str = "", *, order_id: str | None = None):
        super().__init__(detail or "This cart has already been checked out.", order_id=order_id)
        self.order_id = order_id


class EmptyCart(ValidationFailed):
    code = "cart_empty"

    def __init__(self):
        super().__init__("The cart is empty.", fields={"lines": ["Add something first."]})


class InvalidCartQuantity(ValidationFailed):
    code = "invalid_quantity"


class VariantUnavailable(ValidationFailed):
    """The product is unknown, not for sale, or has no price in this market."""

    code = "variant_unavailable"

    def __init__(self, detail: str, *, skus: list[str]):
        super().__init__(detail, fields={"sku": skus}, skus=skus)
        self.skus = skus


class PriceChanged(DomainError):
    """Prices changed since the items were added: the buyer must see them before paying."""

    code = "price_changed"
    status_code = 409

    def __init__(self, changes):
        self.changes = list(changes)
        lines = "; ".join(change.message for change in self.changes)
        super().__init__(
            f"Prices changed since you added these items: {lines}.",
            changes=[change.as_dict() for change in self.changes],
        )


class InvalidAmount(ValidationFailed):
    code = "invalid_amount"


class InvalidAddress(ValidationFailed):
    code = "invalid_address"


class InvalidEmail(ValidationFailed):
    code = "invalid_email"


class InvalidCard(ValidationFailed):
    """The storefront's card on file is missing a part (token, last four digits, session)."""


class InvalidShippingMethod(ValidationFailed):
    code = "invalid_shipping_method"


class CheckoutIncomplete(ValidationFailed):
    """Something the order needs is missing (e-mail, address, shipping method)."""

    code = "checkout_incomplete"


class OrderNotFound(NotFound):
    """No such order, or not one you may see (API: 404, never 403)."""

    code = "order_not_found"

    def __init__(self, detail: str = "No such order."):
        super().__init__(detail)


class CheckoutDisabled(DomainError):
    """Operations switched checkout (or the market's) off with a kill switch: nothing is placed."""

    code = "checkout_disabled"
    status_code = 503

    def __init__(self):
        super().__init__("Checkout is switched off for the moment; please try again later.")


class ShippingMethodUnavailable(DomainError):
    """Operations switched this shipping method off (a kill switch): choose another one."""

    code = "shipping_method_unavailable"
    status_code = 422

    def __init__(self, method: str):
        super().__init__(
            f"Shipping method '{method}' is switched off for the moment; choose another one.",
            method=method,
        )
        self.fields = {"shipping_method": [f"{method} is switched off."]}


class PaymentMethodUnavailable(DomainError):
    """Operations switched this payment method off (a kill switch)."""

    code = "payment_method_unavailable"
    status_code = 422

    def __init__(self, method: str):
        super().__init__(
            f"Payment method '{method}' is switched off for the moment.", method=method
        )
        self.fields = {"payment": [f"{method} is switched off."]}


class CouponInvalid(DomainError):
    """No promotion uses that code (in this market, now)."""

    code = "coupon_invalid"
    status_code = 422


class InvalidOrderTransition(Conflict):
    """The order cannot do that in its current state."""

    code = "invalid_transition"

    def __init__(self, *, order, action: str, detail: str = ""):
        super().__init__(
            detail
            or f"Order {order.reference} cannot {action.replace('_', ' ')} while "
            f"{order.status.replace('_', ' ')} (payment {order.payment_status}).",
            order_id=order.public_id,
            action=action,
            status=order.status,
            payment_status=order.payment_status,
        )


class LineNotCancellable(Conflict):
    """Fewer units of the line are left unshipped than the cancellation names."""

    code = "line_not_cancellable"

    def __init__(self, *, line, requested: int, free: int, packing: dict):
        in_shipment = packing.get(line.pk, 0)
        parts = [f"{line.quantity_fulfilled} shipped", f"{line.quantity_cancelled} cancelled"]
        if in_shipment:
            parts.append(f"{in_shipment} in a shipment being packed (cancel it first)")
        super().__init__(
            f"Only {max(free, 0)} of {line.sku} can be cancelled ({', '.join(parts)}).",
            line_id=line.public_id,
            requested=requested,
            cancellable=max(free, 0),
        )


class UnknownOrderEvent(ValidationFailed):
    code = "unknown_event_type"


class PaymentFailed(DomainError):
    """The payment gateway refused or could not be reached."""

    code = "payment_failed"
    status_code = 502


class EventIdConflict(Conflict):
    """This event id was already used for a different event on this order."""

    code = "event_id_reused"


class ShipmentNotFound(NotFound):
    """No such shipment (or not one you may see)."""

    code = "shipment_not_found"

    def __init__(self, detail: str = "No such shipment."):
        super().__init__(detail)


class InvalidShipment(ValidationFailed):
    """The shipment's lines, quantities or location are not right for this order."""

    code = "invalid_shipment"


class UnknownCarrier(ValidationFailed):
    code = "unknown_carrier"


class InvalidTracking(ValidationFailed):
    """A tracking number or URL that is empty, too long, or not plain text."""

    code = "invalid_tracking"


class InvalidShipmentTransition(Conflict):
    """The shipment cannot do that in its current state."""

    code = "invalid_transition"

    def __init__(self, *, shipment, action: str, detail: str = ""):
        super().__init__(
            detail
            or f"Shipment {shipment.public_id} cannot {action.replace('_', ' ')} while "
            f"{shipment.status}.",
            shipment_id=shipment.public_id,
            action=action,
            status=shipment.status,
        )


class UnknownTrackingNumbers(ValidationFailed):
    """A delivery list names parcels we do not know (nothing was marked delivered)."""

    code = "unknown_tracking_numbers"


class PurchaseLimitExceeded(DomainError):
    """The drop's purchase limit for this variant would be passed."""

    code = "purchase_limit_exceeded"
    status_code = 422

    def __init__(self, *, sku: str, limit: int, scope: str, already: int, requested: int):
        allowed = max(0, limit - already)
        where = "per order" if scope == "order" else "per customer"
        super().__init__(
            f"{sku} is limited to {limit} {where}; you can add {allowed} more.",
            sku=sku,
            limit=limit,
            scope=scope,
            allowed=allowed,
        )
        self.sku, self.limit, self.scope, self.allowed = sku, limit, scope, allowed
