"""The Content-Security-Policy header on the whole site, and the API docs served from our own
static files (finding 9: Swagger UI came from a CDN, `swagger-ui-dist@latest`, no integrity
hash). The browser side (no violation, the docs render) is tests/e2e/test_csp.py."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

BASE_POLICY = {
    "default-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: https:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "worker-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize(
    "url", ["/", "/search?q=hoodie", "/accounts/login/", "/admin/login/", "/api/v1/products"]
)
def test_every_page_carries_the_policy(client, url):
    policy = _policy(client.get(url))

    assert {k: v for k, v in policy.items() if k != "script-src"} == BASE_POLICY
    assert policy["script-src"] == "'self'"  # no inline script on these pages: no nonce


def test_a_refused_address_carries_the_policy_too(client):
    response = client.get("/search?q=%00")

    assert response.status_code == 400
    assert _policy(response)["default-src"] == "'self'"


def test_swagger_ui_is_served_from_our_static_files_with_a_nonced_init_script(client):
    response = client.get("/api/docs/")
    html = response.content.decode()

    assert response.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/favicon-32x32.png",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "/static/shop/api-docs.css",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
    ]
    (nonce,) = re.findall(r'<script nonce="([^"]+)">', html)
    assert _policy(response)["script-src"] == f"'self' 'nonce-{nonce}'"
    assert "<style" not in html


def test_redoc_is_served_from_our_static_files_without_web_fonts(client):
    response = client.get("/api/redoc/")
    html = response.content.decode()

    assert response.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources == [
        "data:,",
        "/static/shop/api-docs.css",
        "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
    ]
    assert 'data-spec-url="/api/schema/"' in html
    policy = _policy(response)
    (nonce,) = re.findall(r'<script nonce="([^"]+)">', html)
    assert policy["script-src"] == f"'self' 'nonce-{nonce}'"
    # Only ReDoc's page allows the <style> elements and blob: worker ReDoc makes.
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["worker-src"] == "'self' blob:"


def test_the_docs_assets_are_static_files_of_the_project():
    for path in (
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
        "shop/api-docs.css",
    ):
        assert finders.find(path), path


def test_the_header_built_once_is_django_csps_own_and_follows_a_settings_change(client, settings):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory

    def django_csp_header():
        response = HttpResponse()
        CSPMiddleware(lambda request: response).process_response(
            RequestFactory().get("/"), response
        )
        return response["Content-Security-Policy"]

    first = client.get("/")["Content-Security-Policy"]
    settings.CONTENT_SECURITY_POLICY = {
        **settings.CONTENT_SECURITY_POLICY,
        "DIRECTIVES": {
            **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
            "img-src": ["'self'"],
        },
    }
    second = client.get("/")["Content-Security-Policy"]

    assert first != second
    assert second == django_csp_header()
    assert _policy(client.get("/search?q=x"))["img-src"] == "'self'"


def test_a_view_that_changes_its_policy_still_gets_its_own(rf):
    from csp.decorators import csp_update
    from django.http import HttpResponse

    from shop.middleware import PolicyOnceCSPMiddleware

    @csp_update({"img-src": "https://images.example"})
    def decorated(request):
        return HttpResponse("ok")

    def plain(request):
        return HttpResponse("ok")

    before = PolicyOnceCSPMiddleware(plain)(rf.get("/"))
    changed = PolicyOnceCSPMiddleware(decorated)(rf.get("/"))
    after = PolicyOnceCSPMiddleware(plain)(rf.get("/"))

    assert "https://images.example" in _policy(changed)["img-src"]
    assert _policy(before) == _policy(after)
    assert "https://images.example" not in _policy(after)["img-src"]
