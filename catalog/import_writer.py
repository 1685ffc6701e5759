"""Writing an import plan: product specs to rows, each row's outcome in the ImportResult.

catalog.importing owns the transaction (all or nothing, dry runs roll back); the Writer runs
inside it, validating every object with `full_clean` as the admin forms do.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from catalog.importers.base import ImportResult, ProductSpec, VariantSpec
from catalog.models import (
    Brand,
    Category,
    Media,
    Option,
    OptionValue,
    Product,
    ProductStatus,
    Variant,
    VariantIdentifier,
    VariantPrice,
    option_key_for,
)
from catalog.services.brands import get_or_create_brand


class Writer:
    """Writes product specs row by row, recording each row's outcome in the result."""

    def __init__(self, result: ImportResult, columns: dict[str, str], progress):
        self.result, self.columns, self.progress = result, columns, progress

    def column(self, field: str) -> str:
        return self.columns.get(field, field)

    def error(self, line: int, field: str, message: str) -> None:
        self.result.error(line, self.column(field), message)

    def invalid(self, line: int, exc: ValidationError, prefix: str = "") -> None:
        for field, messages in exc.message_dict.items():
            name = "" if field == "__all__" else prefix + field
            for message in messages:
                self.error(line, name, message)

    def write(self, specs: list[ProductSpec]) -> None:
        self._preload(specs)
        for spec in specs:
            try:
                with transaction.atomic():
                    self._product(spec)
            except IntegrityError as exc:
                # Validation runs first, so this is a concurrent writer or a missed rule.
                self.error(spec.line, "", f"The database refused this product: {exc}")
            if self.progress:
                self.progress(len(spec.lines))

    def _preload(self, specs: list[ProductSpec]) -> None:
        handles = [s.handle for s in specs]
        skus = [v.sku for s in specs for v in s.variants]
        self.products = {p.handle: p for p in Product.objects.filter(handle__in=handles)}
        self.variants = {
            v.sku: v
            for v in Variant.objects.filter(sku__in=skus)
            .select_related("product")
            .prefetch_related("prices", "identifiers")
        }
        paths = {path for s in specs for path in (s.categories or [])}
        self.categories = {c.path: c for c in Category.objects.filter(path__in=paths)}
        names = {s.brand.lower() for s in specs if s.brand}
        self.brands = {
            b.lname: b for b in Brand.objects.annotate(lname=Lower("name")).filter(lname__in=names)
        }

    # --- products -------------------------------------------------------------------------

    def _product(self, spec: ProductSpec) -> None:
        product = self.products.get(spec.handle)
        created = product is None
        if created:
            if not spec.fields.get("title"):
                self.error(spec.line, "title", "A new product needs a title.")
                return
            product = Product(handle=spec.handle)
        was_active = product.status == ProductStatus.ACTIVE and not created
        changed = _assign(product, spec.fields)
        if spec.has_brand:
            brand = self._brand(spec.brand) if spec.brand else None
            if product.brand_id != (brand.pk if brand else None):
                product.brand, changed = brand, True
        if product.status == ProductStatus.ACTIVE and not was_active and not product.published_at:
            product.published_at, changed = timezone.now(), True
        if created or changed:
            try:
                product.full_clean()
            except ValidationError as exc:
                self.invalid(spec.line, exc)
                return
            product.save()
        changed |= self._categories(product, spec)
        option_values = self._options(product, spec, created)
        if option_values is None:
            return
        changed |= option_values.pop("changed", False)
        variants = self._variants(product, spec, option_values, created)
        self._media(product, spec, variants)
        if created or changed:
            self.result.mark(spec.line, "create" if created else "update")

    def _brand(self, name: str) -> Brand:
        brand = self.brands.get(name.lower())
        if brand is None:
            brand = self.brands[name.lower()] = get_or_create_brand(name)
        return brand

    def _categories(self, product: Product, spec: ProductSpec) -> bool:
        if spec.categories is None:
            return False
        unknown = [path for path in spec.categories if path not in self.categories]
        for path in unknown:
            self.error(
                spec.line, "categories", f"No category has the path '{path}'; create it first."
            )
        wanted = {self.categories[path].pk for path in spec.categories if path not in unknown}
        if unknown or set(product.categories.values_list("pk", flat=True)) == wanted:
            return False
        product.categories.set(wanted)
        return True

    def _options(self, product: Product, spec: ProductSpec, created: bool) -> dict | None:
        """Create missing options and values; map (option index, lower value) -> OptionValue."""
        if not spec.has_options:
            return {}
        existing = [] if created else list(product.options.prefetch_related("values"))
        names = [name for name, _values in spec.options]
        if existing and [o.name.lower() for o in existing] != [n.lower() for n in names]:
            current = ", ".join(o.name for o in existing)
            self.error(
                spec.line,
                "options",
                f"The options differ from the product's ({current}); change options in the admin.",
            )
            return None
        mapping: dict = {"changed": False}
        for index, (name, values) in enumerate(spec.options):
            if index < len(existing):
                option = existing[index]
                known = {ov.value.lower(): ov for ov in option.values.all()}
            else:
                option = Option.objects.create(product=product, name=name, position=index)
                known, mapping["changed"] = {}, True
            position = max((ov.position for ov in known.values()), default=-1) + 1
            for value in values:
                if value.lower() not in known:
                    known[value.lower()] = OptionValue.objects.create(
                        option=option, value=value, position=position
                    )
                    position, mapping["changed"] = position + 1, True
            mapping.update({(index, key): ov for key, ov in known.items()})
        return mapping

    # --- variants -------------------------------------------------------------------------

    def _variants(self, product, spec, option_values, created) -> dict[str, Variant]:
        base = 0
        if not created:
            positions = product.variants.values_list("position", flat=True)
            base = max(positions, default=-1) + 1
        has_options = bool(spec.options) if spec.has_options else product.options.exists()
        done: dict[str, Variant] = {}
        for vspec in spec.variants:
            variant = self._variant(product, spec, vspec, option_values, has_options, base)
            if variant is not None:
                done[variant.sku] = variant
        return done

    def _variant(self, product, spec, vspec: VariantSpec, option_values, has_options, base):
        if self.result.row(vspec.line).errors:
            return None  # already refused by the file checks; one message per problem
        variant = self.variants.get(vspec.sku)
        if variant is not None and variant.product_id != product.pk:
            self.error(
                vspec.line, "sku", f"SKU {vspec.sku} belongs to product {variant.product.handle}."
            )
            return None
        created = variant is None
        if created:
            variant = Variant(product=product, sku=vspec.sku, position=base + vspec.position)
        changed = _assign(variant, vspec.fields)
        values = None
        if spec.has_options:
            values = [option_values[(i, v.lower())] for i, v in enumerate(vspec.values)]
            key = option_key_for(ov.pk for ov in values)
            if created or key != variant.option_key:
                variant.option_key, changed = key, True
        elif created and has_options:
            self.error(vspec.line, "options", "A new variant needs a value for every option.")
            return None
        if not self._save_variant(variant, vspec, created or changed, values):
            return None
        changed |= self._prices(variant, vspec, created)
        changed |= self._identifiers(variant, vspec, created)
        self.result.mark(vspec.line, "create" if created else "update" if changed else "skip")
        return variant

    def _save_variant(self, variant: Variant, vspec: VariantSpec, dirty: bool, values) -> bool:
        if not dirty:
            return True
        clash = (
            Variant.objects.filter(product=variant.product, option_key=variant.option_key)
            .exclude(pk=variant.pk)
            .first()
        )
        if clash is not None:
            label = " / ".join(vspec.values) or "no options"
            self.error(vspec.line, "options", f"SKU {clash.sku} already has options {label}.")
            return False
        try:
            variant.full_clean(exclude=["product"])
        except ValidationError as exc:
            self.invalid(vspec.line, exc)
            return False
        variant.save()
        if values is not None:
            variant.option_values.set(values)
        return True

    def _prices(self, variant: Variant, vspec: VariantSpec, created: bool) -> bool:
        existing = {} if created else {p.currency: p for p in variant.prices.all()}
        changed = False
        for currency, (amount, compare_at) in vspec.prices.items():
            price = existing.get(currency)
            if amount is None:
                if price is not None:
                    price.delete()
                    changed = True
                continue
            if price is not None and (price.amount_cents, price.compare_at_cents) == (
                amount,
                compare_at,
            ):
                continue
            price = price or VariantPrice(variant=variant, currency=currency)
            price.amount_cents, price.compare_at_cents = amount, compare_at
            try:
                price.full_clean(exclude=["variant"])
            except ValidationError as exc:
                self.invalid(vspec.line, exc)
                continue
            price.save()
            changed = True
        return changed

    def _identifiers(self, variant: Variant, vspec: VariantSpec, created: bool) -> bool:
        existing = [] if created else list(variant.identifiers.all())
        changed = False
        for kind, values in vspec.identifiers.items():
            current = {i.value: i for i in existing if i.kind == kind}
            for value, identifier in current.items():
                if value not in values:
                    identifier.delete()
                    changed = True
            for value in values:
                if value in current:
                    continue
                taken = (
                    VariantIdentifier.objects.filter(kind=kind, value=value)
                    .select_related("variant")
                    .first()
                )
                if taken is not None:
                    self.error(
                        vspec.line, kind, f"{kind.upper()} {value} is used by {taken.variant.sku}."
                    )
                    continue
                identifier = VariantIdentifier(variant=variant, kind=kind, value=value)
                try:
                    identifier.full_clean(exclude=["variant"])
                except ValidationError as exc:
                    self.invalid(vspec.line, exc, prefix=f"{kind} ")
                    continue
                identifier.save()
                changed = True
        return changed

    # --- media ----------------------------------------------------------------------------

    def _media(self, product: Product, spec: ProductSpec, variants: dict[str, Variant]) -> None:
        """Add images by URL. A variant image reuses the product image with its URL if free.

        Media.variant is a single foreign key, so an image Shopify shares between several
        variants becomes one row per variant.
        """
        if not spec.media:
            return
        existing = list(product.media.all())
        variant_lines = {v.line for v in spec.variants}
        ordered = sorted(spec.media, key=lambda m: m.variant_sku is not None)  # product first
        for mspec in ordered:
            variant = variants.get(mspec.variant_sku) if mspec.variant_sku else None
            if mspec.variant_sku and variant is None:
                continue  # the variant row has an error of its own
            same_url = [m for m in existing if m.external_url == mspec.url]
            if variant is None:
                media = same_url[0] if same_url else None
            else:
                media = next((m for m in same_url if m.variant_id == variant.pk), None)
                media = media or next((m for m in same_url if m.variant_id is None), None)
            action = "update"
            if media is None:
                position = mspec.position or max((m.position for m in existing), default=0) + 1
                media = Media(product=product, external_url=mspec.url, position=position)
                existing.append(media)
                action = "update" if mspec.line in variant_lines else "create"
            changed = _assign(
                media,
                {
                    "alt_text": mspec.alt_text or media.alt_text,
                    "position": mspec.position or media.position,
                    "variant_id": variant.pk if variant else media.variant_id,
                },
            )
            if media.pk and not changed:
                continue
            try:
                media.full_clean()
            except ValidationError as exc:
                self.invalid(mspec.line, exc)
                continue
            media.save()
            self.result.mark(mspec.line, action)


def _assign(instance, values: dict) -> bool:
    """Set the given attributes; return whether any of them changed."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed
