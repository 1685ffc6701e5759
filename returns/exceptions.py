"""The returns app's refusals. Every interface turns them into its own error shape (API.md)."""

from shop.exceptions import Conflict, DomainError, NotFound, ValidationFailed


class ReturnNotFound(NotFound):
    """No such return."""

    code = "return_not_found"


class OrderNotReturnable(DomainError):
    """The order has not been delivered (or was cancelled): nothing can be returned yet."""

    code = "order_not_returnable"


class ReturnWindowExpired(DomainError):
    """The return window for this item has closed."""

    code = "return_window_expired"


class NotReturnable(DomainError):
    """This item cannot be returned (final sale, gift card...)."""

    code = "not_returnable"


class QuantityExceedsReturnable(DomainError):
    """More units than were delivered and not yet returned or on their way back."""

    code = "quantity_exceeds_returnable"


class InvalidReturnLines(ValidationFailed):
    code = "invalid_return_lines"


class InvalidInspection(ValidationFailed):
    code = "invalid_inspection"


class InvalidReturnTransition(Conflict):
    """The return is not in a state that allows this."""

    code = "invalid_transition"

    def __init__(self, *, rma, action: str):
        super().__init__(
            f"Return {rma.reference} is {rma.status}: it cannot be {action} now.",
            status=rma.status,
        )


class RefundInProgress(Conflict):
    """A refund of this return is being issued right now."""

    code = "refund_in_progress"


class NothingToRefund(DomainError):
    """Nothing of this return can be refunded."""

    code = "nothing_to_refund"
