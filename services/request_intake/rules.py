"""Business rules of the vendor API: pure functions, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.events import SystemDescription
from shared.orgno import is_valid_org_no
from shared.problems import Problem
from shared.redirects import is_loopback_http, is_valid_registered_url, redirect_allowed
from shared.world import PACKAGE_URN_PREFIX, RESOURCE_ATTRIBUTE, World

from .schemas import AccessPackageRef, AgentRequestBody, Right, StandardRequestBody, SystemBody

_SYSTEM_ID = re.compile(r"^[0-9]{9}_[A-Za-z0-9._-]{1,100}$")


def vendor_org_from_id(vendor_id: str) -> str | None:
    prefix, _, org_no = vendor_id.partition(":")
    return org_no if prefix == "0192" and is_valid_org_no(org_no) else None


def _vld(code: int, detail: str) -> Problem:
    return Problem(400, "Validation of the system failed", detail, code=f"AUTH.VLD-{code:05d}")


def right_ids(rights: Iterable[Right]) -> tuple[str, ...]:
    """The resource ids of rights that reference exactly one urn:altinn:resource."""
    ids: list[str] = []
    for right in rights:
        values = [a.value for a in right.resource if a.id == RESOURCE_ATTRIBUTE]
        if len(values) != 1 or len(right.resource) != 1:
            raise _vld(9, "Each right must reference exactly one urn:altinn:resource")
        ids.append(values[0])
    return tuple(ids)


def package_urns(packages: Iterable[AccessPackageRef]) -> tuple[str, ...]:
    return tuple(p.urn for p in packages)


def validate_system(
    body: SystemBody,
    caller_org: str,
    world: World,
    path_id: str | None = None,
    *,
    insecure_loopback_webhooks: bool = False,
) -> SystemDescription:
    """Check a system register body; return what other services are told about the system."""
    vendor_org = vendor_org_from_id(body.vendor.ID)
    if vendor_org is None:
        raise _vld(0, "vendor.ID must be '0192:' followed by a valid organisation number")
    if vendor_org != caller_org:
        raise Problem(
            403,
            "Forbidden",
            "The token's organisation is not the system's vendor",
            code="AUTH-00011",
        )
    if path_id is not None and path_id != body.id:
        raise _vld(12, "The id in the URL and in the body differ")
    if " " in body.id:
        raise _vld(13, "The system id must not contain spaces")
    if not body.id.startswith(vendor_org) or not _SYSTEM_ID.match(body.id):
        raise _vld(1, "The system id must start with the vendor's organisation number and '_'")
    rights = right_ids(body.rights)
    if len(set(rights)) != len(rights):
        raise _vld(6, "Duplicate rights")
    unknown = [r for r in rights if world.resource(r) is None]
    if unknown:
        raise _vld(3, f"Unknown resources: {', '.join(unknown)}")
    packages = package_urns(body.access_packages)
    if len(set(packages)) != len(packages):
        raise _vld(7, "Duplicate access packages")
    for urn in packages:
        package = world.package(urn) if urn.startswith(PACKAGE_URN_PREFIX) else None
        if package is None:
            raise _vld(8, f"Unknown or malformed access package: {urn}")
        if body.is_visible and not package.assignable:
            raise _vld(18, f"A visible system cannot hold the client package {urn}")
    if len(set(body.client_id)) != len(body.client_id):
        raise _vld(11, "Duplicate client ids")
    for url in body.allowed_redirect_urls:
        if not is_valid_registered_url(url):
            raise _vld(
                5,
                f"Redirect URLs must be absolute https URLs without query, fragment or user info: {url}",
            )
    if body.webhook_url is not None and not (
        is_valid_registered_url(body.webhook_url)
        or (insecure_loopback_webhooks and is_loopback_http(body.webhook_url))
    ):
        raise _vld(5, "webhookUrl must be an absolute https URL")
    name = dict(body.name)
    if not any(v.strip() for v in name.values()):
        raise _vld(10, "The system needs a name")
    return SystemDescription(
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


def validate_party(org_no: str, world: World, require_known: bool) -> None:
    if not is_valid_org_no(org_no):
        raise Problem(
            400,
            "Invalid partyOrgNo",
            "partyOrgNo must be 9 digits with a valid MOD11 check digit",
            code="AUTH-00000",
        )
    if require_known and world.organisation(org_no) is None:
        raise Problem(400, "Party not found", f"Organisation {org_no} is not registered", code="AUTH-00000")


def validate_request(
    body: StandardRequestBody | AgentRequestBody,
    system: SystemDescription,
    world: World,
    *,
    require_known_party: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Check a request against its system; return (resource ids, package URNs) requested."""
    validate_party(body.party_org_no, world, require_known_party)
    if body.redirect_url is not None:
        if not system.allowed_redirect_urls:
            raise Problem(
                400,
                "Redirect URL not allowed",
                "The system has no registered redirect URLs",
                code="AUTH-00026",
            )
        if not redirect_allowed(body.redirect_url, system.allowed_redirect_urls):
            raise Problem(
                400,
                "Redirect URL not allowed",
                "redirectUrl must match one of the system's allowedRedirectUrls",
                code="AUTH-00021",
            )
    is_agent = isinstance(body, AgentRequestBody)
    rights: tuple[str, ...] = () if is_agent else right_ids(body.rights or [])  # type: ignore[union-attr]
    packages = package_urns(body.access_packages or [])
    if is_agent and not packages:
        raise Problem(
            400,
            "Access packages required",
            "An agent request must carry at least one access package",
            code="AUTH-00058",
        )
    if not rights and not packages:
        raise Problem(
            400,
            "Nothing requested",
            "Request at least one right or access package",
            code="AUTH-00059",
        )
    missing_rights = sorted(set(rights) - set(system.rights))
    if missing_rights or len(set(rights)) != len(rights):
        raise Problem(
            400,
            "Rights not in system",
            "Requested rights must be rights of the system",
            code="AUTH-00001",
            notFoundRights=missing_rights,
        )
    missing_packages = sorted(set(packages) - set(system.access_packages))
    if missing_packages or len(set(packages)) != len(packages):
        raise Problem(
            400,
            "Access packages not in system",
            "Requested access packages must be packages of the system",
            code="AUTH-00063",
            notFoundPackages=missing_packages,
        )
    for urn in packages:
        package = world.package(urn)
        if package is None:
            raise Problem(400, "Unknown access package", urn, code="AUTH-00063")
        if is_agent and not package.delegable:
            raise Problem(
                400,
                "Package not delegable",
                f"{urn} is not a client package",
                code="AUTH-00065",
                notDelegablePackages=[urn],
            )
        if not is_agent and not package.assignable:
            raise Problem(
                400,
                "Package not assignable",
                f"{urn} can only be used for clients",
                code="AUTH-00064",
                notAssignablePackages=[urn],
            )
    return rights, packages
