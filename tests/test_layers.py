"""The house's layout holds: every import of ours runs downward in DESIGN.md's order.

core < merchants < dispatch < scheduling < tracking < notifications < care < demo < portal.
A lower app that must tell a higher one something sends a signal instead. Nothing imports
`portal` (the wiring) but `portal` itself; tests and benchmarks may import anything.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["core", "merchants", "dispatch", "scheduling", "tracking", "notifications", "care", "demo", "portal"]
RANK = {name: rank for rank, name in enumerate(LAYERS)}


def imported_apps(path: Path) -> list[tuple[int, str]]:
    """(line, top-level app) for every import of one of our apps in a module, lazy imports included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [(node.lineno, name.split(".")[0]) for name in names if name.split(".")[0] in RANK]
    return found


def upward_imports(app: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for line, target in imported_apps(path)
        if RANK[target] > RANK[app]
    ]


@pytest.mark.parametrize("app", LAYERS)
def test_no_app_imports_upward(app):
    assert upward_imports(app) == []


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "dispatch"
    fake.mkdir()
    (fake / "views.py").write_text("from core import clock\n\ndef f():\n    from care.models import JourneyException\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert upward_imports("dispatch") == ["dispatch/views.py:4 imports care"]


def test_every_app_of_ours_has_a_place_in_the_order():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "benchmarks"}
    assert packages <= set(LAYERS), f"place {packages - set(LAYERS)} in DESIGN.md's order and in LAYERS"
