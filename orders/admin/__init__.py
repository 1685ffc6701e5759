"""The Operations console for orders, and the shipping and tax tables.

orders/admin/order_admin.py  the orders changelist and the read-only order page (lines,
                             addresses, payments, timeline), with the order events log
orders/admin/actions.py      the buttons on the order page (capture, void, cancel, refund,
                             fraud review): shown only when the order's state machine allows
                             the transition and the user may do it; each calls orders.services
orders/admin/rates.py        shipping methods, zones and rates (Operations), tax rates (Finance)

Orders are never added, edited or deleted here: an order changes only through a service
(docs/orders.md, "Admin").
"""

from orders.admin import order_admin, rates  # noqa: F401 - they register their pages
