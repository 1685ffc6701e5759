"""The Transfer admin drafts and changes transfers through inventory.services only."""

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.test import Client
from django.urls import reverse

from inventory import services
from inventory.models import StockLevel, StockMovement, Transfer, TransferLine, TransferStatus
from tests.factories.catalog import VariantFactory
from tests.factories.inventory import LocationFactory, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops_client(operations_user):
    client = Client()
    client.force_login(operations_user)
    return client


@pytest.fixture
def store(db):
    return LocationFactory(code="nyc-store", priority=50)


@pytest.fixture
def spy(monkeypatch):
    """Records the calls of a service the admin looks up on inventory.services."""
    calls = []

    def watch(name):
        real = getattr(services, name)

        def wrapper(**kwargs):
            calls.append((name, kwargs))
            return real(**kwargs)

        monkeypatch.setattr(services, name, wrapper)

    watch("create_transfer")
    watch("update_transfer")
    return calls


def _form(source, destination, lines, *, initial=0, note="", extra=None):
    data = {
        "source": source.pk,
        "destination": destination.pk,
        "note": note,
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": str(initial),
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    data.update(extra or {})
    return data


def _stock_snapshot():
    return sorted(
        StockLevel.objects.values_list(
            "variant__sku", "location__code", "on_hand", "reserved", "in_transit_in"
        )
    )


def test_add_form_drafts_the_transfer_through_the_service(
    ops_client, operations_user, spy, variant, warehouse, store
):
    mug = VariantFactory(sku="MUG-1")
    stock(variant, warehouse, 10)
    stock(mug, warehouse, 5)
    before = _stock_snapshot()

    response = ops_client.post(
        reverse("admin:inventory_transfer_add"),
        _form(
            warehouse,
            store,
            [{"variant": variant.pk, "quantity": "4"}, {"variant": mug.pk, "quantity": "2"}],
            note="restock the store",
        ),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    transfer = Transfer.objects.get()
    assert [name for name, _ in spy] == ["create_transfer"]
    assert spy[0][1]["actor"] == operations_user
    assert (transfer.status, transfer.note, transfer.created_by) == (
        TransferStatus.DRAFT,
        "restock the store",
        operations_user,
    )
    assert sorted(transfer.lines.values_list("variant__sku", "quantity")) == [
        ("MUG-1", 2),
        ("TEE-RED-M", 4),
    ]
    # A draft moves nothing, exactly as create_transfer: no ledger rows, no in-transit units.
    assert _stock_snapshot() == before
    assert sorted(StockMovement.objects.values_list("variant__sku", "kind", "delta")) == [
        ("MUG-1", "receipt", 5),
        ("TEE-RED-M", "receipt", 10),
    ]
    entry = LogEntry.objects.get(object_id=str(transfer.pk))
    assert (entry.action_flag, entry.user) == (ADDITION, operations_user)
    assert response["Location"] == reverse("admin:inventory_transfer_changelist")


def test_a_line_the_service_refuses_is_an_error_on_that_row_and_nothing_is_written(
    ops_client, spy, variant, warehouse, store, settings
):
    settings.INVENTORY_MAX_QUANTITY = 1000
    mug = VariantFactory(sku="MUG-1")
    stock(variant, warehouse, 10)
    before = _stock_snapshot()

    response = ops_client.post(
        reverse("admin:inventory_transfer_add"),
        _form(
            warehouse,
            store,
            [{"variant": variant.pk, "quantity": "3"}, {"variant": mug.pk, "quantity": "5000"}],
        ),
    )

    assert response.status_code == 200
    assert [name for name, _ in spy] == ["create_transfer"]
    first, second = response.context["inline_admin_formsets"][0].formset.errors
    assert first == {}
    assert second == {"quantity": ["quantity must be between 1 and 1000, not 5000."]}
    assert not Transfer.objects.exists()
    assert not TransferLine.objects.exists()
    assert _stock_snapshot() == before


def test_a_transfer_without_lines_is_a_form_error(ops_client, warehouse, store):
    response = ops_client.post(
        reverse("admin:inventory_transfer_add"),
        _form(warehouse, store, [{"variant": "", "quantity": ""}]),
    )

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.non_form_errors() == ["Add at least one line."]
    assert not Transfer.objects.exists()


def test_change_form_replaces_a_drafts_lines_through_the_service(
    ops_client, spy, variant, warehouse, store
):
    mug, lamp = VariantFactory(sku="MUG-1"), VariantFactory(sku="LAMP-1")
    transfer = services.create_transfer(
        source=warehouse, destination=store, lines={variant: 4, mug: 2}
    )
    tee_line, mug_line = transfer.lines.order_by("pk")
    spy.clear()

    response = ops_client.post(
        reverse("admin:inventory_transfer_change", args=[transfer.pk]),
        _form(
            warehouse,
            store,
            [
                {"id": tee_line.pk, "transfer": transfer.pk, "variant": variant.pk, "quantity": 6},
                {
                    "id": mug_line.pk,
                    "transfer": transfer.pk,
                    "variant": mug.pk,
                    "quantity": 2,
                    "DELETE": "on",
                },
                {"transfer": transfer.pk, "variant": lamp.pk, "quantity": 1},
            ],
            initial=2,
            note="now with a lamp",
        ),
    )

    assert response.status_code == 302
    assert [name for name, _ in spy] == ["update_transfer"]
    transfer.refresh_from_db()
    assert transfer.note == "now with a lamp"
    assert sorted(transfer.lines.values_list("variant__sku", "quantity")) == [
        ("LAMP-1", 1),
        ("TEE-RED-M", 6),
    ]
    assert TransferLine.objects.get(variant=variant).pk == tee_line.pk  # kept, not re-created


def test_a_shipped_transfer_keeps_its_lines_when_its_note_changes(
    ops_client, variant, warehouse, store
):
    stock(variant, warehouse, 10)
    transfer = services.create_transfer(source=warehouse, destination=store, lines={variant: 4})
    services.ship_transfer(transfer=transfer)
    before = _stock_snapshot()

    response = ops_client.post(
        reverse("admin:inventory_transfer_change", args=[transfer.pk]),
        {"note": "truck 7", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1"},
    )

    assert response.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.note, transfer.status) == ("truck 7", TransferStatus.IN_TRANSIT)
    assert list(transfer.lines.values_list("variant__sku", "quantity")) == [("TEE-RED-M", 4)]
    assert _stock_snapshot() == before


def test_transfers_cannot_be_deleted_in_the_admin(ops_client, variant, warehouse, store):
    transfer = services.create_transfer(source=warehouse, destination=store, lines={variant: 1})

    response = ops_client.post(
        reverse("admin:inventory_transfer_delete", args=[transfer.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Transfer.objects.filter(pk=transfer.pk).exists()
