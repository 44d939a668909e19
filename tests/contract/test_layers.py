"""The import-linter contracts hold on the real tree, and do catch an import that breaks a layer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.contract
ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("services/approval/domain/models.py", "from ..storage import keys", "Inside a service"),
        ("services/approval/domain/refusals.py", "import redis", "The domain does no I/O"),
        ("services/approval/handlers/pages.py", "from ..storage import requests", "Handlers reach storage"),
        ("services/approval/services/portal.py", "import services.notifier", "none imports another"),
    ],
)
def test_an_import_across_a_layer_breaks_the_build(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    for folder in ("services", "shared"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{bad_import}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert contract in result.stdout
    assert "BROKEN" in result.stdout
