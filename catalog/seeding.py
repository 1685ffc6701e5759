"""Write the demo catalog (catalog/demo_data.py) through the catalog services. Idempotent.

`make run` seeds on every start, so a run creates only what is missing and never touches what
it did not create: a demo product is created whole (its variants, prices, barcodes, specs,
translation and images) when its handle and every one of its SKUs are free, and skipped
otherwise. A second run finds every demo handle taken and writes nothing; a merchandiser's own
products and the variants they add to demo products are never read or changed. A SKU is never
reused, so a demo variant someone archived or deleted stays gone.
"""

from __future__ import annotations

import logging
import struct
import zlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from catalog.demo_data import (
    ATTRIBUTES,
    DEMO_TAG,
    SPEC_TRANSLATIONS,
    SYNONYM_GROUPS,
    DemoCatalog,
    DemoImage,
    DemoProduct,
    demo_catalog,
)
from catalog.models import Attribute, Category, Product, SearchSynonym, Variant
from catalog.services import content, search_index, taxonomy
from catalog.services.batch_writing import ProductSpec, VariantSpec, write_products
from shop.exceptions import DomainError

logger = logging.getLogger(__name__)


def seed_demo_catalog(*, rng_seed: int = 42) -> dict[str, int]:
    """Create whatever of the demo catalog is missing; return counts of the seed's products."""
    catalog = demo_catalog(rng_seed)
    with transaction.atomic():
        missing = _missing_products(catalog)
        if missing:
            categories = _ensure_categories(catalog)
            _ensure_attributes()
            _create(missing, categories)
        _ensure_synonyms()
    return _counts(catalog, rng_seed)


def seeded_variants(*, rng_seed: int = 42):
    """The variants the demo seed owns: its SKUs, on the demo products it created.

    Inventory's seeder stocks exactly these, never a variant a user created.
    """
    catalog = demo_catalog(rng_seed)
    owned = _owned_product_ids(catalog)
    skus = catalog.skus
    return Variant.objects.filter(product_id__in=owned, sku__in=list(skus)).select_related(
        "product"
    )


def _owned_product_ids(catalog: DemoCatalog) -> list[int]:
    # Tags are a JSON list (no portable containment lookup on SQLite): filter in Python.
    handles = [p.handle for p in catalog.products]
    rows = Product.objects.filter(handle__in=handles).values_list("pk", "tags")
    return [pk for pk, tags in rows if DEMO_TAG in (tags or [])]


def _counts(catalog: DemoCatalog, rng_seed: int) -> dict[str, int]:
    return {
        "products": len(_owned_product_ids(catalog)),
        "variants": seeded_variants(rng_seed=rng_seed).count(),
    }


def _missing_products(catalog: DemoCatalog) -> list[DemoProduct]:
    """Demo products whose handle and SKUs are all free (two queries, whatever the size)."""
    handles = set(
        Product.objects.filter(handle__in=[p.handle for p in catalog.products]).values_list(
            "handle", flat=True
        )
    )
    candidates = [p for p in catalog.products if p.handle not in handles]
    wanted = [v.sku for p in candidates for v in p.variants]
    taken = set(Variant.objects.filter(sku__in=wanted).values_list("sku", flat=True))
    missing = []
    for product in candidates:
        clash = [v.sku for v in product.variants if v.sku in taken]
        if clash:
            logger.info("demo product %s skipped: SKU %s is taken", product.handle, clash[0])
            continue
        missing.append(product)
    return missing


def _ensure_categories(catalog: DemoCatalog) -> dict[str, Category]:
    """The demo category tree: existing categories are used as they are, missing ones added."""
    found = {
        c.path: c for c in Category.objects.filter(path__in=[p for p, _, _ in catalog.categories])
    }
    for path, name, position in catalog.categories:
        if path not in found:
            parent_path, _, slug = path.rpartition("/")
            found[path] = taxonomy.create_category(
                name=name,
                slug=slug,
                parent=found[parent_path] if parent_path else None,
                position=position,
            )
    return found


def _ensure_synonyms() -> None:
    """The demo's synonym groups, each added once (a merchandiser's edits are kept): a group is
    present when a group holds its first phrase."""
    existing = [g.phrase_list() for g in SearchSynonym.objects.all()]
    for phrases in SYNONYM_GROUPS:
        first = phrases.split(",")[0].strip()
        if not any(first in group for group in existing):
            search_index.save_synonym_group(group=SearchSynonym(phrases=phrases))


def _ensure_attributes() -> None:
    existing = set(Attribute.objects.values_list("code", flat=True))
    for position, (code, name, translations, kind, unit, filterable) in enumerate(ATTRIBUTES):
        if code not in existing:
            taxonomy.create_attribute(
                code=code,
                name=name,
                kind=kind,
                unit=unit,
                is_filterable=filterable,
                position=position,
                name_translations=translations,
            )


def _create(missing: list[DemoProduct], categories: dict[str, Category]) -> None:
    """The missing demo products through the catalog's batch writer, then their specs,
    translations and images through the content services: a fixed number of statements per
    batch, all of it or nothing."""
    report = _Report()
    write_products(specs=_specs(missing), report=report)
    if report.errors:
        raise DomainError("The demo catalog could not be written: " + "; ".join(report.errors))
    products = Product.objects.in_bulk([p.handle for p in missing], field_name="handle")
    content.set_product_specs(
        items=[
            content.SpecInput(
                product=products[demo.handle],
                values=demo.specs,
                translations={k: v for k, v in SPEC_TRANSLATIONS.items() if k in demo.specs},
            )
            for demo in missing
            if demo.specs
        ]
    )
    content.set_product_translations(
        items=[
            content.TranslationInput(
                product=products[demo.handle], locale="de", title=demo.title_de
            )
            for demo in missing
            if demo.title_de
        ]
    )
    content.add_product_media(
        items=[
            content.MediaInput(
                product=products[demo.handle],
                image=_demo_image(image),
                alt_text=image.alt_text,
                alt_translations=image.alt_translations,
                position=image.position,
                variant_sku=image.variant_sku,
            )
            for demo in missing
            for image in demo.images
        ]
    )


class _Report:
    """Where the batch writer records row problems; a seed has none unless the data is wrong."""

    def __init__(self):
        self.errors: list[str] = []
        self._failed: set[int] = set()

    def error(self, line: int, column: str, message: str) -> None:
        self.errors.append(f"row {line} {column}: {message}")
        self._failed.add(line)

    def mark(self, line: int, action: str) -> None:
        pass

    def failed(self, line: int) -> bool:
        return line in self._failed


def _specs(products: list[DemoProduct]) -> list[ProductSpec]:
    """The demo products as the batch writer's plan, one numbered row per variant."""
    specs, line = [], 0
    for demo in products:
        variants = []
        for position, v in enumerate(demo.variants):
            line += 1
            variants.append(
                VariantSpec(
                    line=line,
                    sku=v.sku,
                    values=list(v.option_values.values()),
                    fields={
                        "title": " / ".join(v.option_values.values()),
                        "weight_grams": v.weight_grams,
                    },
                    prices=dict(v.prices),
                    identifiers={v.identifier[0]: [v.identifier[1]]},
                    position=position,
                )
            )
        specs.append(
            ProductSpec(
                line=variants[0].line,
                handle=demo.handle,
                fields={
                    "title": demo.title,
                    "description": demo.description,
                    "product_type": demo.product_type,
                    "tags": list(demo.tags),
                    "status": demo.status,
                    "seo_title": demo.seo_title,
                },
                brand=demo.brand,
                has_brand=True,
                categories=[demo.category_path],
                options=[(name, list(values)) for name, values in demo.options],
                has_options=True,
                variants=variants,
                lines=[v.line for v in variants],
            )
        )
    return specs


def _demo_image(image: DemoImage) -> str:
    """Write the image's PNG to media storage once (no image library needed); its name."""
    path = f"products/demo/{image.name}"
    if not default_storage.exists(path):
        png = _gradient_png(48, 48, image.rgb, image.shade)
        path = default_storage.save(path, ContentFile(png))
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
