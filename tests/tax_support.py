"""A tax provider that files remotely, as Stripe Tax or Avalara do (tests)."""

from orders.providers.tax.manual import ManualTaxProvider


class RemoteTaxProvider(ManualTaxProvider):
    """The manual table's quotes, filed as a remote service would be: from Celery after the
    order's transaction (`commits_in_process` False). Records the references it filed."""

    name = "manual"  # the quotes are the manual table's; orders name the provider that quoted
    commits_in_process = False

    def __init__(self):
        super().__init__()
        self.filed: list[str] = []

    def commit(self, *, order_reference, quote):
        self.filed.append(order_reference)
        return f"remote:{order_reference}"
