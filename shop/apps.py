from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"

    def ready(self):
        from django.db.models.signals import post_migrate

        post_migrate.connect(_refresh_roles, sender=self, dispatch_uid="shop.refresh_roles")


def _refresh_roles(sender, **kwargs):
    # Groups follow the models: after every migrate the role rules are applied again.
    # Permissions of apps listed after `shop` are not created yet when our signal fires.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from shop.roles import setup_roles

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", "default"))
    setup_roles()
