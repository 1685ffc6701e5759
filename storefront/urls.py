from django.urls import path

from storefront import (
    views,
    views_account,
    views_cancel,
    views_cart,
    views_checkout,
    views_drop,
    views_place,
)

# Global names like the accounts' (`login`, `signup`): `home` is the site root every page
# links to, `category`, `search` and `product` the storefront pages, `cart`, `checkout-*`,
# `account` and `order` the buying and after-buying pages (URLs of API.md "Storefront URLs").
urlpatterns = [
    path("", views.home, name="home"),
    path("c/<path:path>/", views.category_detail, name="category"),
    path("search", views.search, name="search"),
    path("search/", views.search),
    path("p/<slug:handle>/", views.product_detail, name="product"),
    path("cart/", views_cart.cart_detail, name="cart"),
    path("cart/add/", views_cart.cart_add, name="cart-add"),
    path("drop/wait/", views_drop.waiting_room, name="drop-wait"),
    path("drop/sold-out/", views_drop.sold_out, name="drop-sold-out"),
    path("cart/coupon/", views_cart.cart_coupon, name="cart-coupon"),
    path("cart/lines/<str:line_id>/", views_cart.cart_line_update, name="cart-line"),
    path("cart/lines/<str:line_id>/remove/", views_cart.cart_line_remove, name="cart-line-remove"),
    path("checkout/", views_checkout.checkout_start, name="checkout"),
    path("checkout/identify/", views_checkout.identify, name="checkout-identify"),
    path("checkout/address/", views_checkout.address, name="checkout-address"),
    path("checkout/shipping/", views_checkout.shipping, name="checkout-shipping"),
    path("checkout/payment/", views_checkout.payment, name="checkout-payment"),
    path("checkout/review/", views_checkout.review, name="checkout-review"),
    path("checkout/place/", views_place.place_order, name="checkout-place"),
    path("orders/<str:public_id>/", views_account.order_detail, name="order"),
    path("orders/<str:public_id>/cancel/", views_cancel.cancel_order, name="order-cancel"),
    path("account/", views_account.account, name="account"),
]
