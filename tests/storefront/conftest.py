import pytest

from tests.storefront.checkout_support import stocked_tee


@pytest.fixture
def tee(db):
    """TEE-RED-M, $25.00, 10 units in the US warehouse; shipping and tax tables seeded."""
    return stocked_tee()
