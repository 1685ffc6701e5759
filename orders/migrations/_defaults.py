"""Default shipping methods, zones, rates and tax rates for the seeded markets (US, CA, EU).

Seeded by migration 0003 and by tests after a flush (`seed(django.apps.apps, None)`). Rates
are examples a shop would start from, not tax advice: US rates are state-level only.
Idempotent: existing rows (by natural key) are left as the shop edited them.
"""

METHODS = [
    # code, name, description, min_days, max_days, position
    ("standard", "Standard shipping", "Tracked, 3–7 business days", 3, 7, 0),
    ("express", "Express shipping", "Tracked, 1–2 business days", 1, 2, 1),
]

ZONES = [
    ("United States", ["US"], []),
    ("US remote (Alaska, Hawaii)", ["US"], ["US-AK", "US-HI"]),
    ("Canada", ["CA"], []),
    ("Europe", ["DE", "FR", "NL", "BE", "AT", "IE", "ES", "IT"], []),
]

# zone, method, currency, price_cents, min_weight_grams, max_weight_grams, free_over_cents
RATES = [
    ("United States", "standard", "USD", 599, 0, 2000, 5000),
    ("United States", "standard", "USD", 999, 2000, 10000, 5000),
    ("United States", "standard", "USD", 1999, 10000, None, None),
    ("United States", "express", "USD", 1499, 0, 2000, None),
    ("United States", "express", "USD", 2499, 2000, None, None),
    ("US remote (Alaska, Hawaii)", "standard", "USD", 1499, 0, None, None),
    ("US remote (Alaska, Hawaii)", "express", "USD", 3499, 0, None, None),
    ("Canada", "standard", "CAD", 899, 0, 2000, 7500),
    ("Canada", "standard", "CAD", 1499, 2000, None, None),
    ("Canada", "express", "CAD", 1999, 0, 2000, None),
    ("Canada", "express", "CAD", 2999, 2000, None, None),
    ("Europe", "standard", "EUR", 499, 0, 2000, 5000),
    ("Europe", "standard", "EUR", 899, 2000, None, None),
    ("Europe", "express", "EUR", 1499, 0, None, None),
]

# country, region, name, rate_ppm, prices_include_tax, applies_to_shipping
TAX_RATES = [
    ("US", "", "No sales tax", 0, False, False),
    ("US", "NY", "New York State sales tax", 40_000, False, True),
    ("US", "CA", "California sales tax", 72_500, False, False),
    ("US", "TX", "Texas sales tax", 62_500, False, True),
    ("US", "WA", "Washington sales tax", 65_000, False, True),
    ("US", "NJ", "New Jersey sales tax", 66_250, False, True),
    ("CA", "", "GST", 50_000, False, True),
    ("CA", "ON", "HST", 130_000, False, True),
    ("CA", "QC", "GST + QST", 149_750, False, True),
    ("CA", "BC", "GST + PST", 120_000, False, False),
    ("DE", "", "MwSt.", 190_000, True, True),
    ("FR", "", "TVA", 200_000, True, True),
    ("NL", "", "btw", 210_000, True, True),
    ("BE", "", "TVA/BTW", 210_000, True, True),
    ("AT", "", "USt.", 200_000, True, True),
    ("IE", "", "VAT", 230_000, True, True),
    ("ES", "", "IVA", 210_000, True, True),
    ("IT", "", "IVA", 220_000, True, True),
]


def seed(apps, schema_editor):
    ShippingMethod = apps.get_model("orders", "ShippingMethod")
    ShippingZone = apps.get_model("orders", "ShippingZone")
    ShippingRate = apps.get_model("orders", "ShippingRate")
    TaxRate = apps.get_model("orders", "TaxRate")
    methods = {}
    for code, name, description, min_days, max_days, position in METHODS:
        methods[code], _ = ShippingMethod.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "min_days": min_days,
                "max_days": max_days,
                "position": position,
            },
        )
    zones = {}
    created_zones = set()
    for name, countries, regions in ZONES:
        zones[name], created = ShippingZone.objects.get_or_create(
            name=name, defaults={"countries": countries, "regions": regions}
        )
        if created:
            created_zones.add(name)
    for zone, method, currency, price, min_w, max_w, free_over in RATES:
        if zone not in created_zones:
            continue  # the shop already has this zone and its own rates
        ShippingRate.objects.create(
            zone=zones[zone],
            method=methods[method],
            currency=currency,
            price_cents=price,
            min_weight_grams=min_w,
            max_weight_grams=max_w,
            free_over_cents=free_over,
        )
    for country, region, name, ppm, inclusive, on_shipping in TAX_RATES:
        TaxRate.objects.get_or_create(
            country=country,
            region=region,
            defaults={
                "name": name,
                "rate_ppm": ppm,
                "prices_include_tax": inclusive,
                "applies_to_shipping": on_shipping,
            },
        )
