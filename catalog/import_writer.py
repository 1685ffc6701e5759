"""Writing an import plan: the batched catalog writer (catalog.services.batch_writing).

catalog.importing owns the transaction (all or nothing, dry runs roll back); the writer runs
inside it with the catalog services' rules, recording each row's outcome in the ImportResult.
"""

from __future__ import annotations

from catalog.importers.base import ImportResult, ProductSpec
from catalog.services.batch_writing import write_products


class Writer:
    """Writes product specs in batches, recording each row's outcome in the result."""

    def __init__(self, result: ImportResult, columns: dict[str, str], progress, actor=None):
        self.result, self.columns, self.progress, self.actor = result, columns, progress, actor

    def write(self, specs: list[ProductSpec]) -> None:
        write_products(
            specs=specs,
            report=self.result,
            columns=self.columns,
            actor=self.actor,
            progress=self.progress,
        )
