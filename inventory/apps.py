from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self):
        # Inventory serves the catalog through the catalog's ports (catalog/ports.py): the
        # catalog never imports inventory, so this is the one place the two are wired together.
        from catalog import ports as catalog_ports
        from inventory.metrics import reservation_figures
        from inventory.seeding import seed_inventory
        from inventory.selectors import available_quantities, list_location_choices
        from inventory.services.stock import apply_catalog_import_counts
        from shop import ports as shop_ports
        from shop.metrics import register_metric_source

        catalog_ports.register_availability(available_quantities)
        catalog_ports.register_stock_counts(apply_catalog_import_counts)
        catalog_ports.register_stock_locations(list_location_choices)
        shop_ports.register_demo_seeder("inventory", seed_inventory, order=30)
        register_metric_source("reservations", reservation_figures)
