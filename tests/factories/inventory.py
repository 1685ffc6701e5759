import factory

from inventory.models import Location, LocationKind, StockLevel
from shop.models import Market

_MARKETS = {
    "US": ("United States", "USD", ["US"], "America/New_York"),
    "CA": ("Canada", "CAD", ["CA"], "America/Toronto"),
    "EU": ("Europe", "EUR", ["DE", "FR", "NL"], "Europe/Berlin"),
}


def market(code: str = "US") -> Market:
    """A market seeded by shop's data migration; recreated when a transactional test flushed it."""
    name, currency, countries, tz = _MARKETS[code]
    found, _ = Market.objects.get_or_create(
        code=code,
        defaults={"name": name, "currency": currency, "countries": countries, "timezone": tz},
    )
    return found


class LocationFactory(factory.django.DjangoModelFactory):
    """An active US warehouse serving the US market (pass `markets=[...]` to choose)."""

    class Meta:
        model = Location
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"loc-{n}")
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    kind = LocationKind.WAREHOUSE
    country = "US"
    priority = 100

    @factory.post_generation
    def markets(self, create, extracted, **kwargs):
        if not create:
            return
        codes = ["US"] if extracted is None else extracted
        self.markets.set([market(code) for code in codes])


def stock(variant, location, on_hand: int, *, safety_stock: int = 0) -> StockLevel:
    """Stock that exists through the real services, so the ledger matches on_hand."""
    from inventory import services

    if on_hand:
        services.receive_stock(variant=variant, location=location, quantity=on_hand)
    if safety_stock:
        services.set_safety_stock(variant=variant, location=location, safety_stock=safety_stock)
    level, _ = StockLevel.objects.get_or_create(variant=variant, location=location)
    return level
