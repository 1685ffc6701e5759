from django.urls import path

from orders.api import cart_views, shipment_views, views

app_name = "orders-api"

urlpatterns = [
    path("carts", cart_views.CartCreateApi.as_view(), name="carts"),
    path("carts/<str:cart_id>", cart_views.CartDetailApi.as_view(), name="cart"),
    path("carts/<str:cart_id>/lines", cart_views.CartLineCreateApi.as_view(), name="cart-lines"),
    path(
        "carts/<str:cart_id>/lines/<str:line_id>",
        cart_views.CartLineApi.as_view(),
        name="cart-line",
    ),
    path(
        "carts/<str:cart_id>/coupons",
        cart_views.CartCouponCreateApi.as_view(),
        name="cart-coupons",
    ),
    path(
        "carts/<str:cart_id>/coupons/<str:code>",
        cart_views.CartCouponDeleteApi.as_view(),
        name="cart-coupon",
    ),
    path(
        "carts/<str:cart_id>/checkout", cart_views.CartCheckoutApi.as_view(), name="cart-checkout"
    ),
    path("carts/<str:cart_id>/reprice", cart_views.CartRepriceApi.as_view(), name="cart-reprice"),
    path("orders", views.OrderCollectionApi.as_view(), name="orders"),
    path("orders/<str:order_id>", views.OrderDetailApi.as_view(), name="order"),
    path("orders/<str:order_id>/events", views.OrderEventCreateApi.as_view(), name="order-events"),
    path("orders/<str:order_id>/cancel", views.OrderCancelApi.as_view(), name="order-cancel"),
    path(
        "orders/<str:order_id>/shipments",
        shipment_views.OrderShipmentCreateApi.as_view(),
        name="order-shipments",
    ),
    path(
        "shipments/<str:shipment_id>", shipment_views.ShipmentDetailApi.as_view(), name="shipment"
    ),
    path(
        "shipments/<str:shipment_id>/ship",
        shipment_views.ShipmentShipApi.as_view(),
        name="shipment-ship",
    ),
    path(
        "shipments/<str:shipment_id>/deliver",
        shipment_views.ShipmentDeliverApi.as_view(),
        name="shipment-deliver",
    ),
    path("payments", views.PaymentCreateApi.as_view(), name="payments"),
]
