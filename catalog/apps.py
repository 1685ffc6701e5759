from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        # The catalog's own plug-ins into the core (see shop/ports.py). The catalog's ports for
        # the apps above it (catalog/ports.py) are filled in by those apps' ready().
        from catalog.seeding import seed_demo_catalog
        from shop import ports as shop_ports

        shop_ports.register_demo_seeder("catalog", seed_demo_catalog, order=20)
