import pytest

from orders import providers
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market, stock


@pytest.fixture
def us(db):
    return market("US")


@pytest.fixture
def warehouse(db):
    return LocationFactory(code="us-east", country="US", priority=10)


@pytest.fixture
def variant(db):
    return VariantFactory(sku="TEE-RED-M", prices={"USD": 2500, "CAD": 3200, "EUR": 2399})


@pytest.fixture
def stocked(variant, warehouse):
    """TEE-RED-M with 10 units in the US warehouse."""
    stock(variant, warehouse, 10)
    return variant


@pytest.fixture
def gateway():
    """The dummy gateway, as the services use it (its ledger is in the test database)."""
    return providers.payment_gateway()
