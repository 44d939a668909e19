"""What a vendor may ask a party for: the request bodies and the rules that check them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from pydantic.alias_generators import to_camel

from shared.events import SystemDescription
from shared.orgno import is_valid_org_no
from shared.redirects import redirect_allowed
from shared.world import World

from .references import (
    AccessPackageRef,
    OrgNoText,
    Right,
    ShortText,
    Text,
    package_urns,
    right_ids,
)
from .refusals import Refusal, RefusalKind, Refusals

__all__ = ["AgentRequestSpec", "RequestSpec", "StandardRequestSpec", "validate_party", "validate_request"]


RedirectText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2048)]
"""A redirect URL, or "" for none (Altinn treats an empty redirectUrl as no redirect)."""


class _RequestSpecBase(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, extra="forbid")

    system_id: ShortText
    party_org_no: OrgNoText
    external_ref: Text | None = None
    integration_title: Text | None = None
    access_packages: Annotated[tuple[AccessPackageRef, ...], Field(max_length=100)] | None = None
    redirect_url: RedirectText | None = Field(
        default=None,
        description='Where the portal sends the user afterwards; "" or null: nowhere (as Altinn)',
    )

    @field_validator("redirect_url")
    @classmethod
    def _empty_is_no_redirect(cls, value: str | None) -> str | None:
        return value or None


class StandardRequestSpec(_RequestSpecBase):
    """A request for rights and access packages on the party's own behalf."""

    rights: Annotated[tuple[Right, ...], Field(max_length=100)] | None = None


class AgentRequestSpec(_RequestSpecBase):
    """A request for client access packages, which the party then delegates per client."""


RequestSpec = StandardRequestSpec | AgentRequestSpec


def _invalid(code: str, title: str, detail: str, *paths: str, **details: str | list[str]) -> Refusal:
    return Refusal(RefusalKind.INVALID, code, title, detail, details, paths=paths)


def validate_party(org_no: str, world: World, require_known: bool) -> None:
    if not is_valid_org_no(org_no):
        raise _invalid(
            "AUTH-00000",
            "Invalid partyOrgNo",
            "partyOrgNo must be 9 digits with a valid MOD11 check digit",
            "/partyOrgNo",
        )
    if require_known and world.organisation(org_no) is None:
        raise _invalid(
            "AUTH-00000", "Party not found", f"Organisation {org_no} is not registered", "/partyOrgNo"
        )


def validate_request(
    body: RequestSpec,
    system: SystemDescription,
    world: World,
    *,
    require_known_party: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Check a request against its system; return (resource ids, package URNs) requested.

    Every broken rule is reported at once (``Refusals``); the refusal's own code is that of the
    first, in the order the rules are listed here.
    """
    refusals = Refusals()
    refusals.check(lambda: validate_party(body.party_org_no, world, require_known_party))
    if body.redirect_url is not None:
        redirect_url = body.redirect_url
        refusals.check(lambda: _check_redirect(redirect_url, system))
    is_agent = isinstance(body, AgentRequestSpec)
    rights: tuple[str, ...] | None = ()
    if not isinstance(body, AgentRequestSpec):
        standard = body
        rights = refusals.check(lambda: right_ids(standard.rights or (), base_path="/rights"))
    packages = package_urns(body.access_packages or ())
    if is_agent and not packages:
        refusals.add(
            _invalid(
                "AUTH-00058",
                "Access packages required",
                "An agent request must carry at least one access package",
                "/accessPackages",
            )
        )
    elif rights == () and not packages:
        refusals.add(
            _invalid(
                "AUTH-00059",
                "Nothing requested",
                "Request at least one right or access package",
                "/rights",
                "/accessPackages",
            )
        )
    _check_in_system(rights or (), packages, system, refusals)
    _check_package_kinds(packages, system, world, refusals, is_agent=is_agent)
    refusals.raise_any()
    return rights or (), packages


def _check_redirect(redirect_url: str, system: SystemDescription) -> None:
    if not system.allowed_redirect_urls:
        raise _invalid(
            "AUTH-00026",
            "Redirect URL not allowed",
            "The system has no registered redirect URLs",
            "/redirectUrl",
        )
    if not redirect_allowed(redirect_url, system.allowed_redirect_urls):
        raise _invalid(
            "AUTH-00021",
            "Redirect URL not allowed",
            "redirectUrl must match one of the system's allowedRedirectUrls",
            "/redirectUrl",
        )


def _positions(items: tuple[str, ...], wanted: set[str], path: str) -> list[str]:
    """The JSON pointers of the items in ``wanted``, and of every repetition of an item."""
    seen: set[str] = set()
    found: list[str] = []
    for index, item in enumerate(items):
        if item in wanted or item in seen:
            found.append(path.format(index))
        seen.add(item)
    return found


def _check_in_system(
    rights: tuple[str, ...], packages: tuple[str, ...], system: SystemDescription, refusals: Refusals
) -> None:
    missing_rights = sorted(set(rights) - set(system.rights))
    if missing_rights or len(set(rights)) != len(rights):
        refusals.add(
            _invalid(
                "AUTH-00001",
                "Rights not in system",
                "Requested rights must be rights of the system",
                *_positions(rights, set(missing_rights), "/rights/{}/resource"),
                notFoundRights=missing_rights,
            )
        )
    missing_packages = sorted(set(packages) - set(system.access_packages))
    if missing_packages or len(set(packages)) != len(packages):
        refusals.add(
            _invalid(
                "AUTH-00063",
                "Access packages not in system",
                "Requested access packages must be packages of the system",
                *_positions(packages, set(missing_packages), "/accessPackages/{}/urn"),
                notFoundPackages=missing_packages,
            )
        )


def _check_package_kinds(
    packages: tuple[str, ...], system: SystemDescription, world: World, refusals: Refusals, *, is_agent: bool
) -> None:
    for index, urn in enumerate(packages):
        if urn not in system.access_packages:
            continue  # already reported as not in the system
        path = f"/accessPackages/{index}/urn"
        package = world.package(urn)
        if package is None:
            refusals.add(_invalid("AUTH-00063", "Unknown access package", urn, path))
        elif is_agent and not package.delegable:
            refusals.add(
                _invalid(
                    "AUTH-00065",
                    "Package not delegable",
                    f"{urn} is not a client package",
                    path,
                    notDelegablePackages=[urn],
                )
            )
        elif not is_agent and not package.assignable:
            refusals.add(
                _invalid(
                    "AUTH-00064",
                    "Package not assignable",
                    f"{urn} can only be used for clients",
                    path,
                    notAssignablePackages=[urn],
                )
            )
