from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self):
        # Inventory serves the catalog through the catalog's ports (catalog/ports.py): the
        # catalog never imports inventory, so this is the one place the two are wired together.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from catalog import ports as catalog_ports
        from inventory.availability_cache import kept_available_quantities, locations_changed
        from inventory.metrics import reservation_figures
        from inventory.models import Location
        from inventory.seeding import seed_inventory
        from inventory.selectors import list_location_choices
        from inventory.services.stock import apply_catalog_import_counts
        from shop import ports as shop_ports
        from shop.metrics import register_metric_source

        # What pages show: kept per process under versions every stock write bumps.
        catalog_ports.register_availability(kept_available_quantities)
        catalog_ports.register_stock_counts(apply_catalog_import_counts)
        catalog_ports.register_stock_locations(list_location_choices)
        shop_ports.register_demo_seeder("inventory", seed_inventory, order=30)
        register_metric_source("reservations", reservation_figures)
        # Cache invalidation only: which locations serve a market changes every availability.
        for signal in (post_save, post_delete):
            signal.connect(
                locations_changed, sender=Location, dispatch_uid=f"inventory.locations.{signal}"
            )
        m2m_changed.connect(
            locations_changed,
            sender=Location.markets.through,
            dispatch_uid="inventory.location_markets",
        )
