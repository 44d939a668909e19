"""Intake's layers import only downwards: handlers -> services -> domain, storage -> domain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import services.request_intake as intake

pytestmark = pytest.mark.unit

ROOT = Path(intake.__file__).parent
PACKAGE = "services.request_intake"

# What each layer must not import; the factory and __main__ may import everything.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": ("services.", "storage", "handlers", "factory", "redis", "fastapi", "starlette", "faststream"),
    "services": ("storage", "handlers", "factory", "redis", "fastapi", "starlette", "faststream"),
    "storage": ("services", "handlers", "factory", "fastapi", "starlette"),
    "handlers": ("storage", "factory", "redis"),
}
OTHER_SERVICES = ("services.approval", "services.notifier")


def imports_of(path: Path) -> set[str]:
    """Absolute names of what a module imports; relative imports are resolved inside intake."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    package = f"{PACKAGE}.{module}".rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            found.add(node.module or "")
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            found.add(f"{base}.{node.module}" if node.module else base)
    return found


def layer_relative(name: str) -> str:
    """``services.request_intake.storage.keys`` -> ``storage.keys``; other names stay as they are."""
    return name.removeprefix(f"{PACKAGE}.")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downwards(layer: str) -> None:
    offending = [
        f"{path.name}: {name}"
        for path in sorted((ROOT / layer).glob("*.py"))
        for name in sorted(imports_of(path))
        if layer_relative(name).startswith(FORBIDDEN[layer]) and not name.startswith("shared")
    ]
    assert offending == []


def test_no_other_service_is_imported() -> None:
    offending = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted(ROOT.rglob("*.py"))
        for name in imports_of(path)
        if name.startswith(OTHER_SERVICES)
    ]
    assert offending == []
