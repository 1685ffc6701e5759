"""catalog.services.save_product_details / save_product_content: the admin product page's own
fields, categories, translations, attribute values and images, written by services."""

import pytest

from catalog import services
from catalog.models import Media, ProductStatus, ProductTranslation
from shop.exceptions import ValidationFailed
from tests.factories.catalog import (
    CategoryFactory,
    MediaFactory,
    ProductFactory,
    ProductTranslationFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


def _content(product):
    return (
        sorted(product.translations.values_list("locale", "title")),
        sorted(product.media.values_list("external_url", "variant__sku")),
    )


def test_save_product_details_sets_categories_and_keeps_the_saved_status(merchandiser):
    product = ProductFactory(status=ProductStatus.DRAFT, published_at=None)
    tees = CategoryFactory(slug="tees")
    product.title, product.status = "Renamed", ProductStatus.ARCHIVED  # as the form left it

    services.save_product_details(
        product=product, status=ProductStatus.DRAFT, categories=[tees], actor=merchandiser
    )

    product.refresh_from_db()
    assert (product.title, product.status, product.published_at) == ("Renamed", "draft", None)
    assert list(product.categories.all()) == [tees]


def test_save_product_details_refuses_an_upper_case_handle_like_the_api():
    product = ProductFactory(handle="cap", title="Cap")
    product.handle, product.title = "Cap-Hat", "Changed"

    with pytest.raises(ValidationFailed) as caught:
        services.save_product_details(product=product, status="draft", actor=None)

    product.refresh_from_db()
    assert caught.value.fields == {
        "handle": ["Use lower-case letters, digits, hyphens and underscores only."]
    }
    assert (product.handle, product.title) == ("cap", "Cap")


def test_save_product_content_saves_and_removes_rows(merchandiser):
    product = ProductFactory()
    old = ProductTranslationFactory(product=product, locale="fr", title="Ancien")
    variant = VariantFactory(product=product, sku="CAP-1")
    image = Media(product=product, variant=variant, external_url="https://img.example/1.jpg")
    german = ProductTranslation(product=product, locale="de", title="Mütze")

    services.save_product_content(
        product=product, rows=[image, german], removed=[old], actor=merchandiser
    )

    assert _content(product) == ([("de", "Mütze")], [("https://img.example/1.jpg", "CAP-1")])


def test_save_product_content_refuses_rows_of_another_product_and_writes_nothing():
    product, other = ProductFactory(title="Cap"), ProductFactory(title="Hat")
    theirs = MediaFactory(product=other)
    stray_variant = Media(
        product=product,
        variant=VariantFactory(product=other, sku="HAT-1"),
        external_url="https://img.example/2.jpg",
    )
    before = (_content(product), _content(other))

    with pytest.raises(ValidationFailed) as caught:
        services.save_product_content(
            product=product, rows=[stray_variant], removed=[theirs], actor=None
        )

    assert caught.value.fields == {
        "non_field_errors": [
            "That variant belongs to another product.",
            f"{theirs!r} is not content of Cap.",
        ]
    }
    assert (_content(product), _content(other)) == before
