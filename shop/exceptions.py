"""Domain errors: services raise these, every interface turns them into its own error shape."""


class DomainError(Exception):
    """A business rule refused the operation. `code` is the API error code."""

    code = "domain_error"
    status_code = 422

    def __init__(self, detail: str = "", *, code: str | None = None, **extra):
        super().__init__(detail or self.__class__.__doc__ or self.code)
        self.detail = detail or (self.__class__.__doc__ or self.code).strip()
        if code:
            self.code = code
        self.extra = extra

    def __str__(self) -> str:
        return self.detail


class ValidationFailed(DomainError):
    """The input is not valid."""

    code = "validation_error"
    status_code = 400

    def __init__(self, detail: str = "", *, fields: dict | None = None, **extra):
        super().__init__(detail or "The input is not valid.", **extra)
        self.fields = fields or {}


class NotFound(DomainError):
    """Not found."""

    code = "not_found"
    status_code = 404


class Conflict(DomainError):
    """The operation conflicts with the current state."""

    code = "conflict"
    status_code = 409
