"""Every URL pattern and every API operation, fed a NUL and a lone surrogate: never a 5xx.

The walk is generated, not listed: a route or an operation added later is walked too. URL
patterns come from the resolver (each path converter or regex group replaced by the bad
value), API operations from the OpenAPI document (path and query parameters, and a JSON body
built from the request schema with every string, and a key, replaced by the bad value).
Each request is sent anonymously and as a superuser, who passes every permission check.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories.catalog import VariantFactory

pytestmark = pytest.mark.django_db

# In a URL: a NUL, and the bytes a lone surrogate (U+D800) would have in UTF-8 (not UTF-8).
URL_VALUES = ["%00", "%ED%A0%80", "a%00b"]
# In JSON text: escapes that json.loads turns into a NUL and a lone surrogate.
JSON_VALUES = ["\\u0000", "\\ud800", "x\\udfffy"]
SAFE_QUERY = ["q", "category", "market", "page", "sku", "location", "next", "sort"]


def _regex_template(regex: str) -> str:
    """A regex route as a path: anchors dropped, each group (named or not) a placeholder."""
    regex = regex.lstrip("^").removesuffix("\\Z").rstrip("$")
    out, depth = [], 0
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "\\" and i + 1 < len(regex):
            if depth == 0:
                out.append(regex[i + 1])
            i += 2
            continue
        if char == "(":
            if depth == 0:
                out.append("{}")
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and char not in "?*+":
            out.append(char)
        i += 1
    return "".join(out)


def _templates(patterns, prefix: str = "") -> list[str]:
    """Every URL pattern as a path template, "{}" where a converter or group captures."""
    found = []
    for entry in patterns:
        pattern = entry.pattern
        route = getattr(pattern, "_route", None)
        if route is not None:
            part = re.sub(r"<[^>]+>", "{}", route)
        else:
            part = _regex_template(pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            found.extend(_templates(entry.url_patterns, prefix + part))
        elif isinstance(entry, URLPattern):
            found.append(prefix + part)
    return sorted(set(found))


def _paths_with(template: str, value: str) -> list[str]:
    paths = ["/" + template.replace("{}", value)]
    if "{}" not in template:
        paths.append("/" + template + value)  # catch-alls (`^api/`) and prefixes
    return paths


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser(email="root@example.com", password="pw")


@pytest.fixture
def catalog_rows():
    VariantFactory(sku="WALK-1", product__handle="walk")


def _server_errors(client, method: str, paths, **kwargs) -> list[str]:
    client.raise_request_exception = False
    failures = []
    for path in paths:
        response = getattr(client, method)(path, **kwargs)
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {path} -> {response.status_code}")
    return failures


def test_every_url_pattern_with_a_nul_or_surrogate_in_each_capture_and_query_is_never_5xx(
    client, superuser, catalog_rows
):
    templates = _templates(get_resolver().url_patterns)
    assert len(templates) > 100  # the admin's routes are there: the walk is not empty
    paths = []
    for template in templates:
        for value in URL_VALUES:
            for path in _paths_with(template, value):
                paths.append(path)
                query = "&".join(f"{name}={value}" for name in SAFE_QUERY)
                paths.append(f"{path}?{query}")
        # Every capture set to a plausible value, the query string carrying the bad one.
        paths.append("/" + template.replace("{}", "walk") + "?q=%00")

    failures = _server_errors(client, "get", paths)
    client.force_login(superuser)
    failures += _server_errors(client, "get", paths)
    failures += _server_errors(client, "post", paths)

    assert failures == []


# --- API operations from the OpenAPI document -----------------------------------------------


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    return node


def _body(schema: dict, node: dict, bad: str, depth: int = 0) -> str:
    """JSON text for `node` with every string `bad` (raw escapes stay escapes)."""
    node = _resolve(schema, node)
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in node:
            return _body(schema, node[combinator][0], bad, depth)
    kind = node.get("type")
    if depth > 6:
        return "null"
    if kind == "object" or "properties" in node:
        members = [
            f'"{name}": {_body(schema, sub, bad, depth + 1)}'
            for name, sub in node.get("properties", {}).items()
        ]
        members.append(f'"{bad}": "{bad}"')  # an unknown key that is itself bad text
        return "{" + ", ".join(members) + "}"
    if kind == "array":
        return f"[{_body(schema, node.get('items', {}), bad, depth + 1)}]"
    if kind in ("integer", "number"):
        return "1"
    if kind == "boolean":
        return "true"
    return f'"{bad}"'


def _operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def _api_requests(schema: dict) -> list[tuple[str, str, str | None]]:
    requests = []
    for path, method, operation in _operations(schema):
        params = operation.get("parameters", [])
        query_names = [p["name"] for p in params if p["in"] == "query"]
        body_schema = (
            operation.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        for url_value, json_value in zip(URL_VALUES, JSON_VALUES, strict=True):
            url = re.sub(r"\{[^}]+\}", url_value, path)
            query = "&".join(f"{name}={url_value}" for name in query_names)
            requests.append((method, f"{url}?{query}" if query else url, None))
            # Plausible path values, so the body is what is bad.
            url = re.sub(r"\{[^}]+\}", "walk", path)
            if body_schema is not None:
                requests.append((method, url, _body(schema, body_schema, json_value)))
            elif method != "get":
                requests.append((method, url, f'{{"{json_value}": "{json_value}"}}'))
    return requests


def test_every_api_operation_with_a_nul_or_surrogate_anywhere_is_never_5xx(
    client, superuser, catalog_rows
):
    schema = client.get("/api/schema/?format=json").json()
    requests = _api_requests(schema)
    operations = list(_operations(schema))
    assert len(operations) >= 10
    client.raise_request_exception = False

    failures = []
    for actor in (None, superuser):
        if actor is not None:
            client.force_login(actor)
        for method, url, body in requests:
            kwargs = {} if body is None else {"data": body, "content_type": "application/json"}
            response = client.generic(method.upper(), url, **kwargs)
            if response.status_code >= 500:
                failures.append(f"{actor} {method.upper()} {url} {body} -> {response.status_code}")
            elif body is not None and response.status_code == 400:
                assert response.json()["code"] in {"invalid_text", "malformed_request"}, (
                    method,
                    url,
                    response.json(),
                )

    assert failures == []
