from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        from django.db.models.signals import post_delete, post_migrate, post_save

        from orders import switches
        from orders.metrics import order_figures, payment_figures
        from orders.models import ShippingMethod, ShippingRate, ShippingZone, TaxRate
        from orders.providers.tables import forget_rate_tables
        from shop.metrics import register_metric_source
        from shop.models import KillSwitchKind
        from shop.ports import register_kill_switch_targets

        post_migrate.connect(
            _ensure_shipping_and_tax, sender=self, dispatch_uid="orders.ensure_defaults"
        )
        # Cache invalidation only: checkout prices with the cached rate tables.
        for model in (ShippingMethod, ShippingZone, ShippingRate, TaxRate):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_rate_tables,
                    sender=model,
                    dispatch_uid=f"orders.rates.{model.__name__}.{signal}",
                )
        register_kill_switch_targets(
            KillSwitchKind.SHIPPING_METHOD, switches.shipping_method_targets
        )
        register_kill_switch_targets(
            KillSwitchKind.PAYMENT_METHOD, lambda: list(switches.PAYMENT_METHODS)
        )
        register_metric_source("orders", order_figures)
        register_metric_source("payments", payment_figures)


def _ensure_shipping_and_tax(sender, **kwargs):
    # Migration 0003 seeds shipping and tax rates once; a database flushed since (transactional
    # tests, `manage.py flush`) gets them back, as checkout refuses to sell without them.
    from orders.models import ShippingMethod, TaxRate

    if ShippingMethod.objects.exists() or TaxRate.objects.exists():
        return
    from django.apps import apps as global_apps

    from orders.migrations import _defaults

    _defaults.seed(global_apps, None)
    from orders.providers.tables import forget_rate_tables

    forget_rate_tables()
