"""The return policy: seeded through the services, edited in the admin through them, never
with a fee for damaged or wrong items (issue 12)."""

import pytest
from django.urls import reverse

from returns import services
from returns.models import ReturnPolicy
from returns.seeding import seed_return_policies
from shop.exceptions import ValidationFailed
from tests.factories.inventory import market

pytestmark = pytest.mark.django_db


def test_seeding_gives_each_market_one_policy_once():
    market("US"), market("CA")

    first = seed_return_policies()
    again = seed_return_policies()

    assert first["policies_created"] >= 2 and again == {"policies_created": 0}
    policy = ReturnPolicy.objects.get(market__code="US")
    assert list(policy.restocking_fees.values_list("reason", "percent_bp")) == [
        ("changed_mind", 1000)
    ]


def test_no_fee_for_damaged_or_wrong_items():
    policy = services.save_return_policy(policy=ReturnPolicy(market=market("US")))

    with pytest.raises(ValidationFailed):
        services.set_return_policy_rules(policy=policy, restocking_fees=[("damaged", 500, 0)])
    assert not policy.restocking_fees.exists()


def test_operations_edit_a_policy_in_the_admin(client, operations_user):
    us = market("US")
    client.force_login(operations_user)
    url = reverse("admin:returns_returnpolicy_add")
    form = {
        "market": us.pk,
        "window_days": 14,
        "refund_timing": "on_receipt",
        "return_shipping_paid_by": "customer",
        "return_label_cents": 495,
        "auto_approve": "on",
        "auto_approve_max_cents": 5000,
        "category_windows-TOTAL_FORMS": 0,
        "category_windows-INITIAL_FORMS": 0,
        "restocking_fees-TOTAL_FORMS": 1,
        "restocking_fees-INITIAL_FORMS": 0,
        "restocking_fees-0-reason": "changed_mind",
        "restocking_fees-0-percent_bp": 1500,
        "restocking_fees-0-fixed_cents_per_unit": 0,
    }

    answer = client.post(url, form)

    assert answer.status_code == 302, answer.content.decode()[:3000]
    policy = ReturnPolicy.objects.get(market=us)
    assert (policy.window_days, policy.return_label_cents) == (14, 495)
    assert policy.restocking_fees.get().percent_bp == 1500
