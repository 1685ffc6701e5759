"""The catalog: brands, a category tree, products, their options and variants (the SKU)."""

from functools import partial

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from catalog.identifiers import KINDS, InvalidIdentifier, normalize_identifier
from shop.db import TimeStampedModel, new_public_id
from shop.models import validate_currency

new_product_id = partial(new_public_id, "prod")


class Brand(TimeStampedModel):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=140, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Category(TimeStampedModel):
    """A node of the category tree. `path` is the slug path from the root ("apparel/hoodies")."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140)
    parent = models.ForeignKey(
        "self", null=True, blank=True, related_name="children", on_delete=models.PROTECT
    )
    path = models.CharField(max_length=500, unique=True, editable=False)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["path"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "slug"], name="category_unique_slug_in_parent"
            ),
            models.UniqueConstraint(
                fields=["slug"], condition=Q(parent__isnull=True), name="category_unique_root_slug"
            ),
        ]

    def __str__(self):
        return self.path.replace("/", " › ") if self.path else self.name

    def save(self, *args, **kwargs):
        # The path is derived from the tree; keep descendants' paths true when a node moves.
        old_path = self.path
        self.path = self.build_path()
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in self.children.all():
                child.save(update_fields=["path", "updated_at"])

    def clean(self):
        ancestor = self.parent
        while ancestor is not None:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A category cannot be inside itself.")})
            ancestor = ancestor.parent

    def build_path(self) -> str:
        return f"{self.parent.path}/{self.slug}" if self.parent_id else self.slug

    def descendant_ids(self) -> list[int]:
        """Ids of this category and everything below it (one query on the path prefix)."""
        return list(
            Category.objects.filter(
                Q(pk=self.pk) | Q(path__startswith=f"{self.path}/")
            ).values_list("pk", flat=True)
        )


class ProductStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ARCHIVED = "archived", _("Archived")


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=ProductStatus.ACTIVE)


class Product(TimeStampedModel):
    public_id = models.CharField(
        max_length=32, unique=True, default=new_product_id, editable=False
    )
    handle = models.SlugField(max_length=200, unique=True)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    brand = models.ForeignKey(
        Brand, null=True, blank=True, related_name="products", on_delete=models.PROTECT
    )
    categories = models.ManyToManyField(Category, blank=True, related_name="products")
    product_type = models.CharField(max_length=120, blank=True)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=ProductStatus.choices, default=ProductStatus.DRAFT, db_index=True
    )
    seo_title = models.CharField(max_length=200, blank=True)
    seo_description = models.CharField(max_length=320, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ProductStatus.values), name="product_status_valid"
            )
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return f"/p/{self.handle}/"

    @property
    def is_active(self) -> bool:
        return self.status == ProductStatus.ACTIVE


class ProductTranslation(models.Model):
    """Copy for one locale; the storefront falls back to the product's own fields."""

    product = models.ForeignKey(Product, related_name="translations", on_delete=models.CASCADE)
    locale = models.CharField(max_length=10)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    seo_title = models.CharField(max_length=200, blank=True)
    seo_description = models.CharField(max_length=320, blank=True)

    class Meta:
        ordering = ["locale"]
        constraints = [
            models.UniqueConstraint(fields=["product", "locale"], name="translation_unique_locale")
        ]

    def __str__(self):
        return f"{self.product_id}:{self.locale}"


class Attribute(models.Model):
    """A typed specification key (material, care, width_mm), optionally filterable on listings."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        BOOLEAN = "boolean", _("Yes/no")

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    name_translations = models.JSONField(default=dict, blank=True, help_text=_("{locale: name}"))
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    unit = models.CharField(max_length=20, blank=True)
    is_filterable = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return self.name

    def name_for(self, locale: str) -> str:
        return self.name_translations.get(locale) or self.name


class ProductAttributeValue(models.Model):
    product = models.ForeignKey(Product, related_name="attribute_values", on_delete=models.CASCADE)
    attribute = models.ForeignKey(Attribute, related_name="values", on_delete=models.PROTECT)
    value_text = models.CharField(max_length=255, blank=True)
    value_number = models.BigIntegerField(null=True, blank=True)
    value_boolean = models.BooleanField(null=True, blank=True)
    value_translations = models.JSONField(default=dict, blank=True, help_text=_("{locale: text}"))

    class Meta:
        ordering = ["attribute__position", "attribute__code"]
        constraints = [
            models.UniqueConstraint(fields=["product", "attribute"], name="attribute_value_unique")
        ]

    def __str__(self):
        return f"{self.attribute_id}={self.display_value()}"

    def clean(self):
        kind = self.attribute.kind if self.attribute_id else None
        if kind == Attribute.Kind.NUMBER and self.value_number is None:
            raise ValidationError({"value_number": _("A number is required for this attribute.")})
        if kind == Attribute.Kind.BOOLEAN and self.value_boolean is None:
            raise ValidationError({"value_boolean": _("Choose yes or no for this attribute.")})
        if kind == Attribute.Kind.TEXT and not self.value_text:
            raise ValidationError({"value_text": _("Text is required for this attribute.")})

    def display_value(self, locale: str = "") -> str:
        kind = self.attribute.kind
        if kind == Attribute.Kind.NUMBER:
            unit = f" {self.attribute.unit}" if self.attribute.unit else ""
            return f"{self.value_number}{unit}"
        if kind == Attribute.Kind.BOOLEAN:
            return str(_("Yes") if self.value_boolean else _("No"))
        return (locale and self.value_translations.get(locale)) or self.value_text


class Option(models.Model):
    """A dimension a product varies on (Color, Size)."""

    product = models.ForeignKey(Product, related_name="options", on_delete=models.CASCADE)
    name = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="option_unique_name")
        ]

    def __str__(self):
        return self.name


class OptionValue(models.Model):
    option = models.ForeignKey(Option, related_name="values", on_delete=models.CASCADE)
    value = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["option__position", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["option", "value"], name="option_value_unique")
        ]

    def __str__(self):
        return f"{self.option.name}: {self.value}"


def option_key_for(option_value_ids) -> str:
    """The canonical key of a combination of option values: their ids, sorted."""
    return "-".join(str(pk) for pk in sorted(option_value_ids))


class VariantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    # A removed variant: kept forever so its SKU is never reused (see Variant). Reached only by
    # removing the variant (catalog.services), never chosen as a status in a form or body.
    ARCHIVED = "archived", _("Archived (removed)")


# Statuses a merchandiser or an integration may set; ARCHIVED is what "remove" does.
SETTABLE_VARIANT_STATUSES = (VariantStatus.ACTIVE, VariantStatus.INACTIVE)
SETTABLE_VARIANT_STATUS_CHOICES = [(s.value, s.label) for s in SETTABLE_VARIANT_STATUSES]
# Variants that hold their option combination: a removed variant frees it for a new SKU.
HOLDS_COMBINATION = ~Q(status=VariantStatus.ARCHIVED)


class ImmutableSkuError(ValidationError):
    pass


class VariantQuerySet(models.QuerySet):
    def live(self):
        """Variants not removed (archived): the ones a product page lists and edits."""
        return self.filter(HOLDS_COMBINATION)


class Variant(TimeStampedModel):
    """The SKU: one buyable combination of a product's option values.

    `sku` is identity: unique, opaque, immutable once saved, never reused. A variant is never
    deleted: "remove" archives it, so the unique index on `sku` covers every SKU ever saved.
    The database enforces it too: products protect their variants, and a trigger refuses any
    DELETE on the table (migration 0002). `option_key` is the sorted ids of the variant's
    option values, so the database refuses a duplicate combination among live variants.
    """

    product = models.ForeignKey(Product, related_name="variants", on_delete=models.PROTECT)
    sku = models.CharField(max_length=64, unique=True)
    title = models.CharField(max_length=255, blank=True)
    option_values = models.ManyToManyField(OptionValue, blank=True, related_name="variants")
    option_key = models.CharField(max_length=255, blank=True, editable=False)
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=VariantStatus.choices, default=VariantStatus.ACTIVE
    )
    position = models.PositiveIntegerField(default=0)

    objects = VariantQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "option_key"],
                condition=HOLDS_COMBINATION,
                name="variant_unique_option_combination",
            ),
            models.CheckConstraint(
                condition=Q(status__in=VariantStatus.values), name="variant_status_valid"
            ),
            models.CheckConstraint(condition=~Q(sku=""), name="variant_sku_not_empty"),
        ]

    def __str__(self):
        return self.sku

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._saved_sku = instance.__dict__.get("sku")
        return instance

    def save(self, *args, **kwargs):
        # Last line of defence for an invariant: every interface refuses the change earlier
        # with a friendly error; this stops a buggy caller from rewriting identity.
        saved = getattr(self, "_saved_sku", None)
        if self.pk and saved is not None and saved != self.sku:
            raise ImmutableSkuError(
                {"sku": _("The SKU cannot change once saved (was %(old)s).") % {"old": saved}}
            )
        super().save(*args, **kwargs)
        self._saved_sku = self.sku

    @property
    def is_active(self) -> bool:
        return self.status == VariantStatus.ACTIVE

    @property
    def is_archived(self) -> bool:
        return self.status == VariantStatus.ARCHIVED

    def option_label(self) -> str:
        return " / ".join(ov.value for ov in self.option_values.all()) or self.title


class VariantPrice(models.Model):
    """A variant's price in one currency, in integer minor units."""

    variant = models.ForeignKey(Variant, related_name="prices", on_delete=models.CASCADE)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    amount_cents = models.BigIntegerField(validators=[MinValueValidator(0)])
    compare_at_cents = models.BigIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["variant", "currency"], name="price_unique_currency"),
            models.CheckConstraint(condition=Q(amount_cents__gte=0), name="price_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(compare_at_cents__isnull=True) | Q(compare_at_cents__gte=0),
                name="price_compare_at_gte_0",
            ),
        ]

    def __str__(self):
        return f"{self.variant_id} {self.amount_cents} {self.currency}"

    @property
    def is_on_sale(self) -> bool:
        return self.compare_at_cents is not None and self.compare_at_cents > self.amount_cents


class VariantIdentifier(models.Model):
    """A barcode or catalogue number. Values are stored normalised; (kind, value) is unique."""

    class Kind(models.TextChoices):
        GTIN = "gtin", "GTIN"
        EAN = "ean", "EAN"
        UPC = "upc", "UPC"
        ISBN = "isbn", "ISBN"
        MPN = "mpn", "MPN"
        ASIN = "asin", "ASIN"

    variant = models.ForeignKey(Variant, related_name="identifiers", on_delete=models.CASCADE)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=70)

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identifier_unique_value"),
            models.CheckConstraint(condition=Q(kind__in=KINDS), name="identifier_kind_valid"),
        ]

    def __str__(self):
        return f"{self.kind.upper()} {self.value}"

    def clean(self):
        try:
            self.value = normalize_identifier(self.kind, self.value)
        except InvalidIdentifier as exc:
            raise ValidationError({"value": str(exc)}) from None


def validate_image_file(upload):
    FileExtensionValidator(["jpg", "jpeg", "png", "gif", "webp", "avif"])(upload)


class Media(models.Model):
    """A product image, uploaded or referenced by URL, optionally shown for one variant."""

    product = models.ForeignKey(Product, related_name="media", on_delete=models.CASCADE)
    variant = models.ForeignKey(
        Variant, null=True, blank=True, related_name="media", on_delete=models.SET_NULL
    )
    image = models.FileField(upload_to="products/", blank=True, validators=[validate_image_file])
    external_url = models.URLField(max_length=1000, blank=True)
    alt_text = models.CharField(max_length=255, blank=True)
    alt_translations = models.JSONField(default=dict, blank=True, help_text=_("{locale: alt}"))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "media"
        constraints = [
            models.CheckConstraint(
                condition=~Q(image="") | ~Q(external_url=""), name="media_has_source"
            )
        ]

    def __str__(self):
        return self.url

    def clean(self):
        if not self.image and not self.external_url:
            raise ValidationError(_("Upload an image or give its URL."))
        if self.variant_id and self.product_id and self.variant.product_id != self.product_id:
            raise ValidationError({"variant": _("That variant belongs to another product.")})

    @property
    def url(self) -> str:
        return self.image.url if self.image else self.external_url

    def alt_for(self, locale: str) -> str:
        return self.alt_translations.get(locale) or self.alt_text or self.product.title


def unique_handle(title: str, exclude_pk: int | None = None) -> str:
    """A slug for `title` that no other product uses yet."""
    base = slugify(title)[:180] or "product"
    handle, n = base, 2
    qs = Product.objects.exclude(pk=exclude_pk) if exclude_pk else Product.objects.all()
    while qs.filter(handle=handle).exists():
        handle, n = f"{base}-{n}", n + 1
    return handle


class ProductSearchDocument(models.Model):
    """A listed product as the storefront's search reads it, one row per search language.

    Maintained by catalog.services.search_index (every catalog write service that changes what
    it holds calls it in its own transaction), never edited. A row exists only while the product
    is active; `currencies` are those its active variants are priced in, so a search reads this
    table alone to find what a market can sell and joins the products of one page. `document`
    is weighted: A title (and its translation), B brand, categories and product type, C option
    values and SKUs, D description, stemmed with the language's text-search configuration
    (docs/storefront.md, "Search"). PostgreSQL only: migrations 0003-0005 add its GIN indexes
    there (one per language, no pending list), and SQLite (`make run`) searches the products'
    own columns instead.
    """

    product = models.ForeignKey(Product, related_name="search_documents", on_delete=models.CASCADE)
    language = models.CharField(max_length=10)
    document = SearchVectorField()
    currencies = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "language"], name="search_document_unique_language"
            )
        ]

    def __str__(self):
        return f"{self.product_id}:{self.language}"


class SearchSynonym(TimeStampedModel):
    """A group of words or phrases a shopper may type for the same thing ("t-shirt, tee, tshirt").

    A search for any of them also finds what the others find. Hyphens and spaces are the same
    ("t-shirt" is "t shirt"), case does not matter.
    """

    phrases = models.CharField(
        max_length=500,
        help_text=_("Same-meaning phrases, comma-separated: t-shirt, tee"),
    )

    class Meta:
        ordering = ["phrases"]
        verbose_name = _("search synonym group")

    def __str__(self):
        return self.phrases

    def phrase_list(self) -> list[str]:
        return [p.strip() for p in self.phrases.split(",") if p.strip()]
