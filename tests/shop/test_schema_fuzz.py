"""The OpenAPI document, fuzzed: schemathesis generates requests for every operation and every
answer must be no 5xx, a documented status, and a body that matches the documented schema.

Each generated request is sent four times, as anonymous, a customer, a Merchandiser and an
Operations user (API tokens), to the Django WSGI app in-process (no server, the test's own
database transaction). Bounded: MAX_EXAMPLES per operation, so the whole run takes a minute or
two; raise SCHEMA_FUZZ_EXAMPLES to dig deeper (the issue's hand fuzzing sent ~4,000 requests).
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tests.factories.catalog import CategoryFactory, VariantFactory
from tests.factories.inventory import LocationFactory, stock

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MAX_EXAMPLES = int(os.environ.get("SCHEMA_FUZZ_EXAMPLES", "20"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
SENT: dict[str, int] = {}  # operation label -> requests sent, for the closing count


@pytest.fixture
def api_schema(db):
    from shop.wsgi import application

    # The real WSGI handler closes "old" database connections when a request starts and
    # ends; in a test that is the connection holding the test's transaction. Django's own
    # test client switches this off the same way while it sends a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def actors(db, customer, merchandiser, operations_user):
    """Request headers of each actor: anonymous, then each user's API token."""
    from shop import tokens

    headers = {"anonymous": {}}
    for name, user in (("customer", customer), ("merchandiser", merchandiser)):
        headers[name] = {"Authorization": f"Token {tokens.issue_api_token(user=user)[1]}"}
    key = tokens.issue_api_token(user=operations_user)[1]
    headers["operations"] = {"Authorization": f"Token {key}"}
    return headers


@pytest.fixture
def catalog_and_stock(db):
    """Something for the generated requests to find: a category, a product, stock."""
    category = CategoryFactory(slug="hoodies")
    variant = VariantFactory(sku="FUZZ-1", product__handle="fuzz-hoodie")
    variant.product.categories.set([category])
    stock(variant, LocationFactory(code="WH1"), 10)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same examples every run: a red build is reproducible
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, actors, catalog_and_stock):
    for headers in actors.values():
        case.call_and_validate(headers=headers, checks=CHECKS)
        # Schemathesis also tries methods the path does not document (expecting a 405).
        label = f"{case.method} {case.path}"
        SENT[label] = SENT.get(label, 0) + 1


def test_zz_fuzzing_reached_every_operation(api_schema):
    """Runs after the fuzz test (file order): it sent requests to every operation."""
    if not SENT:
        pytest.skip("the fuzz test did not run in this session (deselected)")
    operations = {
        f"{method.upper()} {path}"
        for path, item in api_schema.raw_schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    documented = {label: sent for label, sent in SENT.items() if label in operations}
    print(
        f"\nschema fuzz: {len(documented)} operations, {sum(documented.values())} requests to "
        f"them, {sum(SENT.values())} in all (undocumented methods included)"
    )
    assert set(documented) == operations
