"""Drop mode test support: a clean admission gate (its Redis keys, client and caches) and a
drop scheduled through the real service."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from inventory import drop_gate
from inventory.services import drops as drop_services


def clear_gate() -> None:
    drop_gate.reset_client()
    drop_gate.forget_rules()
    if settings.DROP_GATE_REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.DROP_GATE_REDIS_URL)
        keys = list(client.scan_iter(f"{settings.DROP_GATE_KEY_PREFIX}:drop:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture
def clean_gate():
    """The admission gate, empty before and after the test (needs REDIS_URL)."""
    if not settings.DROP_GATE_REDIS_URL:
        pytest.skip("drop mode's gate needs Redis (REDIS_URL)")
    clear_gate()
    yield drop_gate
    clear_gate()


def start_drop(*, variant=None, product=None, per_order=None, per_customer=None):
    """A live drop (starting now), through the service."""
    drop = drop_services.schedule_drop(
        variant=variant,
        product=product,
        starts_at=timezone.now(),
        per_order_limit=per_order,
        per_customer_limit=per_customer,
    )
    drop_gate.forget_rules()  # tests outside a committed transaction read the change now
    return drop
