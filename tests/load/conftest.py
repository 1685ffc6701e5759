import pytest

from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock
from tests.factories.orders import ensure_order_config


@pytest.fixture
def product(db):
    """One buyable SKU with 2 units in stock, as the load's buyers name it (sku, handle)."""
    ensure_order_config()
    variant = VariantFactory(sku="LOAD-TEE", prices={"USD": 2500})
    stock(variant, LocationFactory(code="us-east", country="US"), 2)
    return {"sku": variant.sku, "handle": variant.product.handle}
