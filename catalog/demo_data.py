"""The demo catalog as data: what `seed_demo` creates, apart from the code that writes it.

Nothing here touches the database. `demo_catalog()` turns the word lists below into fully
resolved products (handles, SKUs, prices per currency, barcodes, images), deterministically
(a seeded RNG), so every run of the seed plans the same catalog; catalog/seeding.py writes it
through the catalog services and inventory/seeding.py stocks exactly its SKUs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache

from stdnum import ean

DEMO_TAG = "demo"  # on every product the seed creates
# Market prices are set, not converted: merchants price each currency by hand (CAD +35%, EUR -8%).
CURRENCY_FACTORS = {"USD": 100, "CAD": 135, "EUR": 92}
# Every 41st product stays a draft, so the admin shows drafts too.
DRAFT_EVERY = 41
# Every 9th variant is on sale: a compare-at price 10.00 above its price.
ON_SALE_EVERY = 9
# (code, name, name translations, kind, unit, filterable)
ATTRIBUTES = [
    ("material", "Material", {"de": "Material", "fr": "Matière"}, "text", "", True),
    ("care", "Care", {"de": "Pflege", "fr": "Entretien"}, "text", "", False),
    ("pages", "Pages", {"de": "Seiten", "fr": "Pages"}, "number", "", False),
    ("battery_hours", "Battery life", {"de": "Akkulaufzeit"}, "number", "h", True),
    ("wireless", "Wireless", {"de": "Kabellos", "fr": "Sans fil"}, "boolean", "", True),
]
SPEC_TRANSLATIONS = {"care": {"de": "Kalt waschen, schonend trocknen"}}
# Search synonym groups (catalog.SearchSynonym): what shoppers type for the same thing.
SYNONYM_GROUPS = [
    "t-shirt, tee, tshirt, tee shirt",
    "hoodie, hoody, hooded sweatshirt",
    "headphones, headset, earphones",
]


@dataclass(frozen=True)
class DemoVariant:
    sku: str
    option_values: dict[str, str]  # {option name: value}
    weight_grams: int
    prices: dict[str, tuple[int, int | None]]  # {currency: (amount, compare-at)} in minor units
    identifier: tuple[str, str]  # (kind, value), check digit included


@dataclass(frozen=True)
class DemoImage:
    """A generated gradient PNG; `variant_sku` shows it when that variant is chosen."""

    name: str  # file name under products/demo/
    rgb: tuple[int, int, int]
    shade: int
    alt_text: str
    alt_translations: dict[str, str]
    position: int
    variant_sku: str | None = None


@dataclass(frozen=True)
class DemoProduct:
    handle: str
    title: str
    description: str
    brand: str
    category_path: str
    product_type: str
    status: str  # "active" or "draft"
    tags: list[str]
    seo_title: str
    options: list[tuple[str, list[str]]]
    variants: list[DemoVariant]
    specs: dict[str, object]  # {attribute code: value}
    title_de: str
    images: list[DemoImage]


@dataclass(frozen=True)
class DemoCatalog:
    categories: list[tuple[str, str, int]]  # (path, name, position), parents first
    products: list[DemoProduct]

    @property
    def skus(self) -> dict[str, str]:
        """{SKU: handle of its product}: what the seed owns."""
        return {v.sku: p.handle for p in self.products for v in p.variants}


@cache
def demo_catalog(rng_seed: int = 42) -> DemoCatalog:
    """The demo catalog, the same for the same seed (cached: it is immutable)."""
    rng = random.Random(rng_seed)
    plans = _apparel_plans(rng) + _book_plans(rng) + _electronics_plans(rng)
    codes = _Codes()
    products, variant_count = [], 0
    for index, plan in enumerate(plans, start=1):
        variants = []
        for combo in _combinations(plan.options):
            variant_count += 1
            on_sale = variant_count % ON_SALE_EVERY == 0
            variants.append(_variant(plan, combo, rng, codes, on_sale=on_sale))
        products.append(
            DemoProduct(
                handle=plan.handle,
                title=plan.title,
                description=plan.description,
                brand=plan.brand,
                category_path=plan.category_path,
                product_type=plan.product_type,
                status="active" if index % DRAFT_EVERY else "draft",
                tags=[DEMO_TAG, plan.category_path.split("/")[0]],
                seo_title=f"{plan.title} | Emporium",
                options=plan.options,
                variants=variants,
                specs=plan.specs,
                title_de=plan.title_de,
                images=_images(plan, variants, rng),
            )
        )
    return DemoCatalog(categories=_categories(), products=products)


def _categories() -> list[tuple[str, str, int]]:
    rows = []
    for position, (slug, (name, children)) in enumerate(CATEGORY_TREE.items()):
        rows.append((slug, name, position))
        for child_position, (child_slug, child_name) in enumerate(children.items()):
            rows.append((f"{slug}/{child_slug}", child_name, child_position))
    return rows


def _combinations(options: list[tuple[str, list[str]]]) -> list[dict[str, str]]:
    combos: list[dict[str, str]] = [{}]
    for name, values in options:
        combos = [{**combo, name: value} for combo in combos for value in values]
    return combos


def _variant(plan: _Plan, combo: dict[str, str], rng, codes: _Codes, *, on_sale: bool):
    values = list(combo.values())
    suffix = "-".join(v.upper().replace(" ", "")[:4] for v in values)
    sku = f"{plan.handle[:40].upper()}-{suffix}" if suffix else plan.handle.upper()
    bump = 400 if "Hardcover" in values or "XL" in values else 0
    prices = {}
    for currency, factor in CURRENCY_FACTORS.items():
        amount = (plan.base_cents + bump) * factor // 100 // 100 * 100 + 99
        prices[currency] = (amount, amount + 1000 if on_sale else None)
    return DemoVariant(
        sku=sku[:64],
        option_values=combo,
        weight_grams=rng.choice([180, 250, 320, 450, 700]),
        prices=prices,
        identifier=codes.next(plan.identifier_kind),
    )


def _images(plan: _Plan, variants: list[DemoVariant], rng) -> list[DemoImage]:
    """A product photo, then one swatch per colour shown for the first variant of it."""
    images = [
        DemoImage(
            name=f"{plan.handle}.png",
            rgb=CATEGORY_TONES[plan.category_path.split("/")[0]],
            shade=rng.randint(0, 40),
            alt_text=f"{plan.title} product photo",
            alt_translations={"de": f"Produktfoto: {plan.title_de or plan.title}"},
            position=0,
        )
    ]
    for variant in variants:
        colour = variant.option_values.get("Color")
        if colour is None or any(i.alt_text == f"{colour} colourway" for i in images):
            continue
        images.append(
            DemoImage(
                name=f"{variant.sku.lower()}.png",
                rgb=SWATCHES[colour],
                shade=rng.randint(0, 40),
                alt_text=f"{colour} colourway",
                alt_translations={},
                position=len(images),
                variant_sku=variant.sku,
            )
        )
    return images


# --- the word lists ----------------------------------------------------------------------------

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
    """One product before its variants are resolved."""

    handle: str
    title: str
    description: str
    brand: str
    category_path: str
    product_type: str
    base_cents: int
    options: list[tuple[str, list[str]]] = field(default_factory=list)
    identifier_kind: str = "gtin"
    specs: dict[str, object] = field(default_factory=dict)
    title_de: str = ""


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
