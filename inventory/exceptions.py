"""Inventory's refusals. The API turns each into `{code, detail, …extra}` with its status."""

from shop.exceptions import Conflict, NotFound, ValidationFailed
from shop.webhooks import InvalidSignature  # noqa: F401 - shared by every webhook


class InsufficientStock(Conflict):
    """Not enough stock is available."""

    code = "insufficient_stock"

    def __init__(self, lines: list[dict]):
        skus = ", ".join(line["sku"] for line in lines)
        super().__init__(f"Not enough stock for {skus}.", lines=lines)
        self.lines = lines


class InvalidQuantity(ValidationFailed):
    code = "invalid_quantity"


class UnknownSku(ValidationFailed):
    code = "unknown_sku"

    def __init__(self, skus):
        skus = sorted({str(s) for s in skus})
        super().__init__(f"Unknown SKU: {', '.join(skus)}.", fields={"sku": skus}, skus=skus)


class UnknownLocation(ValidationFailed):
    code = "unknown_location"

    def __init__(self, code: str):
        super().__init__(f"Unknown or inactive location: {code}.", fields={"location": [code]})


class DuplicateSku(ValidationFailed):
    code = "duplicate_sku"

    def __init__(self, skus):
        skus = sorted(set(skus))
        super().__init__(f"SKU listed more than once: {', '.join(skus)}.", skus=skus)


class ReasonRequired(ValidationFailed):
    code = "reason_required"

    def __init__(self):
        super().__init__("Say why the stock changes.", fields={"reason": ["Required."]})


class StockBelowPromised(Conflict):
    """The change would leave fewer units than are reserved or being picked."""

    code = "stock_below_reserved"


class ReservationNotActive(Conflict):
    """The reservation no longer holds stock."""

    code = "reservation_not_active"


class ReservationNotFound(NotFound):
    """No such reservation."""

    code = "reservation_not_found"


class InvalidTransfer(ValidationFailed):
    code = "invalid_transfer"


class InvalidTransferTransition(Conflict):
    """The transfer cannot do that in its current state."""

    code = "invalid_transition"


class SoldOut(Conflict):
    """Sold out: the drop has no units left for this request."""

    code = "sold_out"

    def __init__(self, sku: str, *, requested: int = 1):
        super().__init__(f"{sku} is sold out.", sku=sku, requested=requested, available=0)
        self.sku = sku


class DropBusy(Conflict):
    """Too many buyers at once: wait in the waiting room and try again (not sold out)."""

    code = "drop_busy"
    status_code = 429

    def __init__(self, sku: str, *, position: int, retry_after: int, ticket: str):
        super().__init__(
            f"{sku} is in demand: you are number {position} in line. Trying again shortly.",
            sku=sku,
            position=position,
            ticket=ticket,
        )
        self.sku, self.position, self.retry_after, self.ticket = sku, position, retry_after, ticket


class DropNotStarted(Conflict):
    """The drop has not started yet."""

    code = "drop_not_started"

    def __init__(self, sku: str, *, starts_at):
        super().__init__(
            f"{sku} goes on sale at {starts_at:%Y-%m-%d %H:%M} UTC.",
            sku=sku,
            starts_at=starts_at.isoformat(),
        )
        self.sku, self.starts_at = sku, starts_at


class InvalidDrop(ValidationFailed):
    code = "invalid_drop"
