from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"

    def ready(self):
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_migrate, post_save
        from django.middleware import csrf

        from shop import checks, ports, speedups  # noqa: F401 - checks registers the deploy checks
        from shop.models import Market
        from shop.prepared import keep_generic_plans
        from shop.random_strings import mask_csrf_secret, random_string
        from shop.seeding import seed_demo_users

        ports.register_demo_seeder("users", seed_demo_users, order=10)
        connection_created.connect(keep_generic_plans, dispatch_uid="shop.keep_generic_plans")
        # CSRF secrets and masks from one urandom read each, not one per character, and masked
        # through a table: the names csrf.py calls (tests/shop/test_random_strings.py checks it
        # still does).
        csrf.get_random_string = random_string
        csrf._mask_cipher_secret = mask_csrf_secret
        speedups.install()
        post_migrate.connect(_refresh_roles, sender=self, dispatch_uid="shop.refresh_roles")
        post_migrate.connect(_ensure_markets, sender=self, dispatch_uid="shop.ensure_markets")
        # Cache invalidation only: an edited market shows up on the next request.
        for signal in (post_save, post_delete):
            signal.connect(_forget_markets, sender=Market, dispatch_uid=f"shop.markets.{signal}")


def _forget_markets(sender, **kwargs):
    from shop.selectors import clear_market_cache

    instance = kwargs.get("instance")
    clear_market_cache(market_code=getattr(instance, "code", None))


def _refresh_roles(sender, **kwargs):
    # Groups follow the models: after every migrate the role rules are applied again.
    # Permissions of apps listed after `shop` are not created yet when our signal fires.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from shop.roles import setup_roles

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", "default"))
    setup_roles()


def _ensure_markets(sender, **kwargs):
    # The data migration seeds the default markets and channels once; a database flushed since
    # (transactional tests, `manage.py flush`) gets them back, as the shop cannot run without.
    from shop.models import Channel, Market

    if Market.objects.exists() and Channel.objects.exists():
        return
    from django.apps import apps as global_apps

    from shop.migrations import _defaults

    _defaults.seed(global_apps, None)
