import pytest

from inventory.models import StockLevel, StockMovement
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.shop import StaffFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_operations_user_adjusts_stock_with_a_reason(page, live_server, login):
    from django.core.management import call_command

    call_command("setup_roles")
    ops = StaffFactory(email="ops-e2e@example.com", groups=["Operations"])
    variant = VariantFactory(sku="E2E-TEE")
    stock(variant, LocationFactory(code="us-east"), 10)
    login(ops)

    page.goto(f"{live_server.url}/admin/inventory/stocklevel/")
    page.get_by_role("link", name="Adjust").first.click()
    page.fill("#id_delta", "-2")
    page.fill("#id_reason", "Water damage")
    page.get_by_role("button", name="Adjust stock").click()

    page.wait_for_url(f"{live_server.url}/admin/inventory/stocklevel/")
    assert "on hand now 8" in page.content()
    assert StockLevel.objects.get().on_hand == 8
    assert StockMovement.objects.latest("pk").reason == "Water damage"
