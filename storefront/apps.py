from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    """The customer-facing pages, composed above every domain app (see docs/architecture.md)."""

    name = "storefront"
    verbose_name = "Storefront"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from storefront.carts import merge_carts_on_login

        # A guest's cart joins the customer's cart when they sign in (orders' merge service).
        user_logged_in.connect(merge_carts_on_login, dispatch_uid="storefront.merge_carts")
