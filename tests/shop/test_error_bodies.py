"""Error bodies stay small whatever the request: at most 50 messages in `fields`, plus
`more_errors` counting the rest; long keys and messages are cut.

Reproduces finding 7 of the hardening issue: a 0.9 MB POST answered with a 117 MB 400, and
100k unknown keys with a 19 MB one.
"""

import json

import pytest

from catalog.models import Product, Variant
from shop.api.errors import MAX_FIELD_ERRORS, bound_fields, error_body

pytestmark = pytest.mark.django_db

SMALL = 64 * 1024


def _leaves(node) -> list[str]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _leaves(value)]
    if isinstance(node, list):
        return [leaf for value in node for leaf in _leaves(value)]
    return [node]


def _post(client, url, body: str, method="POST"):
    return client.generic(method, url, body, content_type="application/json")


def test_a_09_mb_create_with_thousands_of_bad_variants_answers_a_small_400(merchandiser_api):
    variants = [
        {
            "sku": f"BAD-{i:05d}",
            "option_values": {},
            "prices": [{"amount": -1, "currency": "USD"}],
            "bogus": "x" * 60,
        }
        for i in range(6000)
    ]
    body = json.dumps({"title": "Flood", "status": "draft", "options": [], "variants": variants})
    assert 850_000 < len(body) < 1_000_000

    response = _post(merchandiser_api, "/api/v1/products", body)

    assert response.status_code == 400
    assert len(response.content) < SMALL
    data = response.json()
    assert data["code"] == "validation_error"
    assert len(_leaves(data["fields"])) == MAX_FIELD_ERRORS
    # Per variant: the unknown key and the price; and every variant after the first repeats
    # the first one's (empty) option values.
    assert data["more_errors"] == 2 * 6000 + 5999 - MAX_FIELD_ERRORS
    assert sorted(data["fields"]["variants"], key=int) == [str(i) for i in range(17)]
    assert data["detail"] == (
        "Variant 'BAD-00000' variants[0].bogus: Unknown field; expected one of ['identifiers', "
        "'option_values', 'prices', 'sku', 'status', 'title', 'weight_grams']. "
        "(17998 more problem(s) in `fields`.)"
    )
    assert Product.objects.count() == 0
    assert Variant.objects.count() == 0


def test_a_body_with_100k_unknown_keys_answers_a_small_400(merchandiser_api):
    keys = ", ".join(f'"k{i}": 1' for i in range(100_000))
    body = '{"title": "Keys", "status": "draft", ' + keys + "}"

    response = _post(merchandiser_api, "/api/v1/products", body)

    assert response.status_code == 400
    assert len(response.content) < SMALL
    data = response.json()
    assert len(_leaves(data["fields"])) == MAX_FIELD_ERRORS
    assert data["more_errors"] == 100_000 - MAX_FIELD_ERRORS
    assert Product.objects.count() == 0


def test_a_huge_unknown_key_is_cut_in_the_echo(merchandiser_api):
    body = json.dumps({"title": "Key", "status": "draft", "k" * 500_000: 1})

    response = _post(merchandiser_api, "/api/v1/products", body)

    assert response.status_code == 400
    assert len(response.content) < SMALL
    (key,) = response.json()["fields"]
    assert key == "k" * 99 + "…"
    assert "more_errors" not in response.json()


def test_a_drf_serializer_list_error_is_bounded(operations_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(operations_user)
    items = [{"sku": "A-1", "on_hand": 1}] + [{"sku": "", "on_hand": -1}] * 5000
    body = json.dumps({"location": "WH1", "as_of": "2026-01-01T00:00:00Z", "items": items})

    response = _post(client, "/api/v1/inventory/levels", body, method="PUT")

    assert response.status_code == 400
    assert len(response.content) < SMALL
    data = response.json()
    assert len(_leaves(data["fields"])) == MAX_FIELD_ERRORS
    assert data["more_errors"] == 5000 - MAX_FIELD_ERRORS  # a blank SKU in each bad item
    # DRF names list items by index; the valid first item is not among them.
    assert list(data["fields"]["items"]) == [str(i) for i in range(1, 51)]


# --- the bounding itself --------------------------------------------------------------------


def test_bound_fields_keeps_the_first_messages_in_document_order():
    fields = {"a": ["1", "2"], "b": {"0": {"c": ["3"]}, "1": {"d": ["4", "5"]}}, "e": ["6"]}

    assert bound_fields(fields, limit=4) == (
        {"a": ["1", "2"], "b": {"0": {"c": ["3"]}, "1": {"d": ["4"]}}},
        2,
    )
    assert bound_fields(fields, limit=50) == (fields, 0)


def test_bound_fields_cuts_long_keys_and_messages():
    fields, more = bound_fields({"k" * 300: ["m" * 3000]})

    assert fields == {"k" * 99 + "…": ["m" * 499 + "…"]}
    assert more == 0


def test_error_body_counts_the_rest_and_cuts_the_detail():
    body = error_body("validation_error", "d" * 5000, {"f": [str(i) for i in range(60)]})

    assert body == {
        "code": "validation_error",
        "detail": "d" * 999 + "…",
        "fields": {"f": [str(i) for i in range(50)]},
        "more_errors": 10,
    }
