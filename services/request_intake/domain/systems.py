"""The system register: how a vendor describes a system, and the rules that check it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared import events as ev
from shared.redirects import is_loopback_http, is_valid_registered_url
from shared.world import PACKAGE_URN_PREFIX, World

from .applied import Applied
from .references import (
    AccessPackageRef,
    LangText,
    Right,
    ShortText,
    UrlText,
    VendorRef,
    package_urns,
    right_ids,
    system_invalid,
    vendor_org_from_id,
)
from .refusals import Refusal, RefusalKind

__all__ = [
    "RegisteredSystem",
    "SystemSpec",
    "deletion",
    "owned_system",
    "registration",
    "replacement",
    "reveals_webhook_secret",
    "system_id_taken",
    "system_not_found",
    "validate_system",
]

_SYSTEM_ID = re.compile(r"^[0-9]{9}_[A-Za-z0-9._-]{1,100}$")


class SystemSpec(BaseModel):
    """A system as its vendor describes it (the body of a register or replace call)."""

    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, extra="forbid")

    id: ShortText
    vendor: VendorRef
    name: Annotated[LangText, Field(max_length=3)]
    description: Annotated[LangText, Field(max_length=3)] = Field(default_factory=dict)
    rights: Annotated[tuple[Right, ...], Field(max_length=100)] = Field(default_factory=tuple)
    access_packages: Annotated[tuple[AccessPackageRef, ...], Field(max_length=100)] = Field(
        default_factory=tuple
    )
    client_id: Annotated[tuple[ShortText, ...], Field(max_length=20)] = Field(default_factory=tuple)
    is_visible: bool = False
    allowed_redirect_urls: Annotated[tuple[UrlText, ...], Field(max_length=20)] = Field(default_factory=tuple)
    webhook_url: UrlText | None = Field(
        default=None, description="Extension: where outcome events are delivered, signed"
    )


class RegisteredSystem(BaseModel):
    """A system in the register: the vendor's description and the register's bookkeeping."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: SystemSpec
    vendor_org_no: str
    is_deleted: bool = False
    created: datetime
    updated: datetime

    @property
    def id(self) -> str:
        return self.spec.id


def system_not_found(system_id: str) -> Refusal:
    return Refusal(
        RefusalKind.NOT_FOUND, "AUTH-00011", "System not found", f"No system {system_id} for this vendor"
    )


def system_id_taken(system_id: str) -> Refusal:
    return system_invalid(2, f"System {system_id} already exists")


def owned_system(system: RegisteredSystem | None, system_id: str, vendor_org: str) -> RegisteredSystem:
    """The vendor's own, live system; any other system is "not found" so ids reveal nothing."""
    if system is None or system.is_deleted or system.vendor_org_no != vendor_org:
        raise system_not_found(system_id)
    return system


def registration(
    spec: SystemSpec, caller_org: str, world: World, now: datetime, *, insecure_loopback_webhooks: bool
) -> Applied[RegisteredSystem, ev.SystemRegistered]:
    """A new system; storage refuses it when the id is taken."""
    description = validate_system(
        spec, caller_org, world, insecure_loopback_webhooks=insecure_loopback_webhooks
    )
    system = RegisteredSystem(spec=spec, vendor_org_no=description.vendor_org_no, created=now, updated=now)
    return Applied(system, ev.SystemRegistered(system=description))


def replacement(
    existing: RegisteredSystem,
    spec: SystemSpec,
    caller_org: str,
    world: World,
    now: datetime,
    *,
    insecure_loopback_webhooks: bool,
) -> Applied[RegisteredSystem, ev.SystemUpdated]:
    """The vendor's new description of a system it owns; created stays, updated moves."""
    description = validate_system(
        spec, caller_org, world, path_id=existing.id, insecure_loopback_webhooks=insecure_loopback_webhooks
    )
    system = RegisteredSystem(
        spec=spec, vendor_org_no=description.vendor_org_no, created=existing.created, updated=now
    )
    return Applied(system, ev.SystemUpdated(system=description))


def deletion(existing: RegisteredSystem, now: datetime) -> Applied[RegisteredSystem, ev.SystemDeleted]:
    """A deleted system is kept, marked, so its id stays taken."""
    system = existing.model_copy(update={"is_deleted": True, "updated": now})
    return Applied(system, ev.SystemDeleted(system_id=existing.id, vendor_org_no=existing.vendor_org_no))


def reveals_webhook_secret(system: RegisteredSystem, previous: RegisteredSystem | None) -> bool:
    """The signing secret is shown once: when a system first gets a webhook URL."""
    had_webhook = previous is not None and bool(previous.spec.webhook_url)
    return system.spec.webhook_url is not None and not had_webhook


def validate_system(
    body: SystemSpec,
    caller_org: str,
    world: World,
    path_id: str | None = None,
    *,
    insecure_loopback_webhooks: bool = False,
) -> ev.SystemDescription:
    """Check a system description; return what other services are told about the system."""
    vendor_org = _check_vendor(body, caller_org)
    _check_id(body, vendor_org, path_id)
    rights = _check_rights(body, world)
    packages = _check_packages(body, world)
    if len(set(body.client_id)) != len(body.client_id):
        raise system_invalid(11, "Duplicate client ids")
    _check_urls(body, insecure_loopback_webhooks=insecure_loopback_webhooks)
    name = dict(body.name)
    if not any(v.strip() for v in name.values()):
        raise system_invalid(10, "The system needs a name")
    return ev.SystemDescription(
        system_id=body.id,
        vendor_org_no=vendor_org,
        name=name,
        description=dict(body.description),
        rights=rights,
        access_packages=packages,
        allowed_redirect_urls=tuple(body.allowed_redirect_urls),
        is_visible=body.is_visible,
        webhook_url=body.webhook_url,
    )


def _check_vendor(body: SystemSpec, caller_org: str) -> str:
    vendor_org = vendor_org_from_id(body.vendor.ID)
    if vendor_org is None:
        raise system_invalid(0, "vendor.ID must be '0192:' followed by a valid organisation number")
    if vendor_org != caller_org:
        raise Refusal(
            RefusalKind.FORBIDDEN,
            "AUTH-00011",
            "Forbidden",
            "The token's organisation is not the system's vendor",
        )
    return vendor_org


def _check_id(body: SystemSpec, vendor_org: str, path_id: str | None) -> None:
    if path_id is not None and path_id != body.id:
        raise system_invalid(12, "The id in the URL and in the body differ")
    if " " in body.id:
        raise system_invalid(13, "The system id must not contain spaces")
    if not body.id.startswith(vendor_org) or not _SYSTEM_ID.match(body.id):
        raise system_invalid(1, "The system id must start with the vendor's organisation number and '_'")


def _check_rights(body: SystemSpec, world: World) -> tuple[str, ...]:
    rights = right_ids(body.rights)
    if len(set(rights)) != len(rights):
        raise system_invalid(6, "Duplicate rights")
    unknown = [r for r in rights if world.resource(r) is None]
    if unknown:
        raise system_invalid(3, f"Unknown resources: {', '.join(unknown)}")
    return rights


def _check_packages(body: SystemSpec, world: World) -> tuple[str, ...]:
    packages = package_urns(body.access_packages)
    if len(set(packages)) != len(packages):
        raise system_invalid(7, "Duplicate access packages")
    for urn in packages:
        package = world.package(urn) if urn.startswith(PACKAGE_URN_PREFIX) else None
        if package is None:
            raise system_invalid(8, f"Unknown or malformed access package: {urn}")
        if body.is_visible and not package.assignable:
            raise system_invalid(18, f"A visible system cannot hold the client package {urn}")
    return packages


def _check_urls(body: SystemSpec, *, insecure_loopback_webhooks: bool) -> None:
    for url in body.allowed_redirect_urls:
        if not is_valid_registered_url(url):
            raise system_invalid(
                5,
                f"Redirect URLs must be absolute https URLs without query, fragment or user info: {url}",
            )
    if body.webhook_url is not None and not (
        is_valid_registered_url(body.webhook_url)
        or (insecure_loopback_webhooks and is_loopback_http(body.webhook_url))
    ):
        raise system_invalid(5, "webhookUrl must be an absolute https URL")
