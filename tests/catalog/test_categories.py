"""The category tree: slug paths follow moves and renames; the admin refuses a cycle."""

import pytest
from django.urls import reverse

from catalog.models import Category
from tests.factories.catalog import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    apparel = CategoryFactory(slug="apparel", name="Apparel")
    tops = CategoryFactory(slug="tops", name="Tops", parent=apparel)
    CategoryFactory(slug="hoodies", name="Hoodies", parent=tops)
    CategoryFactory(slug="sale", name="Sale")
    return apparel


def paths():
    return list(Category.objects.values_list("path", flat=True))


def category_post(category, **changes):
    return {
        "name": category.name,
        "slug": category.slug,
        "parent": category.parent_id or "",
        "description": "",
        "position": "0",
        **changes,
    }


def test_paths_are_slug_paths_from_the_root(tree):
    assert paths() == ["apparel", "apparel/tops", "apparel/tops/hoodies", "sale"]


def test_moving_a_category_moves_its_descendants_paths(tree):
    tops = Category.objects.get(path="apparel/tops")

    tops.parent = Category.objects.get(path="sale")
    tops.save()

    assert paths() == ["apparel", "sale", "sale/tops", "sale/tops/hoodies"]


def test_renaming_a_slug_renames_every_path_below_it(tree):
    tree.slug = "clothing"
    tree.save()

    assert paths() == ["clothing", "clothing/tops", "clothing/tops/hoodies", "sale"]


def test_admin_move_updates_descendant_paths(client, merchandiser, tree):
    client.force_login(merchandiser)
    tops = Category.objects.get(path="apparel/tops")
    sale = Category.objects.get(path="sale")
    url = reverse("admin:catalog_category_change", args=[tops.pk])

    response = client.post(url, category_post(tops, parent=str(sale.pk)))

    assert response.status_code == 302
    assert paths() == ["apparel", "sale", "sale/tops", "sale/tops/hoodies"]


def test_admin_refuses_a_category_inside_its_own_descendant(client, merchandiser, tree):
    client.force_login(merchandiser)
    hoodies = Category.objects.get(path="apparel/tops/hoodies")
    url = reverse("admin:catalog_category_change", args=[tree.pk])

    response = client.post(url, category_post(tree, parent=str(hoodies.pk)))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "A category cannot be inside itself."
    ]
    assert paths() == ["apparel", "apparel/tops", "apparel/tops/hoodies", "sale"]


def test_admin_refuses_a_second_child_with_the_same_slug(client, merchandiser, tree):
    client.force_login(merchandiser)
    apparel_tops = Category.objects.get(path="apparel/tops")

    response = client.post(
        reverse("admin:catalog_category_add"),
        category_post(apparel_tops, name="Tops again", parent=str(tree.pk)),
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert paths() == ["apparel", "apparel/tops", "apparel/tops/hoodies", "sale"]
