"""Imports point one way: an app never imports one that sits above it (docs/architecture.md).

shop <- catalog <- inventory <- orders <- returns, promotions beside inventory, storefront on top.
Every `import` and `from ... import` in an app's modules counts, including imports inside
functions and under `if TYPE_CHECKING:`: a lazy import is still a dependency. An app above
serves one below through a port registered in its AppConfig.ready() instead.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# app -> the apps it must never import.
FORBIDDEN = {
    "shop": {"catalog", "inventory", "orders", "promotions", "returns", "storefront"},
    "catalog": {"inventory", "orders", "promotions", "returns", "storefront"},
    "inventory": {"orders", "returns", "storefront"},
    "promotions": {"orders", "returns", "storefront"},
    "orders": {"returns", "storefront"},
    "returns": {"storefront"},
    "storefront": set(),
}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in `source`; relative ones are skipped
    (they stay inside their own package)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def upward_imports(root: Path, forbidden: dict[str, set[str]] = FORBIDDEN) -> list[str]:
    """ "path:line: app imports other" for every import of an app above the importing one."""
    violations = []
    for app, above in sorted(forbidden.items()):
        for path in sorted((root / app).rglob("*.py")):
            relative = path.relative_to(root)
            for line, module in imported_modules(path.read_text(encoding="utf-8")):
                top = module.split(".", 1)[0]
                if top in above:
                    violations.append(f"{relative}:{line}: {app} imports {module}")
    return violations


def test_no_app_imports_an_app_above_it():
    violations = upward_imports(ROOT)

    assert violations == [], "Imports must point down (docs/architecture.md):\n" + "\n".join(
        violations
    )


def test_every_project_app_is_placed_in_the_order():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}

    assert apps == set(FORBIDDEN)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from inventory.selectors import available_quantities\n",
            "catalog/planted.py:1: catalog imports inventory.selectors",
        ),
        (
            "def f():\n    import storefront.views\n",
            "catalog/planted.py:2: catalog imports storefront.views",
        ),
        (
            "import typing\n\nif typing.TYPE_CHECKING:\n    from orders import models\n",
            "catalog/planted.py:4: catalog imports orders",
        ),
    ],
)
def test_a_planted_upward_import_is_reported_with_file_and_line(tmp_path, source, expected):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "fine.py").write_text(
        "from catalog.models import Product\nfrom shop.money import Money\nfrom . import ports\n"
    )
    (tmp_path / "catalog" / "planted.py").write_text(source)

    assert upward_imports(tmp_path, {"catalog": FORBIDDEN["catalog"]}) == [expected]
