import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from shop.roles import setup_roles

pytestmark = pytest.mark.django_db


def test_setup_roles_creates_the_three_groups_idempotently():
    first = setup_roles()
    call_command("setup_roles")

    assert setup_roles() == first
    assert sorted(Group.objects.values_list("name", flat=True)) == [
        "Finance",
        "Merchandiser",
        "Operations",
    ]


def test_merchandiser_edits_catalog_but_only_views_inventory():
    setup_roles()
    perms = set(
        Group.objects.get(name="Merchandiser").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )

    assert ("catalog", "change_product") in perms
    assert ("catalog", "add_variant") in perms
    finance = set(Group.objects.get(name="Finance").permissions.values_list("codename", flat=True))
    assert "change_product" not in finance
    assert "view_product" in finance
