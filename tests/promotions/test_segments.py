"""Named customer segments: created and filled through promotions.services, refused cleanly,
and read by the cart's promotions."""

import pytest

from orders.pricing import price_cart
from promotions.models import CustomerSegment, Segment
from promotions.selectors import customer_segments
from promotions.services import import_promotions, save_segment, set_customer_segments
from shop.exceptions import ValidationFailed
from tests.factories.orders import checkout_ready_cart
from tests.factories.shop import UserFactory
from tests.promotions.test_checkout import shop_setup  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_save_segment_creates_it_and_makes_exactly_those_customers_members():
    ann, bob = UserFactory(email="ann@example.com"), UserFactory(email="Bob@Example.com")

    save_segment(slug="VIP", name="VIP", member_emails=["ann@example.com", "bob@example.COM"])
    assert customer_segments(ann.pk) == customer_segments(bob.pk) == frozenset({"vip"})

    save_segment(slug="vip", name="Very important", member_emails=["bob@example.com"])

    assert Segment.objects.get().name == "Very important"
    assert customer_segments(ann.pk) == frozenset()
    assert customer_segments(bob.pk) == frozenset({"vip"})


@pytest.mark.parametrize(
    ("slug", "name", "emails", "field"),
    [
        ("new", "New", [], "slug"),
        ("returning", "R", [], "slug"),
        ("has space", "X", [], "slug"),
        ("x" * 51, "X", [], "slug"),
        ("ok\x00", "X", [], "slug"),
        ("vip", "", [], "name"),
        ("vip", "a\x00b", [], "name"),
        ("vip", "VIP", ["nobody@example.com"], "members"),
        ("vip", "VIP", ["not-an-email"], "members"),
        ("vip", "VIP", ["a\x00@example.com"], "members"),
        ("vip", "VIP", ["x@example.com"] * 10_001, "members"),
    ],
)
def test_bad_segment_input_is_refused_and_writes_nothing(slug, name, emails, field):
    UserFactory(email="ann@example.com")
    save_segment(slug="keep", name="Keep", member_emails=["ann@example.com"])

    with pytest.raises(ValidationFailed) as refused:
        save_segment(slug=slug, name=name, member_emails=emails)

    assert field in refused.value.fields
    assert list(Segment.objects.values_list("slug", flat=True)) == ["keep"]
    assert CustomerSegment.objects.count() == 1


def test_set_customer_segments_creates_missing_segments_and_replaces_memberships():
    ann = UserFactory()
    set_customer_segments(customer=ann, segments=["vip", "wholesale"])
    set_customer_segments(customer=ann, segments=["wholesale", "b2b"])

    assert customer_segments(ann.pk) == frozenset({"wholesale", "b2b"})
    assert set(Segment.objects.values_list("slug", flat=True)) == {"vip", "wholesale", "b2b"}


def test_a_vip_promotion_applies_to_members_only(shop_setup):  # noqa: F811
    import_promotions(
        [
            {
                "id": "vip10",
                "conditions": {"customer_segment": ["vip"]},
                "action": {"type": "percent_off", "value": 10},
            }
        ]
    )
    vip, plain = UserFactory(email="vip@example.com"), UserFactory(email="plain@example.com")
    save_segment(slug="vip", name="VIP", member_emails=["vip@example.com"])

    def discount(customer):
        cart = checkout_ready_cart(
            lines=[(shop_setup["mug"], 2)], customer=customer, email=customer.email
        )
        return price_cart(cart=cart, with_tax=False).quote.discount_total_cents

    assert discount(vip) == 300
    assert discount(plain) == 0


def test_the_admin_refuses_a_second_segment_with_the_same_id(merchandiser, client):
    save_segment(slug="vip", name="VIP", member_emails=[])
    client.force_login(merchandiser)

    response = client.post(
        "/admin/promotions/segment/add/", {"slug": "vip", "name": "Other", "members": ""}
    )

    assert response.status_code == 200
    assert "Segment with this Slug already exists." in response.content.decode()
    assert Segment.objects.get().name == "VIP"


def test_the_admin_shows_a_bad_email_on_the_form_and_changes_nothing(merchandiser, client):
    client.force_login(merchandiser)

    response = client.post(
        "/admin/promotions/segment/add/",
        {"slug": "vip", "name": "VIP", "members": "ghost@example.com"},
    )

    assert response.status_code == 200
    assert "No customer with the e-mail ghost@example.com" in response.content.decode()
    assert not Segment.objects.exists()
