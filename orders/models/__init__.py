"""Models of the orders app, one module per room: cart, order, events, payments, shipping."""

from orders.models.cart import (
    MAX_LINE_QUANTITY,
    Cart,
    CartLine,
    CartStatus,
    CheckoutStep,
    CheckoutStepEvent,
    new_cart_id,
)
from orders.models.events import NotificationKind, OrderEvent, OrderNotification
from orders.models.fraud import DEFAULT_HOLD_SCORE, FraudAssessment, FraudThreshold
from orders.models.order import (
    CANCELLABLE,
    REFUNDABLE,
    RETURNABLE,
    SHIPPABLE,
    UNPAID_STATUSES,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    new_order_id,
)
from orders.models.payments import (
    DummyCharge,
    DummyOperation,
    PaymentTransaction,
    TransactionKind,
    TransactionOutcome,
)
from orders.models.shipments import (
    OPEN_SHIPMENT_STATUSES,
    Carrier,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)
from orders.models.shipping import PPM, ShippingMethod, ShippingRate, ShippingZone, TaxRate

__all__ = [
    "CANCELLABLE",
    "MAX_LINE_QUANTITY",
    "OPEN_SHIPMENT_STATUSES",
    "PPM",
    "REFUNDABLE",
    "RETURNABLE",
    "SHIPPABLE",
    "UNPAID_STATUSES",
    "Carrier",
    "Cart",
    "CartLine",
    "CartStatus",
    "CheckoutStep",
    "CheckoutStepEvent",
    "DEFAULT_HOLD_SCORE",
    "DummyCharge",
    "DummyOperation",
    "FraudAssessment",
    "FraudThreshold",
    "NotificationKind",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderNotification",
    "OrderStatus",
    "PaymentStatus",
    "PaymentTransaction",
    "Shipment",
    "ShipmentLine",
    "ShipmentStatus",
    "ShippingMethod",
    "ShippingRate",
    "ShippingZone",
    "TaxRate",
    "TransactionKind",
    "TransactionOutcome",
    "new_cart_id",
    "new_order_id",
]
