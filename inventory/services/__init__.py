"""Every write to stock goes through these services (see each module's lock notes)."""

from inventory.services.reservations import (
    commit,
    consume,
    expire_reservations,
    extend,
    reassign,
    release,
    reserve,
    reserve_stock,
    start_picking,
)
from inventory.services.stock import (
    CountResult,
    adjust_stock,
    receive_stock,
    restock_return,
    set_safety_stock,
    set_stock_count,
    sync_stock_levels,
    write_off_stock,
)
from inventory.services.transfers import (
    cancel_transfer,
    create_transfer,
    receive_transfer,
    ship_transfer,
)

# Names the style guide uses for the same operations.
release_stock = release
commit_reservations = commit

__all__ = [
    "CountResult",
    "adjust_stock",
    "cancel_transfer",
    "commit",
    "commit_reservations",
    "consume",
    "create_transfer",
    "expire_reservations",
    "extend",
    "reassign",
    "receive_stock",
    "receive_transfer",
    "release",
    "release_stock",
    "reserve",
    "reserve_stock",
    "restock_return",
    "set_safety_stock",
    "set_stock_count",
    "ship_transfer",
    "start_picking",
    "sync_stock_levels",
    "write_off_stock",
]
