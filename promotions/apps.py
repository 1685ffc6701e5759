from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = "Promotions"

    def ready(self):
        from promotions.seeding import seed_demo_promotions
        from shop.models import KillSwitchKind
        from shop.ports import register_demo_seeder, register_kill_switch_targets

        # The kill switch form offers the promotions by id and name (a typo cannot miss one).
        register_kill_switch_targets(KillSwitchKind.PROMOTION, _promotion_targets)
        register_demo_seeder("promotions", seed_demo_promotions, order=70)


def _promotion_targets() -> list[tuple[str, str]]:
    from promotions.models import Promotion

    return [(pk, f"{pk} — {name}") for pk, name in Promotion.objects.values_list("pk", "name")]
