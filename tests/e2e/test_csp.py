"""The Content-Security-Policy in a real browser: the storefront, the admin and the API docs
load with no violation, and the docs come from our own origin (no CDN) and really render."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.factories.catalog import CategoryFactory, VariantFactory
from tests.factories.inventory import LocationFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def watched(page, live_server):
    """The page, plus what the browser reported: CSP violations and requests to other origins."""
    report = {"violations": [], "console": [], "foreign": []}
    page.on(
        "console",
        lambda message: message.type == "error" and report["console"].append(message.text),
    )
    page.on(
        "request",
        lambda request: (
            urlparse(request.url).scheme in ("http", "https")
            and not request.url.startswith(live_server.url)
            and report["foreign"].append(request.url)
        ),
    )
    # securitypolicyviolation fires on the document for every blocked load or inline use.
    page.add_init_script(
        """
        window.__cspViolations = [];
        document.addEventListener("securitypolicyviolation", (e) => {
          window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}`);
        });
        """
    )

    def violations():
        return page.evaluate("window.__cspViolations")

    report["read"] = violations
    return page, report


def _assert_clean(page, report):
    assert report["read"]() == []
    assert [text for text in report["console"] if "Content Security Policy" in text] == []
    assert report["foreign"] == []


@pytest.fixture
def product():
    category = CategoryFactory(name="Hoodies", slug="hoodies")
    variant = VariantFactory(product__title="Harbor Hoodie", product__handle="harbor-hoodie")
    variant.product.categories.set([category])
    return variant.product


def test_storefront_pages_pass_the_policy(watched, live_server, product):
    page, report = watched

    response = page.goto(f"{live_server.url}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("link", name="Harbor Hoodie").first).to_be_visible()
    page.goto(f"{live_server.url}/p/harbor-hoodie/")
    expect(page.get_by_role("heading", name="Harbor Hoodie")).to_be_visible()
    page.goto(f"{live_server.url}/search?q=hoodie")
    page.wait_for_load_state("networkidle")

    _assert_clean(page, report)


def test_admin_pages_pass_the_policy(watched, live_server, login, merchandiser, product):
    page, report = watched

    login(merchandiser)
    expect(page.get_by_role("heading", name="Catalog, stock, orders and returns")).to_be_visible()
    page.goto(f"{live_server.url}/admin/catalog/product/{product.pk}/change/")
    expect(page.locator("#id_title")).to_have_value("Harbor Hoodie")
    page.wait_for_load_state("networkidle")

    _assert_clean(page, report)


def test_admin_status_colours_come_from_a_stylesheet_not_style_attributes(
    watched, live_server, login, operations_user
):
    page, report = watched
    LocationFactory(code="WH-NEW", name="New warehouse")  # never counted: shown in red

    login(operations_user)
    page.goto(f"{live_server.url}/admin/inventory/location/")
    alert = page.locator(".status-alert", has_text="never counted")

    expect(alert).to_be_visible()
    assert alert.evaluate("e => getComputedStyle(e).color") != alert.evaluate(
        "e => getComputedStyle(e.closest('td')).color"
    )
    _assert_clean(page, report)


def test_swagger_ui_renders_from_our_own_files(watched, live_server):
    page, report = watched

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Emporium API", timeout=30_000
    )
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/products").first
    ).to_be_visible()
    page.wait_for_load_state("networkidle")
    _assert_clean(page, report)


def test_redoc_renders_from_our_own_files(watched, live_server):
    page, report = watched

    page.goto(f"{live_server.url}/api/redoc/")

    # ReDoc fetches and lays out the whole document first: give a busy machine time.
    expect(page.locator("h1", has_text="Emporium API")).to_be_visible(timeout=30_000)
    expect(
        page.get_by_role("heading", name="Exchange an e-mail address and password")
    ).to_be_visible()
    page.wait_for_load_state("networkidle")
    _assert_clean(page, report)
