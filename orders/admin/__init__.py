"""The Operations console for orders, and the shipping and tax tables.

orders/admin/order_admin.py    the orders changelist and the read-only order page
orders/admin/order_inlines.py  its rows: lines, payment transactions, the timeline
orders/admin/actions.py        the buttons on the order page (capture, void, cancel, refund,
                               fraud review): shown only when the order's state machine allows
                               the transition and the user may do it; each calls orders.services
orders/admin/events_admin.py   every order's events in one read-only list
orders/admin/fraud_admin.py    the fraud review queue (approve / reject) and each market's
                               review threshold
orders/admin/fulfillment.py    shipments: the fulfillment queue, create/pick/pack/ship/deliver,
                               the delivery CSV, re-routing, the order timeline, packing slips
orders/admin/rates.py          shipping methods, zones and rates (Operations), tax rates
                               (Finance); their forms in rate_forms.py

Orders are never added, edited or deleted here: an order changes only through a service
(docs/orders.md, "Admin").
"""

from orders.admin import (  # noqa: F401 - they register pages
    events_admin,
    fraud_admin,
    fulfillment,
    order_admin,
    rates,
)
