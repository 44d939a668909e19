"""Generate the OpenAPI documents of the HTTP APIs, and compare them with the committed ones.

``python -m sysaccess.openapi write`` (``make openapi``) refreshes docs/openapi/ after a
deliberate change of an API; tests/contract/test_openapi_contracts.py fails until it is run.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from sysaccess.infra import PROJECT_ROOT

OPENAPI_DIR = PROJECT_ROOT / "docs" / "openapi"
# The apps are built without starting them (nothing connects); a local setting lets the
# settings classes start without production secrets.
os.environ.setdefault("SYSACCESS_ENV", "local")


def _intake_app() -> FastAPI:
    from services.request_intake.factory import create_app
    from services.request_intake.settings import IntakeSettings

    return create_app(IntakeSettings(log_level="WARNING"))


def _approval_app() -> FastAPI:
    from services.approval.factory import create_app
    from services.approval.settings import ApprovalSettings

    return create_app(ApprovalSettings(log_level="WARNING"))


APPS: dict[str, Callable[[], FastAPI]] = {"request_intake": _intake_app, "approval": _approval_app}


def generate(service: str) -> dict[str, Any]:
    """The OpenAPI document a running service serves at /openapi.json."""
    document: dict[str, Any] = APPS[service]().openapi()
    # Round-trip through JSON so the comparison sees what a client reads (tuples become lists).
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded


def committed(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((OPENAPI_DIR / f"{service}.json").read_text())
    return document


def write_all(folder: Path = OPENAPI_DIR) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for service in APPS:
        text = json.dumps(generate(service), indent=2, sort_keys=True, ensure_ascii=False)
        (folder / f"{service}.json").write_text(text + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["write"]:
        write_all()
        print(f"wrote {', '.join(APPS)} to {OPENAPI_DIR}")
    else:
        print("usage: python -m sysaccess.openapi write", file=sys.stderr)
        sys.exit(2)
