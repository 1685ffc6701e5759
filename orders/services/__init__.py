"""Every write of the orders app goes through these services (one per domain operation).

cart         create_cart, add_cart_line, open_cart_with_line, change_cart_line_quantity,
             remove_cart_line, merge_guest_cart, reprice_cart
checkout     set_checkout_contact, set_shipping_address, set_shipping_method,
             set_checkout_card, forget_stale_cards, update_checkout, record_checkout_step
placement    place_order
payments     retry_payment, capture_payment, void_payment, refund_payment
reconciliation reconcile_payments, reconcile_order_payment
cancellation cancel_order, cancel_order_lines, customer_may_cancel, expire_unpaid_orders
fraud        screen_authorized_order (called by payments), approve_review, reject_review,
             set_fraud_threshold (import orders.services.fraud)
shipments    create_shipment, start_picking_shipment, pack_shipment, ship_shipment,
             deliver_shipment, cancel_shipment, reroute_line, deliver_by_tracking_numbers,
             capture_shipment_payment, capture_placed_order
transitions  one service per transition (mark_payment_authorized, ship_order_lines, …)
order_events apply_order_event: external events, deduplicated on (order, event_id)
gateway_events apply_gateway_event: what the payment gateway's webhook reports
"""

from orders.services.cancellation import (
    cancel_order,
    cancel_order_lines,
    customer_may_cancel,
    expire_unpaid_orders,
)
from orders.services.cart import (
    add_cart_line,
    change_cart_line_quantity,
    create_cart,
    merge_guest_cart,
    open_cart_with_line,
    remove_cart_line,
    reprice_cart,
)
from orders.services.checkout import (
    forget_stale_cards,
    record_checkout_step,
    set_checkout_card,
    set_checkout_contact,
    set_shipping_address,
    set_shipping_method,
    update_checkout,
)
from orders.services.events import EventResult, EventType
from orders.services.gateway_events import GatewayEventResult, apply_gateway_event
from orders.services.order_events import EVENT_TYPES, apply_order_event
from orders.services.payments import capture_payment, refund_payment, retry_payment, void_payment
from orders.services.placement import place_order
from orders.services.reconciliation import (
    ReconcileResult,
    reconcile_order_payment,
    reconcile_payments,
)
from orders.services.shipments import (
    cancel_shipment,
    capture_placed_order,
    capture_shipment_payment,
    create_shipment,
    deliver_by_tracking_numbers,
    deliver_shipment,
    pack_shipment,
    reroute_line,
    ship_shipment,
    start_picking_shipment,
)
from orders.services.transitions import (
    approve_order_review,
    deliver_order,
    hold_order_for_review,
    lose_dispute,
    mark_order_cancelled,
    mark_payment_authorized,
    mark_payment_declined,
    open_dispute,
    record_payment_captured,
    record_payment_voided,
    record_refund,
    record_returned_lines,
    reject_order_review,
    ship_order_lines,
    win_dispute,
)

__all__ = [
    "EVENT_TYPES",
    "EventResult",
    "EventType",
    "GatewayEventResult",
    "ReconcileResult",
    "add_cart_line",
    "apply_gateway_event",
    "apply_order_event",
    "approve_order_review",
    "cancel_order",
    "cancel_order_lines",
    "cancel_shipment",
    "capture_payment",
    "capture_placed_order",
    "capture_shipment_payment",
    "change_cart_line_quantity",
    "create_cart",
    "customer_may_cancel",
    "create_shipment",
    "deliver_by_tracking_numbers",
    "deliver_order",
    "deliver_shipment",
    "expire_unpaid_orders",
    "hold_order_for_review",
    "lose_dispute",
    "mark_order_cancelled",
    "mark_payment_authorized",
    "mark_payment_declined",
    "merge_guest_cart",
    "open_cart_with_line",
    "open_dispute",
    "pack_shipment",
    "place_order",
    "reconcile_order_payment",
    "reconcile_payments",
    "record_checkout_step",
    "record_payment_captured",
    "record_payment_voided",
    "record_refund",
    "record_returned_lines",
    "refund_payment",
    "reject_order_review",
    "remove_cart_line",
    "reprice_cart",
    "reroute_line",
    "retry_payment",
    "set_checkout_card",
    "set_checkout_contact",
    "set_shipping_address",
    "set_shipping_method",
    "ship_order_lines",
    "ship_shipment",
    "start_picking_shipment",
    "update_checkout",
    "void_payment",
    "win_dispute",
    "forget_stale_cards",
]
