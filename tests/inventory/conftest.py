import pytest

from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, market


@pytest.fixture
def us(db):
    return market("US")


@pytest.fixture
def warehouse(db):
    return LocationFactory(code="us-east", country="US", priority=10)


@pytest.fixture
def variant(db):
    return VariantFactory(sku="TEE-RED-M")
