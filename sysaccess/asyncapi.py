"""Generate each service's AsyncAPI document with FastStream, and compare versions for breaks.

``python -m sysaccess.asyncapi write`` refreshes the committed documents in docs/asyncapi/.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI

from sysaccess.infra import PROJECT_ROOT

ASYNCAPI_DIR = PROJECT_ROOT / "docs" / "asyncapi"
# The documents are built from the services' factories without connecting to anything; a local
# setting lets the settings classes start without production secrets.
os.environ.setdefault("SYSACCESS_ENV", "local")


def _intake_broker() -> KafkaBroker:
    from services.request_intake.factory import build
    from services.request_intake.settings import IntakeSettings

    return build(IntakeSettings()).runtime.specification


def _approval_broker() -> KafkaBroker:
    from services.approval.factory import build
    from services.approval.settings import ApprovalSettings

    return build(ApprovalSettings()).runtime.specification


def _notifier_broker() -> KafkaBroker:
    from services.notifier.factory import build
    from services.notifier.settings import NotifierSettings

    return build(NotifierSettings()).runtime.specification


BROKERS: dict[str, Callable[[], KafkaBroker]] = {
    "request_intake": _intake_broker,
    "approval": _approval_broker,
    "notifier": _notifier_broker,
}


def generate(service: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of a service, built without connecting to anything."""
    spec = AsyncAPI(BROKERS[service](), title=f"sysaccess {service}", version="1.0.0", schema_version="3.0.0")
    document: dict[str, Any] = json.loads(spec.to_specification().to_json())
    return document


def committed(service: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ASYNCAPI_DIR / f"{service}.json").read_text())
    return document


def write_all(folder: Path = ASYNCAPI_DIR) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for service in BROKERS:
        text = json.dumps(generate(service), indent=2, sort_keys=True, ensure_ascii=False)
        (folder / f"{service}.json").write_text(text + "\n")


def _channels(document: dict[str, Any]) -> dict[str, str]:
    return {name: ch.get("address", name) for name, ch in document.get("channels", {}).items()}


def _schemas(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = document.get("components", {}).get("schemas", {})
    return schemas


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What a consumer or producer written against ``old`` would trip over in ``new``.

    Breaking: a channel address disappears; a message schema disappears; a property
    disappears or changes type; a property becomes required; an enum loses a value.
    """
    problems: list[str] = []
    new_addresses = set(_channels(new).values())
    problems += [
        f"channel {address} removed" for address in _channels(old).values() if address not in new_addresses
    ]
    new_schemas = _schemas(new)
    for name, old_schema in _schemas(old).items():
        new_schema = new_schemas.get(name)
        if new_schema is None:
            problems.append(f"schema {name} removed")
            continue
        old_props = old_schema.get("properties", {})
        new_props = new_schema.get("properties", {})
        for prop, old_prop in old_props.items():
            if prop not in new_props:
                problems.append(f"{name}.{prop} removed")
            elif _type_of(old_prop) != _type_of(new_props[prop]):
                problems.append(
                    f"{name}.{prop} changed type {_type_of(old_prop)} -> {_type_of(new_props[prop])}"
                )
        added_required = set(new_schema.get("required", [])) - set(old_schema.get("required", []))
        problems += [f"{name}.{prop} became required" for prop in sorted(added_required)]
        old_enum, new_enum = set(old_schema.get("enum", [])), set(new_schema.get("enum", []))
        problems += [f"{name} enum lost {value!r}" for value in sorted(old_enum - new_enum)]
    return problems


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return "|".join(sorted(_type_of(p) for p in prop["anyOf"]))
    if prop.get("type") == "array":
        return f"array[{_type_of(prop.get('items', {}))}]"
    return str(prop.get("type", "any"))


if __name__ == "__main__":
    if sys.argv[1:] == ["write"]:
        write_all()
        print(f"wrote {', '.join(BROKERS)} to {ASYNCAPI_DIR}")
    else:
        print("usage: python -m sysaccess.asyncapi write", file=sys.stderr)
        sys.exit(2)
