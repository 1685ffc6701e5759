from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = "Returns"

    def ready(self):
        from returns.seeding import seed_return_policies
        from shop import ports as shop_ports

        shop_ports.register_demo_seeder("returns", seed_return_policies, order=60)
