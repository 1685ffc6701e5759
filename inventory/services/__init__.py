"""Every write to stock goes through these services (see each module's lock notes).

One name per operation, the descriptive one (STYLE.md section 2): a bare `commit` or
`extend` reads like a transaction word, so there are no short aliases.
"""

from inventory.services.outbound import (
    pick_held_units,
    reroute_held_units,
    ship_picked_units,
    unpick_units,
)
from inventory.services.reservations import (
    commit_reservations,
    consume_reservation,
    expire_reservations,
    extend_reservations,
    reassign_reservations,
    release_stock,
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
    update_transfer,
)

__all__ = [
    "CountResult",
    "adjust_stock",
    "cancel_transfer",
    "commit_reservations",
    "consume_reservation",
    "create_transfer",
    "expire_reservations",
    "extend_reservations",
    "pick_held_units",
    "reassign_reservations",
    "receive_stock",
    "receive_transfer",
    "release_stock",
    "reroute_held_units",
    "reserve_stock",
    "restock_return",
    "set_safety_stock",
    "set_stock_count",
    "ship_picked_units",
    "ship_transfer",
    "start_picking",
    "sync_stock_levels",
    "unpick_units",
    "update_transfer",
    "write_off_stock",
]
