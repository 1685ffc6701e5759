"""Reading promotion entries from a YAML or JSON text (one entry or a list)."""

from __future__ import annotations

import yaml

from promotions.exceptions import PromotionImportFailed

MAX_BYTES = 5_000_000


def load_entries(text: str | bytes) -> list[dict]:
    """The entries in `text` (YAML, of which JSON is a subset). Raises PromotionImportFailed."""
    if len(text) > MAX_BYTES:
        raise PromotionImportFailed([f"file: larger than {MAX_BYTES // 1_000_000} MB"])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PromotionImportFailed([f"file: not valid YAML or JSON{where}: {problem}"]) from None
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list) and data and all(isinstance(e, dict) for e in data):
        return data
    raise PromotionImportFailed(["file: expected one promotion entry or a list of entries"])
