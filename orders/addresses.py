"""Address validation per country: required fields, region codes and postal-code formats.

Returns the address normalised (trimmed, upper-case country/region, canonical postal code)
or raises InvalidAddress with one message per bad field, for the API's `fields` and the
storefront's form errors alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from orders.exceptions import InvalidAddress

FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country", "phone")
MAX_LENGTHS = {
    "name": 120,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 3,
    "postal_code": 12,
    "country": 2,
    "phone": 32,
}
REQUIRED = ("name", "line1", "city", "postal_code", "country")

US_STATES = frozenset(
    [
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    ]
)
CA_PROVINCES = frozenset(
    ["AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"]
)
REGIONS = {"US": US_STATES, "CA": CA_PROVINCES}

# country: (pattern on the upper-cased, trimmed code; canonical form; example)
_CA_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"
POSTAL_CODES = {
    "US": (r"(\d{5})(?:-?(\d{4}))?", lambda m: m[1] + (f"-{m[2]}" if m[2] else ""), "10001"),
    "CA": (
        rf"([ABCEGHJ-NPRSTVXY]\d[{_CA_LETTERS}]) ?(\d[{_CA_LETTERS}]\d)",
        lambda m: f"{m[1]} {m[2]}",
        "K1A 0B1",
    ),
    "DE": (r"(\d{5})", lambda m: m[1], "10115"),
    "FR": (r"(\d{5})", lambda m: m[1], "75001"),
    "ES": (r"(\d{5})", lambda m: m[1], "28001"),
    "IT": (r"(\d{5})", lambda m: m[1], "00118"),
    "AT": (r"(\d{4})", lambda m: m[1], "1010"),
    "BE": (r"(\d{4})", lambda m: m[1], "1000"),
    "NL": (r"(\d{4}) ?([A-Z]{2})", lambda m: f"{m[1]} {m[2]}", "1012 AB"),
    "IE": (
        r"([AC-FHKNPRTV-Y]\d{2}|D6W) ?([0-9AC-FHKNPRTV-Y]{4})",
        lambda m: f"{m[1]} {m[2]}",
        "D02 X285",
    ),
}
POSTAL_CODE_OPTIONAL = frozenset({"IE"})  # Eircodes are not yet on every letter


def _clean(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise TypeError
    return " ".join(str(value).split())


def validate_address(address: Mapping, *, countries: list[str] | None = None) -> dict:
    """Check `address` for its country; `countries`: the ones the market ships to.

    Raises InvalidAddress(fields={field: [message]}) listing every problem at once.
    """
    if not isinstance(address, Mapping):
        raise InvalidAddress("Enter an address.", fields={"shipping_address": ["Required."]})
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = {}
    for field in FIELDS:
        try:
            value = _clean(address.get(field))
        except TypeError:
            errors[field] = ["Enter text."]
            continue
        if len(value) > MAX_LENGTHS[field]:
            errors[field] = [f"At most {MAX_LENGTHS[field]} characters."]
        clean[field] = value
    unknown = sorted(set(address) - set(FIELDS))
    if unknown:
        errors["shipping_address"] = [f"Unknown field: {', '.join(map(str, unknown))}."]
    country = clean.get("country", "").upper()
    clean["country"] = country
    clean["region"] = clean.get("region", "").upper()
    for field in REQUIRED:
        if not clean.get(field) and not (
            field == "postal_code" and country in POSTAL_CODE_OPTIONAL
        ):
            errors.setdefault(field, ["Required."])
    if country and countries is not None and country not in countries:
        errors.setdefault("country", [f"We do not ship to {country} from this store."])
    _check_region(clean, errors)
    _check_postal_code(clean, errors)
    if errors:
        first = next(iter(errors))
        raise InvalidAddress(f"Check the address: {first.replace('_', ' ')}.", fields=errors)
    return clean


def _check_region(clean: dict, errors: dict) -> None:
    regions = REGIONS.get(clean["country"])
    if regions is None:
        return
    label = "state" if clean["country"] == "US" else "province"
    if not clean["region"]:
        errors.setdefault("region", [f"Choose a {label}."])
    elif clean["region"] not in regions:
        errors.setdefault("region", [f"'{clean['region']}' is not a {label} code."])


def _check_postal_code(clean: dict, errors: dict) -> None:
    rule = POSTAL_CODES.get(clean["country"])
    code = clean.get("postal_code", "").upper()
    if rule is None or not code or "postal_code" in errors:
        return
    pattern, canonical, example = rule
    match = re.fullmatch(pattern, code)
    if match is None:
        errors["postal_code"] = [
            f"'{clean['postal_code']}' is not a postal code of {clean['country']} "
            f"(e.g. {example})."
        ]
        return
    clean["postal_code"] = canonical(match)
