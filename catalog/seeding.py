"""A realistic demo catalog: apparel in colours and sizes, books with ISBNs, electronics, GTINs.

Deterministic (a seeded RNG) and idempotent: a second run finds the demo products and changes
nothing. Rows are written in bulk so the embedded SQLite demo starts in seconds.
"""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from stdnum import ean

from catalog.models import (
    Attribute,
    Brand,
    Category,
    Media,
    Option,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductStatus,
    ProductTranslation,
    Variant,
    VariantIdentifier,
    VariantPrice,
    option_key_for,
)

DEMO_TAG = "demo"
# Market prices are set, not converted: merchants price each currency by hand (CAD +35%, EUR -8%).
CURRENCY_FACTORS = {"USD": 100, "CAD": 135, "EUR": 92}

CATEGORY_TREE = {
    "apparel": ("Apparel", {"hoodies": "Hoodies", "tees": "T-shirts", "jackets": "Jackets"}),
    "books": ("Books", {"fiction": "Fiction", "cooking": "Cooking", "science": "Science"}),
    "electronics": (
        "Electronics",
        {"headphones": "Headphones", "chargers": "Chargers", "speakers": "Speakers"},
    ),
}
APPAREL_BRANDS = ["Northwind Outfitters", "Harbor & Pine", "Lumen Basics", "Kestrel Supply"]
BOOK_BRANDS = ["Vellum Press", "Orchard House", "Fieldnote Books"]
ELECTRONICS_BRANDS = ["Voltaic", "Sonora Audio", "Arclight"]
COLOURS = ["Black", "Heather Grey", "Navy", "Forest", "Oat", "Rust"]
SWATCHES = {
    "Black": (40, 40, 44),
    "Heather Grey": (150, 152, 158),
    "Navy": (32, 48, 96),
    "Forest": (34, 85, 60),
    "Oat": (222, 205, 170),
    "Rust": (170, 80, 45),
    "White": (240, 240, 236),
    "Sand": (210, 190, 150),
}
CATEGORY_TONES = {
    "apparel": (120, 140, 200),
    "books": (200, 150, 90),
    "electronics": (90, 170, 160),
}
SIZES = ["XS", "S", "M", "L", "XL"]
APPAREL_NOUNS = {
    "hoodies": ["Pullover Hoodie", "Zip Hoodie", "Fleece Hoodie", "Heavyweight Hoodie"],
    "tees": ["Crew Tee", "Pocket Tee", "V-Neck Tee", "Long Sleeve Tee", "Organic Tee"],
    "jackets": ["Rain Shell", "Chore Jacket", "Puffer Jacket", "Field Jacket"],
}
APPAREL_ADJECTIVES = ["Everyday", "Coastal", "Trailhead", "Studio", "Harbor", "Summit", "Classic"]
BOOK_WORDS = [
    "River",
    "Salt",
    "Orchard",
    "Lantern",
    "Quiet",
    "Northern",
    "Winter",
    "Copper",
    "Garden",
    "Atlas",
    "Tide",
    "Ember",
    "Meadow",
    "Signal",
    "Harvest",
]
BOOK_FORMS = {
    "fiction": ["The {a} of {b}", "{a} Road", "A {a} Season", "The Last {a}"],
    "cooking": ["{a} Kitchen", "Cooking with {a}", "The {a} Table", "{a} & {b}: Recipes"],
    "science": ["The {a} Problem", "How {a} Works", "{a}: A Field Guide", "The Physics of {a}"],
}
ELECTRONICS = {
    "headphones": (
        ["Wireless Headphones", "Studio Monitors", "Sport Earbuds"],
        ["Black", "White"],
    ),
    "chargers": (["USB-C Charger 65W", "Wall Charger 30W", "Car Charger"], []),
    "speakers": (["Bluetooth Speaker", "Smart Speaker", "Bookshelf Speakers"], ["Black", "Sand"]),
}
GERMAN_NOUNS = {"Hoodie": "Kapuzenpullover", "Tee": "T-Shirt", "Jacket": "Jacke"}


@dataclass
class _Plan:
    """What one demo product will become, before it is written."""

    handle: str
    title: str
    description: str
    brand: str
    category_path: str
    product_type: str
    base_cents: int
    options: list[tuple[str, list[str]]] = field(default_factory=list)
    identifier_kind: str | None = None
    specs: dict[str, object] = field(default_factory=dict)
    title_de: str = ""


def seed_demo_catalog(*, rng_seed: int = 42) -> dict[str, int]:
    """Create the demo catalog unless it exists; return counts of what is in it."""
    rng = random.Random(rng_seed)
    plans = _apparel_plans(rng) + _book_plans(rng) + _electronics_plans(rng)
    handles = [plan.handle for plan in plans]
    if not Product.objects.filter(handle__in=handles).exists():
        with transaction.atomic():
            _write(plans, _seed_categories(), _seed_attributes(), rng)
    return _counts(handles)


def _counts(handles: list[str]) -> dict[str, int]:
    demo = Product.objects.filter(handle__in=handles)
    return {
        "products": demo.count(),
        "variants": Variant.objects.filter(product__in=demo).count(),
    }


def _seed_categories() -> dict[str, Category]:
    categories = {}
    for position, (slug, (name, children)) in enumerate(CATEGORY_TREE.items()):
        root, _ = Category.objects.get_or_create(
            slug=slug, parent=None, defaults={"name": name, "position": position}
        )
        categories[root.path] = root
        for child_position, (child_slug, child_name) in enumerate(children.items()):
            child, _ = Category.objects.get_or_create(
                slug=child_slug,
                parent=root,
                defaults={"name": child_name, "position": child_position},
            )
            categories[child.path] = child
    return categories


def _seed_attributes() -> dict[str, Attribute]:
    specs = [
        ("material", "Material", {"de": "Material", "fr": "Matière"}, "text", "", True),
        ("care", "Care", {"de": "Pflege", "fr": "Entretien"}, "text", "", False),
        ("pages", "Pages", {"de": "Seiten", "fr": "Pages"}, "number", "", False),
        ("battery_hours", "Battery life", {"de": "Akkulaufzeit"}, "number", "h", True),
        ("wireless", "Wireless", {"de": "Kabellos", "fr": "Sans fil"}, "boolean", "", True),
    ]
    attributes = {}
    for position, (code, name, translations, kind, unit, filterable) in enumerate(specs):
        attributes[code], _ = Attribute.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_translations": translations,
                "kind": kind,
                "unit": unit,
                "is_filterable": filterable,
                "position": position,
            },
        )
    return attributes


def _apparel_plans(rng: random.Random) -> list[_Plan]:
    plans = []
    for sub, nouns in APPAREL_NOUNS.items():
        for noun in nouns:
            for adjective in APPAREL_ADJECTIVES:
                brand = rng.choice(APPAREL_BRANDS)
                colours = rng.sample(COLOURS, 2)
                sizes = SIZES[1:4] if sub != "jackets" else SIZES[1:5]
                material = rng.choice(
                    ["100% organic cotton", "Cotton blend", "Recycled polyester"]
                )
                title = f"{adjective} {noun}"
                german = next((v for k, v in GERMAN_NOUNS.items() if k in noun), noun)
                plans.append(
                    _Plan(
                        handle=f"{adjective}-{noun}".lower().replace(" ", "-"),
                        title=title,
                        description=(
                            f"The {title.lower()} by {brand}: a relaxed fit in "
                            f"{material.lower()}, pre-washed so it keeps its shape."
                        ),
                        brand=brand,
                        category_path=f"apparel/{sub}",
                        product_type=noun,
                        base_cents=rng.choice([2400, 2800, 3200, 4800, 5600, 6400, 8900, 12900])
                        if sub != "tees"
                        else rng.choice([1800, 2200, 2600, 3000]),
                        options=[("Color", colours), ("Size", sizes)],
                        identifier_kind="upc",
                        specs={"material": material, "care": "Machine wash cold, tumble dry low"},
                        title_de=f"{adjective} {german}",
                    )
                )
    return plans


def _book_plans(rng: random.Random) -> list[_Plan]:
    plans, seen = [], set()
    for sub, forms in BOOK_FORMS.items():
        while sum(1 for p in plans if p.category_path.endswith(sub)) < 20:
            a, b = rng.sample(BOOK_WORDS, 2)
            title = rng.choice(forms).format(a=a, b=b)
            if title in seen:
                continue
            seen.add(title)
            plans.append(
                _Plan(
                    handle=title.lower().replace(" ", "-").replace(":", "").replace("&", "and"),
                    title=title,
                    description=f"{title} — a {sub} title from our shelves.",
                    brand=rng.choice(BOOK_BRANDS),
                    category_path=f"books/{sub}",
                    product_type="Book",
                    base_cents=rng.choice([1499, 1799, 2299, 2899, 3499]),
                    options=[("Format", ["Paperback", "Hardcover"])],
                    identifier_kind="isbn",
                    specs={"pages": rng.randint(180, 620)},
                )
            )
    return plans


def _electronics_plans(rng: random.Random) -> list[_Plan]:
    plans = []
    for sub, (names, colours) in ELECTRONICS.items():
        for name in names:
            for brand in ELECTRONICS_BRANDS:
                # The Pro model costs the base model's price plus 50.00, never less.
                base_cents = rng.choice([1999, 2999, 4999, 7999, 12999, 19999])
                for tier in ("", " Pro"):
                    title = f"{brand} {name}{tier}"
                    specs = {"wireless": sub != "chargers"}
                    if sub != "chargers":
                        specs["battery_hours"] = rng.choice([8, 12, 20, 30, 40])
                    plans.append(
                        _Plan(
                            handle=title.lower().replace(" ", "-"),
                            title=title,
                            description=f"{title}: dependable {sub} with a two-year warranty.",
                            brand=brand,
                            category_path=f"electronics/{sub}",
                            product_type=name,
                            base_cents=base_cents + (5000 if tier else 0),
                            options=[("Color", colours)] if colours else [],
                            identifier_kind="gtin",
                            specs=specs,
                        )
                    )
    return plans


class _Codes:
    """Valid, unique demo barcodes: UPC-A with company prefix 0-12345, ISBN-13 with 978-1-2345."""

    def __init__(self):
        self.upc = self.isbn = self.gtin = 0

    def next(self, kind: str) -> tuple[str, str]:
        if kind == "upc":
            self.upc += 1
            body = f"012345{self.upc:05d}"
            return "upc", body + ean.calc_check_digit(body)
        if kind == "isbn":
            self.isbn += 1
            body = f"97812345{self.isbn:04d}"
            return "isbn", body + ean.calc_check_digit(body)
        self.gtin += 1
        body = f"400638{self.gtin:06d}"
        return "ean", body + ean.calc_check_digit(body)


def _write(plans, categories, attributes, rng) -> None:
    brands = {}
    for name in sorted({p.brand for p in plans}):
        brands[name], _ = Brand.objects.get_or_create(
            slug=name.lower().replace(" & ", "-").replace(" ", "-"), defaults={"name": name}
        )
    now = timezone.now()
    products = Product.objects.bulk_create(
        [
            Product(
                handle=p.handle,
                title=p.title,
                description=p.description,
                brand=brands[p.brand],
                product_type=p.product_type,
                tags=[DEMO_TAG, p.category_path.split("/")[0]],
                status=ProductStatus.ACTIVE if i % 41 else ProductStatus.DRAFT,
                published_at=now,
                seo_title=f"{p.title} | Emporium",
            )
            for i, p in enumerate(plans, start=1)
        ]
    )
    through = Product.categories.through
    through.objects.bulk_create(
        [
            through(product_id=product.pk, category_id=categories[plan.category_path].pk)
            for product, plan in zip(products, plans, strict=True)
        ]
    )
    ProductTranslation.objects.bulk_create(
        [
            ProductTranslation(product=product, locale="de", title=plan.title_de, description="")
            for product, plan in zip(products, plans, strict=True)
            if plan.title_de
        ]
    )
    _write_specs(products, plans, attributes)
    _write_variants(products, plans, rng)


def _write_specs(products, plans, attributes) -> None:
    rows = []
    for product, plan in zip(products, plans, strict=True):
        for code, value in plan.specs.items():
            attribute = attributes[code]
            row = ProductAttributeValue(product=product, attribute=attribute)
            if attribute.kind == Attribute.Kind.NUMBER:
                row.value_number = value
            elif attribute.kind == Attribute.Kind.BOOLEAN:
                row.value_boolean = value
            else:
                row.value_text = value
                if code == "care":
                    row.value_translations = {"de": "Kalt waschen, schonend trocknen"}
            rows.append(row)
    ProductAttributeValue.objects.bulk_create(rows)


def _write_variants(products, plans, rng) -> None:
    codes = _Codes()
    variant_rows, value_sets, price_rows, identifier_rows, media_rows = [], [], [], [], []
    for product, plan in zip(products, plans, strict=True):
        option_values = []
        for position, (name, values) in enumerate(plan.options):
            option = Option.objects.create(product=product, name=name, position=position)
            option_values.append(
                OptionValue.objects.bulk_create(
                    [OptionValue(option=option, value=v, position=i) for i, v in enumerate(values)]
                )
            )
        combos = _combinations(option_values)
        for position, combo in enumerate(combos):
            suffix = "-".join(v.value.upper().replace(" ", "")[:4] for v in combo)
            sku = f"{product.handle[:40].upper()}-{suffix}" if suffix else product.handle.upper()
            variant_rows.append(
                Variant(
                    product=product,
                    sku=sku[:64],
                    position=position,
                    title=" / ".join(v.value for v in combo),
                    option_key=option_key_for(v.pk for v in combo),
                    weight_grams=rng.choice([180, 250, 320, 450, 700]),
                )
            )
            value_sets.append(combo)
        tone = CATEGORY_TONES[plan.category_path.split("/")[0]]
        media_rows.append(
            Media(
                product=product,
                position=0,
                alt_text=f"{plan.title} product photo",
                image=_demo_image(f"{product.handle}.png", tone, rng),
                alt_translations={"de": f"Produktfoto: {plan.title_de or plan.title}"},
            )
        )
    variants = Variant.objects.bulk_create(variant_rows)
    media_rows += _colour_media(variants, value_sets, rng)
    through = Variant.option_values.through
    through.objects.bulk_create(
        [
            through(variant_id=variant.pk, optionvalue_id=value.pk)
            for variant, combo in zip(variants, value_sets, strict=True)
            for value in combo
        ]
    )
    plan_by_product = {product.pk: plan for product, plan in zip(products, plans, strict=True)}
    for variant in variants:
        plan = plan_by_product[variant.product_id]
        bump = 400 if "Hardcover" in variant.title or "XL" in variant.title.split(" / ") else 0
        for currency, factor in CURRENCY_FACTORS.items():
            amount = (plan.base_cents + bump) * factor // 100 // 100 * 100 + 99
            on_sale = variant.pk % 9 == 0
            price_rows.append(
                VariantPrice(
                    variant=variant,
                    currency=currency,
                    amount_cents=amount,
                    compare_at_cents=amount + 1000 if on_sale else None,
                )
            )
        kind, value = codes.next(plan.identifier_kind)
        identifier_rows.append(VariantIdentifier(variant=variant, kind=kind, value=value))
    VariantPrice.objects.bulk_create(price_rows)
    VariantIdentifier.objects.bulk_create(identifier_rows)
    Media.objects.bulk_create(media_rows)


def _combinations(option_values: list[list[OptionValue]]) -> list[tuple[OptionValue, ...]]:
    combos: list[tuple[OptionValue, ...]] = [()]
    for values in option_values:
        combos = [combo + (value,) for combo in combos for value in values]
    return combos


def _colour_media(variants, value_sets, rng) -> list[Media]:
    """One swatch image per colour, shown when the first variant of that colour is chosen."""
    rows, seen = [], set()
    for variant, combo in zip(variants, value_sets, strict=True):
        colour = next((v.value for v in combo if v.option.name == "Color"), None)
        if colour is None or (variant.product_id, colour) in seen:
            continue
        seen.add((variant.product_id, colour))
        rows.append(
            Media(
                product_id=variant.product_id,
                variant=variant,
                position=len(seen),
                alt_text=f"{variant.title.split(' / ')[0]} colourway",
                image=_demo_image(f"{variant.sku.lower()}.png", SWATCHES[colour], rng),
            )
        )
    return rows


def _demo_image(name: str, rgb: tuple[int, int, int], rng: random.Random) -> str:
    """Write a small gradient PNG to media storage (no image library needed); return its name."""
    path = f"products/demo/{name}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(_gradient_png(48, 48, rgb, rng.randint(0, 40))))
    return path


def _gradient_png(width: int, height: int, rgb: tuple[int, int, int], shade: int) -> bytes:
    rows = b""
    for y in range(height):
        lift = (y * 50) // height + shade
        pixel = bytes(min(255, c + lift) for c in rgb)
        rows += b"\x00" + pixel * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )
