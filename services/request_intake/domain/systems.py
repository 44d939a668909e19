"""The system register: how a vendor describes a system, and the rules that check it.

Over 300 lines because the register's record, its wire shape and every rule that reads it
(rights, packages, redirect URLs, webhook URL and secrets, transitions) are one unit: each rule
checks fields the others define, and Altinn's error codes for them are assigned together.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared import events as ev
from shared.redirects import is_valid_registered_url
from shared.webhook_targets import webhook_url_refusal
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
from .refusals import Refusal, RefusalKind, Refusals

__all__ = [
    "MAX_RETIRED_WEBHOOK_KEYS",
    "RegisteredSystem",
    "SystemSpec",
    "WebhookKey",
    "deletion",
    "needs_new_webhook_secret",
    "owned_system",
    "registration",
    "replacement",
    "rotation",
    "system_id_taken",
    "system_not_found",
    "validate_system",
]

_SYSTEM_ID = re.compile(r"^[0-9]{9}_[A-Za-z0-9._-]{1,100}$")


class SystemSpec(BaseModel):
    """A system as its vendor describes it (the body of a register or replace call)."""

    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, extra="forbid")

    id: Annotated[ShortText, Field(json_schema_extra={"pattern": _SYSTEM_ID.pattern})]
    vendor: VendorRef
    name: Annotated[LangText, Field(max_length=3)]
    description: Annotated[LangText, Field(max_length=3)] = Field(default_factory=dict)
    rights: Annotated[tuple[Right, ...], Field(max_length=100)] = Field(default_factory=tuple)
    access_packages: Annotated[tuple[AccessPackageRef, ...], Field(max_length=100)] = Field(
        default_factory=tuple
    )
    client_id: Annotated[tuple[ShortText, ...], Field(max_length=20)] = Field(default_factory=tuple)
    is_visible: bool = Field(
        default=True, description="Listed in the portal's systems (Altinn's default: true)"
    )
    allowed_redirect_urls: Annotated[tuple[UrlText, ...], Field(max_length=20)] = Field(default_factory=tuple)
    webhook_url: UrlText | None = Field(
        default=None, description="Extension: where outcome events are delivered, signed"
    )


class WebhookKey(BaseModel):
    """One webhook signing secret of a system, sealed: the register never holds it in the clear."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sealed: str
    not_after: datetime | None = None
    """When a rotated-out secret stops signing; None for the current one."""

    def valid_at(self, now: datetime) -> bool:
        return self.not_after is None or self.not_after > now


# How many rotated-out secrets stay valid at once (each adds a signature to every delivery).
MAX_RETIRED_WEBHOOK_KEYS = 2


class RegisteredSystem(BaseModel):
    """A system in the register: the vendor's description and the register's bookkeeping."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: SystemSpec
    vendor_org_no: str
    is_deleted: bool = False
    created: datetime
    updated: datetime
    webhook_keys: tuple[WebhookKey, ...] = ()
    """The current signing secret first, then rotated-out ones still in their grace period."""
    webhook_keys_generation: int = 0
    """Grows with every change of ``webhook_keys``; the notifier keeps the newest it has seen."""

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


def needs_new_webhook_secret(spec: SystemSpec, previous: RegisteredSystem | None) -> bool:
    """A system gets a fresh signing secret (shown once) when it first gets a webhook URL."""
    had_webhook = previous is not None and bool(previous.spec.webhook_url)
    return spec.webhook_url is not None and not had_webhook


def _secrets_changed(system: RegisteredSystem) -> ev.WebhookSecretsChanged:
    return ev.WebhookSecretsChanged(
        system_id=system.id,
        vendor_org_no=system.vendor_org_no,
        generation=system.webhook_keys_generation,
        secrets=tuple(
            ev.SealedWebhookSecret(sealed=key.sealed, not_after=key.not_after) for key in system.webhook_keys
        ),
    )


def _with_keys(system: RegisteredSystem, keys: tuple[WebhookKey, ...]) -> RegisteredSystem:
    return system.model_copy(
        update={"webhook_keys": keys, "webhook_keys_generation": system.webhook_keys_generation + 1}
    )


def registration(
    spec: SystemSpec,
    caller_org: str,
    world: World,
    now: datetime,
    *,
    insecure_loopback_webhooks: bool,
    new_key: WebhookKey | None = None,
) -> Applied[RegisteredSystem, ev.SystemRegistered]:
    """A new system; storage refuses it when the id is taken.

    A system with a webhook URL needs ``new_key``, its first signing secret; the secrets go
    to the notifier in their own event.
    """
    description = validate_system(
        spec, caller_org, world, insecure_loopback_webhooks=insecure_loopback_webhooks
    )
    system = RegisteredSystem(spec=spec, vendor_org_no=description.vendor_org_no, created=now, updated=now)
    if spec.webhook_url is None:
        return Applied(system, ev.SystemRegistered(system=description))
    if new_key is None:
        raise ValueError("a system with a webhook URL is registered with its first signing secret")
    system = _with_keys(system, (new_key,))
    return Applied(system, ev.SystemRegistered(system=description), also=(_secrets_changed(system),))


def replacement(
    existing: RegisteredSystem,
    spec: SystemSpec,
    caller_org: str,
    world: World,
    now: datetime,
    *,
    insecure_loopback_webhooks: bool,
    new_key: WebhookKey | None = None,
) -> Applied[RegisteredSystem, ev.SystemUpdated]:
    """The vendor's new description of a system it owns; created stays, updated moves.

    A webhook URL set for the first time comes with ``new_key``; a removed one takes the
    secrets with it; otherwise the secrets stay as they are.
    """
    description = validate_system(
        spec, caller_org, world, path_id=existing.id, insecure_loopback_webhooks=insecure_loopback_webhooks
    )
    system = existing.model_copy(
        update={"spec": spec, "vendor_org_no": description.vendor_org_no, "updated": now}
    )
    if spec.webhook_url is None:
        keys: tuple[WebhookKey, ...] = ()
    elif needs_new_webhook_secret(spec, existing):
        if new_key is None:
            raise ValueError("a webhook URL set for the first time comes with its signing secret")
        keys = (new_key,)
    else:
        keys = existing.webhook_keys
    if keys == existing.webhook_keys:
        return Applied(system, ev.SystemUpdated(system=description))
    system = _with_keys(system, keys)
    return Applied(system, ev.SystemUpdated(system=description), also=(_secrets_changed(system),))


def rotation(
    existing: RegisteredSystem, new_key: WebhookKey, now: datetime, grace: timedelta
) -> Applied[RegisteredSystem, ev.WebhookSecretsChanged]:
    """A new current signing secret; the one it replaces keeps signing until ``now + grace``.

    Secrets whose grace has run out are dropped, and at most ``MAX_RETIRED_WEBHOOK_KEYS``
    rotated-out secrets stay valid at once (the newest ones).
    """
    if existing.spec.webhook_url is None:
        raise system_invalid(5, "The system has no webhookUrl, so it has no signing secret to rotate")
    retire_at = now + grace
    retired = tuple(
        key.model_copy(update={"not_after": retire_at}) if key.not_after is None else key
        for key in existing.webhook_keys
        if key.valid_at(now)
    )
    kept = tuple(key for key in retired if key.valid_at(now))[:MAX_RETIRED_WEBHOOK_KEYS]
    system = _with_keys(existing.model_copy(update={"updated": now}), (new_key, *kept))
    return Applied(system, _secrets_changed(system))


def deletion(existing: RegisteredSystem, now: datetime) -> Applied[RegisteredSystem, ev.SystemDeleted]:
    """A deleted system is kept, marked, so its id stays taken; its signing secrets are dropped."""
    system = existing.model_copy(update={"is_deleted": True, "updated": now, "webhook_keys": ()})
    return Applied(system, ev.SystemDeleted(system_id=existing.id, vendor_org_no=existing.vendor_org_no))


def validate_system(
    body: SystemSpec,
    caller_org: str,
    world: World,
    path_id: str | None = None,
    *,
    insecure_loopback_webhooks: bool = False,
    check_webhook: bool = True,
) -> ev.SystemDescription:
    """Check a system description; return what other services are told about the system.

    ``check_webhook=False`` skips the webhook URL (re-checks of a stored system for other
    purposes: a URL refused by today's rules is refused again by the notifier at send time).
    """
    # Every broken rule is reported at once; the refusal's own code is the first one's.
    refusals = Refusals()
    vendor_org = refusals.check(lambda: _check_vendor(body, caller_org))
    refusals.check(lambda: _check_id(body, vendor_org or caller_org, path_id))
    rights = refusals.check(lambda: _check_rights(body, world)) or ()
    packages = _check_packages(body, world, refusals)
    if len(set(body.client_id)) != len(body.client_id):
        refusals.add(system_invalid(11, "Duplicate client ids", "/clientId"))
    _check_urls(
        body, refusals, insecure_loopback_webhooks=insecure_loopback_webhooks, check_webhook=check_webhook
    )
    name = dict(body.name)
    if not any(v.strip() for v in name.values()):
        refusals.add(system_invalid(10, "The system needs a name", "/name"))
    refusals.raise_any()
    assert vendor_org is not None  # a refused vendor was raised above
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
        raise system_invalid(
            0, "vendor.ID must be '0192:' followed by a valid organisation number", "/vendor/ID"
        )
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
        raise system_invalid(12, "The id in the URL and in the body differ", "/id")
    if " " in body.id:
        raise system_invalid(13, "The system id must not contain spaces", "/id")
    if not body.id.startswith(vendor_org) or not _SYSTEM_ID.match(body.id):
        raise system_invalid(
            1, "The system id must start with the vendor's organisation number and '_'", "/id"
        )


def _check_rights(body: SystemSpec, world: World) -> tuple[str, ...]:
    rights = right_ids(body.rights)
    if len(set(rights)) != len(rights):
        raise system_invalid(6, "Duplicate rights", *_repeated(rights, "/rights/{}/resource"))
    unknown = [(i, r) for i, r in enumerate(rights) if world.resource(r) is None]
    if unknown:
        raise system_invalid(
            3,
            f"Unknown resources: {', '.join(r for _, r in unknown)}",
            *(f"/rights/{i}/resource" for i, _ in unknown),
        )
    return rights


def _repeated(items: tuple[str, ...], path: str) -> list[str]:
    """The JSON pointers of the items that repeat an earlier one."""
    seen: set[str] = set()
    found: list[str] = []
    for index, item in enumerate(items):
        if item in seen:
            found.append(path.format(index))
        seen.add(item)
    return found


def _check_packages(body: SystemSpec, world: World, refusals: Refusals) -> tuple[str, ...]:
    packages = package_urns(body.access_packages)
    if len(set(packages)) != len(packages):
        refusals.add(
            system_invalid(7, "Duplicate access packages", *_repeated(packages, "/accessPackages/{}/urn"))
        )
    for index, urn in enumerate(packages):
        path = f"/accessPackages/{index}/urn"
        package = world.package(urn) if urn.startswith(PACKAGE_URN_PREFIX) else None
        if package is None:
            refusals.add(system_invalid(8, f"Unknown or malformed access package: {urn}", path))
        elif not package.assignable and not package.delegable:
            # Held by no system access: neither given to an organisation nor through a client.
            refusals.add(
                system_invalid(8, f"The access package can be neither assigned nor delegated: {urn}", path)
            )
        elif body.is_visible and not package.assignable:
            refusals.add(system_invalid(18, f"A visible system cannot hold the client package {urn}", path))
    return packages


def _check_urls(
    body: SystemSpec, refusals: Refusals, *, insecure_loopback_webhooks: bool, check_webhook: bool
) -> None:
    for index, url in enumerate(body.allowed_redirect_urls):
        if not is_valid_registered_url(url):
            refusals.add(
                system_invalid(
                    5,
                    f"Redirect URLs must be absolute https URLs without query, fragment or user info: {url}",
                    f"/allowedRedirectUrls/{index}",
                )
            )
    if body.webhook_url is None or not check_webhook:
        return
    refusal = webhook_url_refusal(body.webhook_url, allow_loopback=insecure_loopback_webhooks)
    if refusal is not None:
        refusals.add(
            system_invalid(
                5,
                f"webhookUrl must be an absolute https URL to a public host on the internet: {refusal}",
                "/webhookUrl",
            )
        )
