"""The returns console: Operations work the queue, Finance refunds after seeing the
breakdown, Merchandisers see no returns; refusals come back as form errors (issue 12)."""

import pytest
from django.urls import reverse

from orders.models import Order
from returns import services
from returns.models import ReturnPolicy, ReturnRequest, ReturnStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def rma(delivered):
    ReturnPolicy.objects.create(market=delivered.market, auto_approve=False)
    line = delivered.lines.order_by("pk").first()
    return services.request_return(
        order=delivered,
        lines=[{"line_id": line.public_id, "quantity": 2, "reason": "doesnt_fit"}],
    )


def step(rma, name):
    return reverse("admin:returns_returnrequest_step", args=[rma.pk, name])


def status_of(rma):
    return ReturnRequest.objects.get(pk=rma.pk).status


def test_operations_approve_receive_inspect_and_finance_refunds(
    client, rma, operations_user, finance_user
):
    client.force_login(operations_user)
    queue = client.get(reverse("admin:returns_returnrequest_changelist") + "?status=requested")
    assert queue.status_code == 200 and rma.reference in queue.content.decode()
    page = client.get(reverse("admin:returns_returnrequest_change", args=[rma.pk]))
    assert b"return-step-approve" in page.content and b"return-step-refund" not in page.content

    client.post(step(rma, "approve"), {"message": "Thanks"})
    assert status_of(rma) == ReturnStatus.APPROVED
    label = client.get(reverse("admin:returns_returnrequest_label", args=[rma.pk]))
    assert label["Content-Type"] == "application/pdf"
    line = rma.lines.get()
    client.post(step(rma, "receive"), {f"qty_{line.pk}": 2, f"outcome_{line.pk}": ""})
    assert status_of(rma) == ReturnStatus.RECEIVED

    refused = client.post(step(rma, "inspect"), {f"disposition_{line.pk}": ""})
    assert refused.status_code == 200 and b"Choose what happens" in refused.content
    assert status_of(rma) == ReturnStatus.RECEIVED
    client.post(
        step(rma, "inspect"),
        {f"disposition_{line.pk}": "resell", f"location_{line.pk}": "us-east"},
    )
    assert status_of(rma) == ReturnStatus.INSPECTED
    assert client.get(step(rma, "refund")).status_code == 403

    client.force_login(finance_user)
    confirm = client.get(step(rma, "refund"))
    assert confirm.status_code == 200
    assert b"$20.80" in confirm.content and b"refund-total" in confirm.content
    assert client.post(step(rma, "refund"), {}).status_code == 200  # not confirmed
    assert status_of(rma) == ReturnStatus.INSPECTED
    client.post(step(rma, "refund"), {"confirm": "on"})
    assert status_of(rma) == ReturnStatus.REFUNDED
    assert Order.objects.get(pk=rma.order_id).refunded_total_cents == 2080


def test_merchandisers_see_no_returns(client, rma, merchandiser):
    client.force_login(merchandiser)

    assert client.get(reverse("admin:returns_returnrequest_changelist")).status_code == 403
    assert client.get(step(rma, "approve")).status_code == 403


def test_report_shows_rates_by_category_and_reason(client, rma, operations_user):
    client.force_login(operations_user)

    for days in ("30", "90"):
        page = client.get(reverse("admin:returns_returnrequest_report") + f"?days={days}")
        assert page.status_code == 200
        assert b"doesnt_fit" in page.content and b"100.0 %" in page.content


def test_operations_approve_several_from_the_queue(client, rma, operations_user, finance_user):
    changelist = reverse("admin:returns_returnrequest_changelist")
    action = {"action": "approve_selected", "_selected_action": [rma.pk]}

    client.force_login(finance_user)
    client.post(changelist, action)
    assert status_of(rma) == ReturnStatus.REQUESTED  # not Finance's action

    client.force_login(operations_user)
    client.post(changelist, action)
    assert status_of(rma) == ReturnStatus.APPROVED
    again = client.post(changelist, action, follow=True)
    assert b"it cannot be approved now" in again.content
