"""Default markets and channels: seeded by migration 0002 and restored after a flush."""

MARKETS = [
    ("US", "United States", "USD", ["US"], "America/New_York", "en", 0),
    ("CA", "Canada", "CAD", ["CA"], "America/Toronto", "en", 1),
    (
        "EU",
        "Europe",
        "EUR",
        ["DE", "FR", "NL", "BE", "AT", "IE", "ES", "IT"],
        "Europe/Berlin",
        "de",
        2,
    ),
]
CHANNELS = [
    ("web", "Web storefront"),
    ("ios", "iOS app"),
    ("pos", "Point of sale"),
    ("marketplace", "Marketplace"),
]


def seed(apps, schema_editor):
    Market = apps.get_model("shop", "Market")
    Channel = apps.get_model("shop", "Channel")
    for code, name, currency, countries, tz, locale, position in MARKETS:
        Market.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "currency": currency,
                "countries": countries,
                "timezone": tz,
                "default_locale": locale,
                "position": position,
            },
        )
    for code, name in CHANNELS:
        Channel.objects.get_or_create(code=code, defaults={"name": name})
