"""Catalog content and taxonomy services: specs, translations, images, categories, attributes.

Exact values on success; a refusal names the item and field and writes nothing.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.base import ContentFile

from catalog.models import Attribute, Category, Media, ProductAttributeValue, ProductTranslation
from catalog.services import content, taxonomy
from shop.exceptions import Conflict, ValidationFailed
from tests.factories.catalog import (
    AttributeFactory,
    CategoryFactory,
    ProductFactory,
    VariantFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def attributes():
    return {
        "material": AttributeFactory(code="material", name="Material"),
        "pages": AttributeFactory(code="pages", name="Pages", kind=Attribute.Kind.NUMBER),
        "wireless": AttributeFactory(code="wireless", name="Wireless", kind="boolean"),
    }


def _values(product):
    return {
        row.attribute.code: (row.value_text, row.value_number, row.value_boolean)
        for row in ProductAttributeValue.objects.filter(product=product)
    }


def test_set_product_specs_writes_each_kind_and_changes_only_what_differs(attributes, admin_user):
    lamp, book = ProductFactory(handle="lamp"), ProductFactory(handle="book")

    written = content.set_product_specs(
        items=[
            content.SpecInput(
                product=lamp,
                values={"material": " Brass ", "wireless": False},
                translations={"material": {"de": "Messing"}},
            ),
            content.SpecInput(product=book, values={"pages": 320}),
        ],
        actor=admin_user,
    )
    again = content.set_product_specs(
        items=[content.SpecInput(product=lamp, values={"material": "Brass", "wireless": True})]
    )

    assert (written, again) == (3, 1)
    assert _values(lamp) == {"material": ("Brass", None, None), "wireless": ("", None, True)}
    assert _values(book) == {"pages": ("", 320, None)}
    material = ProductAttributeValue.objects.get(product=lamp, attribute__code="material")
    assert material.value_translations == {"de": "Messing"}
    assert LogEntry.objects.filter(object_id=str(lamp.pk)).get().change_message == (
        "Changed specifications: material, wireless."
    )


def test_set_product_specs_refuses_every_bad_value_and_writes_nothing(attributes):
    lamp = ProductFactory(handle="lamp")

    with pytest.raises(ValidationFailed) as refused:
        content.set_product_specs(
            items=[
                content.SpecInput(product=lamp, values={"material": "Brass"}),
                content.SpecInput(
                    product=lamp,
                    values={"pages": "many", "wireless": 1, "colour": "red", "material": " "},
                ),
            ]
        )

    assert refused.value.fields == {
        "1": {
            "pages": ["Pages takes a whole number."],
            "wireless": ["Wireless takes yes or no."],
            "colour": ["No attribute has the code 'colour'; create it first."],
            "material": ["Material takes text."],
        }
    }
    assert not ProductAttributeValue.objects.exists()


def test_set_product_translations_creates_replaces_and_refuses_duplicates():
    lamp = ProductFactory(handle="lamp", title="Lamp")

    content.set_product_translations(
        items=[content.TranslationInput(product=lamp, locale="de", title="Lampe")]
    )
    changed = content.set_product_translations(
        items=[
            content.TranslationInput(
                product=lamp, locale="de", title="Leuchte", description="Hell."
            ),
            content.TranslationInput(product=lamp, locale="fr", title="Lampe"),
        ]
    )
    with pytest.raises(ValidationFailed) as refused:
        content.set_product_translations(
            items=[
                content.TranslationInput(product=lamp, locale="de", title="X"),
                content.TranslationInput(product=lamp, locale="de", title="Y"),
            ]
        )

    assert changed == 2
    assert refused.value.fields == {"1": {"locale": ["The de copy is given twice."]}}
    assert sorted(
        ProductTranslation.objects.filter(product=lamp).values_list(
            "locale", "title", "description"
        )
    ) == [("de", "Leuchte", "Hell."), ("fr", "Lampe", "")]


def test_add_product_media_stores_uploads_names_and_urls_in_order(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    lamp = ProductFactory(handle="lamp")
    red = VariantFactory(product=lamp, sku="LAMP-RED")
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "kept.png").write_bytes(b"png")

    rows = content.add_product_media(
        items=[
            content.MediaInput(product=lamp, image="products/kept.png", alt_text="Kept"),
            content.MediaInput(product=lamp, image=ContentFile(b"png", name="up.png")),
            content.MediaInput(
                product=lamp, external_url="https://img.test/red.jpg", variant_sku="LAMP-RED"
            ),
        ]
    )

    assert [(m.position, m.variant_id, m.alt_text) for m in rows] == [
        (0, None, "Kept"),
        (1, None, ""),
        (2, red.pk, ""),
    ]
    stored = Media.objects.filter(product=lamp).order_by("position")
    assert stored[0].image.name == "products/kept.png"
    assert stored[1].image.name.startswith("products/up") and stored[1].image.name.endswith(".png")
    assert (tmp_path / stored[1].image.name).read_bytes() == b"png"
    assert stored[2].external_url == "https://img.test/red.jpg"


def test_add_product_media_refuses_a_foreign_variant_a_missing_source_and_a_bad_type():
    lamp, other = ProductFactory(handle="lamp"), ProductFactory(handle="other")
    VariantFactory(product=other, sku="OTHER-1")

    with pytest.raises(ValidationFailed) as refused:
        content.add_product_media(
            items=[
                content.MediaInput(product=lamp, external_url="https://img.test/ok.jpg"),
                content.MediaInput(product=lamp, external_url="https://x", variant_sku="OTHER-1"),
                content.MediaInput(product=lamp),
                content.MediaInput(product=lamp, image=ContentFile(b"x", name="notes.txt")),
            ]
        )

    fields = refused.value.fields
    assert fields["1"] == {"variant": ["The product has no variant OTHER-1."]}
    assert fields["2"] == {"non_field_errors": ["Upload an image or give its URL."]}
    assert list(fields["3"]) == ["image"]
    assert not Media.objects.exists()


def test_create_category_builds_the_path_and_refuses_a_taken_place():
    apparel = taxonomy.create_category(name="Apparel", slug="apparel")
    hoodies = taxonomy.create_category(name="Hoodies", slug="hoodies", parent=apparel, position=2)

    with pytest.raises(ValidationFailed) as taken:
        taxonomy.create_category(name="Again", slug="hoodies", parent=apparel)
    with pytest.raises(ValidationFailed) as bad:
        taxonomy.create_category(name="Bad", slug="not a slug")

    assert (hoodies.path, hoodies.position, hoodies.parent_id) == (
        "apparel/hoodies",
        2,
        apparel.pk,
    )
    assert str(taken.value) == "Category with this Parent and Slug already exists."
    assert list(bad.value.fields) == ["slug"]
    assert sorted(Category.objects.values_list("path", flat=True)) == [
        "apparel",
        "apparel/hoodies",
    ]


def test_create_attribute_refuses_a_code_in_use():
    taxonomy.create_attribute(code="care", name="Care", name_translations={"de": "Pflege"})

    with pytest.raises(ValidationFailed) as taken:
        taxonomy.create_attribute(code="care", name="Care again")

    assert list(taken.value.fields) == ["code"]
    assert list(Attribute.objects.values_list("code", "name", "name_translations")) == [
        ("care", "Care", {"de": "Pflege"})
    ]


def test_create_category_reports_a_concurrent_duplicate_as_a_conflict(monkeypatch):
    root = CategoryFactory(slug="apparel", name="Apparel")
    # The check passed, then another writer took the slug: the database refuses the insert.
    monkeypatch.setattr(Category.objects, "filter", lambda **kw: Category.objects.none())
    monkeypatch.setattr(Category, "full_clean", lambda self, **kw: None)

    with pytest.raises(Conflict):
        taxonomy.create_category(name="Apparel", slug="apparel")

    assert list(Category.objects.all()) == [root]
