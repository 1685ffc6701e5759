"""What the batched catalog writer takes: products, variants and media as a file describes them
(the import formats build these), and where it reports each row's outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class VariantSpec:
    line: int
    sku: str
    values: list[str]  # one value per product option, in option order
    fields: dict[str, Any] = field(default_factory=dict)  # weight_grams, status: only if given
    prices: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    identifiers: dict[str, list[str]] = field(default_factory=dict)  # kind -> values, if given
    position: int = 0


@dataclass
class MediaSpec:
    line: int
    url: str
    alt_text: str = ""
    position: int = 0
    variant_sku: str | None = None


@dataclass
class ProductSpec:
    line: int
    handle: str
    fields: dict[str, Any] = field(default_factory=dict)  # product columns present in the file
    brand: str | None = None
    has_brand: bool = False
    categories: list[str] | None = None  # slug paths; None when the file has no such column
    options: list[tuple[str, list[str]]] = field(default_factory=list)
    has_options: bool = False
    variants: list[VariantSpec] = field(default_factory=list)
    media: list[MediaSpec] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


class RowReport(Protocol):
    """Where the writer records each row's outcome (catalog.importers.base.ImportResult)."""

    def error(self, line: int, column: str, message: str) -> None: ...

    def mark(self, line: int, action: str) -> None: ...

    def failed(self, line: int) -> bool: ...


Progress = Callable[[int], None]


def assign(instance, values: dict) -> list[str]:
    """Set the given attributes; return the names of those that changed."""
    changed = []
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed
