"""The customer's return pages: from the order page to an RMA with its label (issue 12)."""

import pytest
from django.urls import reverse

from returns.models import ReturnPolicy, ReturnRequest
from tests.factories.shop import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def return_page(delivered):
    ReturnPolicy.objects.create(market=delivered.market, auto_approve=True)
    return reverse("returns:request", args=[delivered.public_id])


def test_customer_previews_the_refund_then_requests_and_downloads_the_label(
    client, delivered, customer, return_page
):
    client.force_login(customer)
    order_page = client.get(reverse("order", args=[delivered.public_id])).content.decode()
    assert return_page in order_page
    one = delivered.lines.order_by("pk").first()
    form = {f"qty_{one.public_id}": "2", f"reason_{one.public_id}": "doesnt_fit", "note": ""}

    preview = client.post(return_page, {**form, "preview": "1"})
    assert preview.status_code == 200 and b"$20.80" in preview.content
    assert not ReturnRequest.objects.exists()

    done = client.post(return_page, {**form, "confirm": "1"})
    rma = ReturnRequest.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse(
        "returns:detail", args=[rma.public_id]
    )
    detail = client.get(done["Location"]).content.decode()
    assert "Approved" in detail and reverse("returns:label", args=[rma.public_id]) in detail
    label = client.get(reverse("returns:label", args=[rma.public_id]))
    assert label["Content-Type"] == "application/pdf" and label.content.startswith(b"%PDF")
    assert rma.reference in client.get(reverse("account")).content.decode()
    # Both units are on their way back: nothing of that line is offered again.
    assert f"qty_{one.public_id}" not in client.get(return_page).content.decode()


def test_a_reason_is_required_and_nothing_is_written_without_it(
    client, delivered, customer, return_page
):
    client.force_login(customer)
    one = delivered.lines.order_by("pk").first()

    answer = client.post(return_page, {f"qty_{one.public_id}": "1", "confirm": "1"})

    assert answer.status_code == 200 and b"Choose a reason" in answer.content
    assert not ReturnRequest.objects.exists()


def test_other_customers_get_404(client, delivered, customer, return_page):
    client.force_login(customer)
    one = delivered.lines.order_by("pk").first()
    client.post(
        return_page,
        {f"qty_{one.public_id}": "1", f"reason_{one.public_id}": "damaged", "confirm": "1"},
    )
    rma = ReturnRequest.objects.get()

    client.force_login(UserFactory(email="other@example.com"))

    assert client.get(return_page).status_code == 404
    assert client.get(reverse("returns:detail", args=[rma.public_id])).status_code == 404
    assert client.get(reverse("returns:label", args=[rma.public_id])).status_code == 404
