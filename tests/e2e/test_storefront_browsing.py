"""A customer browsing in a real browser (issues 2 and 3): category sort and pagination, an
empty search, unpublished products, signing up and in, and availability from real stock."""

import re

import pytest
from playwright.sync_api import expect

from catalog import ports
from catalog.models import ProductStatus
from inventory import services
from inventory.selectors import available_quantities
from shop.models import User
from tests.factories.catalog import (
    CategoryFactory,
    OptionFactory,
    OptionValueFactory,
    ProductFactory,
    VariantFactory,
)
from tests.factories.inventory import LocationFactory, market, stock

pytestmark = pytest.mark.django_db(transaction=True)


def _titles(page):
    return page.locator(".product-card-title")


def test_category_listing_sorts_by_price_and_paginates(page, live_server):
    lamps = CategoryFactory(name="Lamps", slug="lamps")
    # 26 products: more than one page of 24. Created cheapest last, so "featured" (newest
    # published first) and "price low to high" disagree.
    for n in range(26):
        product = ProductFactory(title=f"Lamp {n:02d}", categories=[lamps])
        VariantFactory(product=product, prices={"USD": 9000 - n * 100})
    page.goto(f"{live_server.url}/c/lamps/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Lamps")
    expect(page.locator("#results-heading")).to_have_text("26 products")
    expect(_titles(page)).to_have_count(24)
    expect(_titles(page).first).to_have_text("Lamp 25")

    page.get_by_label("Sort by").select_option("price_desc")
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    expect(_titles(page).first).to_have_text("Lamp 00")
    expect(page.locator(".product-card-price").first).to_have_text("$90.00")

    page.get_by_label("Sort by").select_option("price_asc")
    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    expect(_titles(page).first).to_have_text("Lamp 25")
    expect(page.locator(".product-card-price").first).to_have_text("$65.00")
    prices = [
        float(text.strip().lstrip("$"))
        for text in page.locator(".product-card-price").all_inner_texts()
    ]
    assert prices == sorted(prices)

    pagination = page.get_by_role("navigation", name="Pagination")
    pagination.get_by_role("link", name="Page 2").click()

    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(pagination.locator("[aria-current=page]")).to_have_text("2")
    expect(_titles(page)).to_have_text(["Lamp 01", "Lamp 00"])  # the two dearest, last
    expect(page.get_by_label("Sort by")).to_have_value("price_asc")

    pagination.get_by_role("link", name=re.compile("Previous")).click()
    expect(_titles(page)).to_have_count(24)
    expect(_titles(page).first).to_have_text("Lamp 25")


def test_search_without_results_says_so(page, live_server):
    VariantFactory(product=ProductFactory(title="Walnut Chair"))
    page.goto(f"{live_server.url}/")

    page.get_by_role("searchbox", name="Search products").fill("zeppelin")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “zeppelin”")
    expect(page.locator(".empty-state")).to_contain_text("No products match “zeppelin”.")
    expect(_titles(page)).to_have_count(0)
    expect(page.get_by_role("searchbox", name="Search products")).to_have_value("zeppelin")


@pytest.mark.parametrize("status", [ProductStatus.DRAFT, ProductStatus.ARCHIVED])
def test_unpublished_product_page_is_not_found(page, live_server, status):
    hidden = ProductFactory(title="Secret Prototype", handle="secret-prototype", status=status)
    VariantFactory(product=hidden)

    response = page.goto(f"{live_server.url}/p/secret-prototype/")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn’t find that page")
    expect(page.locator("body")).not_to_contain_text("Secret Prototype")
    page.goto(f"{live_server.url}/search?q=prototype")
    expect(page.locator(".empty-state")).to_contain_text("No products match")


def test_customer_signs_up_signs_out_and_signs_in_with_email(page, live_server, mailoutbox):
    email, password = "grace@example.com", "lighthouse-keeper-42"
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Create an account").click()

    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Repeat the password").fill(password)
    page.get_by_role("button", name="Create account").click()

    # The same answer whether or not the address has an account: the link comes by e-mail.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    expect(page).to_have_url(f"{live_server.url}/accounts/signup/done/")
    assert [m.to for m in mailoutbox] == [[email]]
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/activate/" in line)
    page.goto(link)
    page.get_by_role("button", name="Activate my account").click()

    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
    assert User.objects.get(email=email).check_password(password)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    page.goto(f"{live_server.url}/account/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/account/$"))

    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")

    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/account/")
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


@ports.override(availability=available_quantities)
def test_product_page_availability_comes_from_real_stock(page, live_server):
    """In stock, "Only N left" and "Out of stock" from ATP at the market's locations: the
    number left counts reservations and safety stock, and other markets' stock never helps."""
    product = ProductFactory(title="Field Jacket", handle="field-jacket")
    size = OptionFactory(product=product, name="Size")
    variants = {
        value: VariantFactory(
            product=product,
            sku=f"JKT-{value}",
            option_values=[OptionValueFactory(option=size, value=value, position=n)],
        )
        for n, value in enumerate(["S", "M", "L"])
    }
    east = LocationFactory(code="us-east", markets=["US"])
    west = LocationFactory(code="us-west", markets=["US"])
    toronto = LocationFactory(code="ca-tor", country="CA", markets=["CA"])
    stock(variants["S"], east, 40)
    # M: 4 + 3 on hand, 2 held for a cart, 1 kept as safety stock -> 4 left (threshold 5).
    stock(variants["M"], east, 4)
    stock(variants["M"], west, 3, safety_stock=1)
    services.reserve_stock(lines={"JKT-M": 2}, market=market("US"), owner="cart_e2e", ttl=600)
    # L: plenty in Canada only; the single US unit is held.
    stock(variants["L"], toronto, 50)
    stock(variants["L"], west, 1)
    services.reserve_stock(lines={"JKT-L": 1}, market=market("US"), owner="cart_other", ttl=600)

    page.goto(f"{live_server.url}/p/field-jacket/")
    availability = page.locator("[data-availability]")
    add = page.get_by_role("button", name="Add to cart")
    expect(availability).to_have_text("In stock")
    expect(add).to_be_enabled()

    page.get_by_label("Size").select_option("M")
    expect(availability).to_have_text("Only 4 left")
    expect(add).to_be_enabled()

    page.get_by_label("Size").select_option("L")
    expect(availability).to_have_text("Out of stock")
    expect(add).to_be_disabled()

    # Loaded directly (no script involved), the server renders the same state.
    page.goto(f"{live_server.url}/p/field-jacket/?sku=JKT-L")
    expect(availability).to_have_text("Out of stock")
    expect(add).to_be_disabled()

    # The hold is released: the unit is sellable again.
    services.release_stock(owner="cart_other")
    page.reload()
    expect(availability).to_have_text("Only 1 left")
    expect(add).to_be_enabled()
