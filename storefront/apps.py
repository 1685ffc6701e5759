from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    """The customer-facing pages, composed above every domain app (see docs/architecture.md)."""

    name = "storefront"
    verbose_name = "Storefront"
