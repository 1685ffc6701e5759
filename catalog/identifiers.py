"""Validation and normalisation of product identifiers (GTIN/EAN/UPC/ISBN/ASIN/MPN).

Check digits come from python-stdnum; we never hand-roll them.
"""

import re

from stdnum import ean, isbn
from stdnum.exceptions import ValidationError as StdnumError

KINDS = ("gtin", "ean", "upc", "isbn", "mpn", "asin")
_ASIN = re.compile(r"^[A-Z0-9]{10}$")
_SEPARATORS = re.compile(r"[\s\-]")


class InvalidIdentifier(ValueError):
    """`message` is a sentence for the person who typed the value."""


def normalize_identifier(kind: str, value: str) -> str:
    """Return the value as stored (separators removed, upper case); raise InvalidIdentifier."""
    kind = (kind or "").strip().lower()
    raw = (value or "").strip()
    if kind not in KINDS:
        raise InvalidIdentifier(
            f"Unknown identifier kind '{kind}'; use one of {', '.join(KINDS)}."
        )
    if not raw:
        raise InvalidIdentifier(f"The {kind.upper()} is empty.")
    if kind == "mpn":
        if len(raw) > 70:
            raise InvalidIdentifier("An MPN is at most 70 characters.")
        return raw
    compact = _SEPARATORS.sub("", raw).upper()
    if kind == "asin":
        if not _ASIN.match(compact):
            raise InvalidIdentifier(f"'{raw}' is not an ASIN (10 letters or digits).")
        return compact
    if kind == "isbn":
        try:
            return isbn.validate(compact)
        except StdnumError:
            raise InvalidIdentifier(f"'{raw}' is not a valid ISBN-10 or ISBN-13.") from None
    lengths = {"gtin": (8, 12, 13, 14), "ean": (8, 13), "upc": (12,)}[kind]
    if not compact.isdigit() or len(compact) not in lengths:
        allowed = "/".join(str(n) for n in lengths)
        raise InvalidIdentifier(f"'{raw}' is not a {kind.upper()}: it needs {allowed} digits.")
    try:
        return ean.validate(compact)
    except StdnumError:
        raise InvalidIdentifier(f"'{raw}' has a wrong check digit for a {kind.upper()}.") from None


SKU_MAX_LENGTH = 64  # Variant.sku


def normalize_sku(value: str) -> str:
    """Return the SKU as stored (surrounding spaces removed); raise InvalidIdentifier.

    A SKU is opaque, but it is part of API URLs (/products/{handle}/variants/{sku}) and of
    spreadsheets, so every interface refuses the same few characters.
    """
    sku = (value or "").strip()
    if not sku:
        raise InvalidIdentifier("A SKU is required.")
    if len(sku) > SKU_MAX_LENGTH:
        raise InvalidIdentifier(f"A SKU is at most {SKU_MAX_LENGTH} characters.")
    if "/" in sku or not sku.isprintable():
        raise InvalidIdentifier(
            "A SKU cannot contain '/' or control characters (it is part of URLs)."
        )
    return sku


def classify_barcode(value: str) -> tuple[str, str]:
    """Guess the kind of a free-text barcode (Shopify's `Variant Barcode`).

    Returns (kind, normalised value) or raises InvalidIdentifier when no kind validates.
    ISBN-13s start with 978/979 and are stored as ISBN; 12 digits are a UPC, 8 or 13 an EAN,
    14 a GTIN.
    """
    compact = _SEPARATORS.sub("", (value or "").strip()).upper()
    if len(compact) == 10 and not compact.isdigit() and compact[:-1].isdigit():
        return "isbn", normalize_identifier("isbn", compact)
    if compact.isdigit():
        if len(compact) == 13 and compact[:3] in ("978", "979"):
            return "isbn", normalize_identifier("isbn", compact)
        kind = {8: "ean", 12: "upc", 13: "ean", 14: "gtin"}.get(len(compact))
        if kind:
            return kind, normalize_identifier(kind, compact)
        if len(compact) == 10:
            return "isbn", normalize_identifier("isbn", compact)
    raise InvalidIdentifier(f"'{value}' is not a valid GTIN, UPC, EAN or ISBN barcode.")
