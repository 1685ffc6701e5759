import factory

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
from catalog.services.search_index import refresh_search_documents


def _refresh_search_document(product_id) -> None:
    """Factories write rows directly: keep the storefront search's document as the catalog
    services do after their writes."""
    refresh_search_documents(product_ids=[product_id])


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Brand {n}")
    slug = factory.Sequence(lambda n: f"brand-{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    parent = None


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    handle = factory.Sequence(lambda n: f"product-{n}")
    title = factory.Sequence(lambda n: f"Product {n}")
    description = "A fine product."
    brand = factory.SubFactory(BrandFactory)
    status = ProductStatus.ACTIVE

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def search_document(self, create, extracted, **kwargs):
        if create:
            _refresh_search_document(self.pk)


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option

    product = factory.SubFactory(ProductFactory)
    name = factory.Sequence(lambda n: f"Option {n}")


class OptionValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptionValue

    option = factory.SubFactory(OptionFactory)
    value = factory.Sequence(lambda n: f"Value {n}")


class VariantFactory(factory.django.DjangoModelFactory):
    """A variant with a USD price (pass `prices={"USD": 1999, "EUR": 1899}` to choose)."""

    class Meta:
        model = Variant
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    weight_grams = 250

    @factory.post_generation
    def prices(self, create, extracted, **kwargs):
        if not create:
            return
        for currency, cents in (extracted or {"USD": 2500}).items():
            VariantPrice.objects.create(variant=self, currency=currency, amount_cents=cents)

    @factory.post_generation
    def option_values(self, create, extracted, **kwargs):
        """Pass a list of OptionValue; sets option_key as the catalog services do."""
        if create and extracted:
            self.option_values.set(extracted)
            self.option_key = option_key_for(ov.pk for ov in extracted)
            self.save(update_fields=["option_key"])

    @factory.post_generation
    def search_document(self, create, extracted, **kwargs):
        if create:
            _refresh_search_document(self.product_id)


class VariantPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VariantPrice

    variant = factory.SubFactory(VariantFactory, prices={})
    currency = "USD"
    amount_cents = 1999


class VariantIdentifierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VariantIdentifier

    variant = factory.SubFactory(VariantFactory)
    kind = "ean"
    value = "4006381333931"


class MediaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Media

    product = factory.SubFactory(ProductFactory)
    external_url = factory.Sequence(lambda n: f"https://images.example.com/{n}.jpg")
    alt_text = "A product photo"


# --- Storefront: specifications and translated copy ---
from catalog.models import Attribute, ProductAttributeValue, ProductTranslation  # noqa: E402


class AttributeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attribute
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"attribute-{n}")
    name = factory.Sequence(lambda n: f"Attribute {n}")
    kind = Attribute.Kind.TEXT


class ProductAttributeValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductAttributeValue

    product = factory.SubFactory(ProductFactory)
    attribute = factory.SubFactory(AttributeFactory)
    value_text = "Cotton"


class ProductTranslationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductTranslation
        skip_postgeneration_save = True

    product = factory.SubFactory(ProductFactory)
    locale = "de"
    title = factory.Sequence(lambda n: f"Produkt {n}")
    description = "Ein feines Produkt."

    @factory.post_generation
    def search_document(self, create, extracted, **kwargs):
        if create:
            _refresh_search_document(self.product_id)
