"""Ports: the typed plug-ins through which apps above the catalog serve it.

The catalog never imports inventory (dependencies point one way: shop <- catalog <- inventory).
Where the catalog needs something only an app above it knows (how many units a customer can
buy, where an import's stock counts go), it declares the interface here and that app registers
its implementation in its `AppConfig.ready()`; `inventory/apps.py` is where the wiring is read.

With nothing registered the catalog works alone: `availability()` is None (the storefront makes
no stock claim) and `stock_counts()` is None (an import keeps the counts in its result).

Tests swap implementations with `override(...)`, which restores the previous ones on exit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from shop.models import Market


class AvailabilityReader(Protocol):
    """Units a customer can buy in `market`, per variant id.

    Variants it has no row for may be left out (read as 0); the catalog clamps negatives to 0.
    Must not write: the storefront calls it on every page.
    """

    def __call__(self, *, variant_ids: Sequence[int], market: Market) -> Mapping[int, int]: ...


class StockCountWriter(Protocol):
    """Takes a catalog import's stock counts ({sku: absolute units}) as counted stock.

    Called INSIDE the import's transaction, after the catalog rows are written, so a refusal
    (raise a `shop.exceptions.DomainError`) rolls the catalog rows back with it: the file is
    imported whole or not at all. `location` is a location code the user chose and `currency`
    the file's currency (to pick a location serving that market); writers may ignore what they
    do not use. Returns a truthy result when the counts were applied, None when there was
    nowhere to put them (no stock location yet).
    """

    def __call__(
        self,
        *,
        counts: Mapping[str, int],
        actor: Any = None,
        location: str | None = None,
        currency: str | None = None,
    ) -> object | None: ...


class StockLocationLister(Protocol):
    """(code, label) of the locations an import's stock counts may go to, for a form's choice."""

    def __call__(self) -> Sequence[tuple[str, str]]: ...


_availability: AvailabilityReader | None = None
_stock_counts: StockCountWriter | None = None
_UNSET: Any = object()


def register_availability(reader: AvailabilityReader | None) -> None:
    """Plug in the availability reader (the last registration wins; None unplugs it)."""
    global _availability
    _availability = reader


def availability() -> AvailabilityReader | None:
    """The registered availability reader, or None when no stock app is installed."""
    return _availability


def register_stock_counts(writer: StockCountWriter | None) -> None:
    """Plug in the writer for an import's stock counts (the last registration wins)."""
    global _stock_counts
    _stock_counts = writer


def stock_counts() -> StockCountWriter | None:
    """The registered stock-count writer, or None when no stock app is installed."""
    return _stock_counts


_stock_locations: StockLocationLister | None = None


def register_stock_locations(lister: StockLocationLister | None) -> None:
    """Plug in the lister of stock locations (the last registration wins)."""
    global _stock_locations
    _stock_locations = lister


def stock_locations() -> Sequence[tuple[str, str]]:
    """(code, label) of the stock locations; empty when no stock app is installed."""
    return list(_stock_locations()) if _stock_locations is not None else []


@contextmanager
def override(
    *,
    availability: AvailabilityReader | None = _UNSET,
    stock_counts: StockCountWriter | None = _UNSET,
) -> Iterator[None]:
    """Swap implementations for a block (tests); None means "nothing plugged in".

    Usable as a decorator too. Arguments left out keep their current registration.
    """
    saved = (_availability, _stock_counts)
    try:
        if availability is not _UNSET:
            register_availability(availability)
        if stock_counts is not _UNSET:
            register_stock_counts(stock_counts)
        yield
    finally:
        register_availability(saved[0])
        register_stock_counts(saved[1])
