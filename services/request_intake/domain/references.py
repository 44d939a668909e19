"""The Altinn shapes a vendor names things with: rights, access package references, vendor ids.

These are the vocabulary of the system register and of requests. They are frozen pydantic
models because the vendor's JSON is parsed straight into them; their length limits are part
of the contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.orgno import is_valid_org_no
from shared.world import RESOURCE_ATTRIBUTE

from .refusals import Refusal, RefusalKind

__all__ = [
    "ORG_NO_PATTERN",
    "AccessPackageRef",
    "IdText",
    "LangText",
    "OrgNoText",
    "ResourceAttribute",
    "Right",
    "ShortText",
    "Text",
    "UrlText",
    "VendorIdText",
    "VendorRef",
    "package_urns",
    "right_ids",
    "system_invalid",
    "vendor_org_from_id",
]

# Strings are trimmed, as Altinn's TrimStringsActionFilter does, so "at least one character" is
# "at least one that is not white space": the pattern says so in the OpenAPI document. It names
# exactly what Python's strip() removes, since JSON Schema's (ECMAScript's) \S differs from it
# (NEL and the separators U+001C-U+001F are white space to Python only, U+FEFF to ECMAScript only).
NOT_BLANK = r"[^\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255, pattern=NOT_BLANK)
]
UrlText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048, pattern=NOT_BLANK)
]
IdText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
"""An identifier: an organisation number, or an ISO 6523 party id."""
ORG_NO_PATTERN = "^[0-9]{9}$"
OrgNoText = Annotated[IdText, Field(json_schema_extra={"pattern": ORG_NO_PATTERN})]
"""An organisation number. The document states its pattern; the rules check it (and the MOD11
check digit) themselves, so a wrong one is refused with Altinn's code rather than a generic one."""
VendorIdText = Annotated[IdText, Field(json_schema_extra={"pattern": "^0192:[0-9]{9}$"})]
"""``0192:<organisation number>``, stated and checked as ``OrgNoText``."""
LangText = dict[
    Annotated[str, StringConstraints(max_length=8)],
    Annotated[str, StringConstraints(max_length=1000)],
]
"""A text per language code (nb, nn, en)."""


class VendorRef(BaseModel):
    """The vendor as an ISO 6523 party id: ``0192:<organisation number>``."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    authority: Text = "iso6523-actorid-upis"
    ID: VendorIdText


class ResourceAttribute(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: ShortText
    value: ShortText


class Right(BaseModel):
    """A right as Altinn writes it: attributes naming one resource, and an optional action."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    resource: Annotated[tuple[ResourceAttribute, ...], Field(min_length=1, max_length=10)]
    action: Text | None = None


class AccessPackageRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    urn: ShortText


def system_invalid(number: int, detail: str, *paths: str) -> Refusal:
    """Altinn's "Validation of the system failed" refusal, ``AUTH.VLD-<number>``; ``paths`` are
    the JSON pointers of the offending fields."""
    return Refusal(
        RefusalKind.INVALID,
        f"AUTH.VLD-{number:05d}",
        "Validation of the system failed",
        detail,
        paths=paths,
    )


def vendor_org_from_id(vendor_id: str) -> str | None:
    """The organisation number in ``0192:<orgno>``, or None when it is not one."""
    prefix, _, org_no = vendor_id.partition(":")
    return org_no if prefix == "0192" and is_valid_org_no(org_no) else None


def right_ids(rights: Iterable[Right], base_path: str = "/rights") -> tuple[str, ...]:
    """The resource ids of rights that reference exactly one urn:altinn:resource; a refusal
    names every right that does not."""
    ids: list[str] = []
    malformed: list[str] = []
    for index, right in enumerate(rights):
        values = [a.value for a in right.resource if a.id == RESOURCE_ATTRIBUTE]
        if len(values) != 1 or len(right.resource) != 1:
            malformed.append(f"{base_path}/{index}/resource")
        else:
            ids.append(values[0])
    if malformed:
        raise system_invalid(9, "Each right must reference exactly one urn:altinn:resource", *malformed)
    return tuple(ids)


def package_urns(packages: Iterable[AccessPackageRef]) -> tuple[str, ...]:
    return tuple(p.urn for p in packages)
