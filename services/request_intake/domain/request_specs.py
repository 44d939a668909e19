"""What a vendor may ask a party for: the request bodies and the rules that check them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.events import SystemDescription
from shared.orgno import is_valid_org_no
from shared.redirects import redirect_allowed
from shared.world import World

from .references import AccessPackageRef, IdText, Right, ShortText, Text, UrlText, package_urns, right_ids
from .refusals import Refusal, RefusalKind

__all__ = ["AgentRequestSpec", "RequestSpec", "StandardRequestSpec", "validate_party", "validate_request"]


class _RequestSpecBase(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True, extra="forbid")

    system_id: ShortText
    party_org_no: IdText
    external_ref: Text | None = None
    integration_title: Text | None = None
    access_packages: Annotated[tuple[AccessPackageRef, ...], Field(max_length=100)] | None = None
    redirect_url: UrlText | None = None


class StandardRequestSpec(_RequestSpecBase):
    """A request for rights and access packages on the party's own behalf."""

    rights: Annotated[tuple[Right, ...], Field(max_length=100)] | None = None


class AgentRequestSpec(_RequestSpecBase):
    """A request for client access packages, which the party then delegates per client."""


RequestSpec = StandardRequestSpec | AgentRequestSpec


def _invalid(code: str, title: str, detail: str, **details: str | list[str]) -> Refusal:
    return Refusal(RefusalKind.INVALID, code, title, detail, details)


def validate_party(org_no: str, world: World, require_known: bool) -> None:
    if not is_valid_org_no(org_no):
        raise _invalid(
            "AUTH-00000", "Invalid partyOrgNo", "partyOrgNo must be 9 digits with a valid MOD11 check digit"
        )
    if require_known and world.organisation(org_no) is None:
        raise _invalid("AUTH-00000", "Party not found", f"Organisation {org_no} is not registered")


def validate_request(
    body: RequestSpec,
    system: SystemDescription,
    world: World,
    *,
    require_known_party: bool,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Check a request against its system; return (resource ids, package URNs) requested."""
    validate_party(body.party_org_no, world, require_known_party)
    if body.redirect_url is not None:
        _check_redirect(body.redirect_url, system)
    is_agent = isinstance(body, AgentRequestSpec)
    rights = () if isinstance(body, AgentRequestSpec) else right_ids(body.rights or ())
    packages = package_urns(body.access_packages or ())
    if is_agent and not packages:
        raise _invalid(
            "AUTH-00058",
            "Access packages required",
            "An agent request must carry at least one access package",
        )
    if not rights and not packages:
        raise _invalid("AUTH-00059", "Nothing requested", "Request at least one right or access package")
    _check_in_system(rights, packages, system)
    _check_package_kinds(packages, world, is_agent=is_agent)
    return rights, packages


def _check_redirect(redirect_url: str, system: SystemDescription) -> None:
    if not system.allowed_redirect_urls:
        raise _invalid("AUTH-00026", "Redirect URL not allowed", "The system has no registered redirect URLs")
    if not redirect_allowed(redirect_url, system.allowed_redirect_urls):
        raise _invalid(
            "AUTH-00021",
            "Redirect URL not allowed",
            "redirectUrl must match one of the system's allowedRedirectUrls",
        )


def _check_in_system(rights: tuple[str, ...], packages: tuple[str, ...], system: SystemDescription) -> None:
    missing_rights = sorted(set(rights) - set(system.rights))
    if missing_rights or len(set(rights)) != len(rights):
        raise _invalid(
            "AUTH-00001",
            "Rights not in system",
            "Requested rights must be rights of the system",
            notFoundRights=missing_rights,
        )
    missing_packages = sorted(set(packages) - set(system.access_packages))
    if missing_packages or len(set(packages)) != len(packages):
        raise _invalid(
            "AUTH-00063",
            "Access packages not in system",
            "Requested access packages must be packages of the system",
            notFoundPackages=missing_packages,
        )


def _check_package_kinds(packages: tuple[str, ...], world: World, *, is_agent: bool) -> None:
    for urn in packages:
        package = world.package(urn)
        if package is None:
            raise _invalid("AUTH-00063", "Unknown access package", urn)
        if is_agent and not package.delegable:
            raise _invalid(
                "AUTH-00065",
                "Package not delegable",
                f"{urn} is not a client package",
                notDelegablePackages=[urn],
            )
        if not is_agent and not package.assignable:
            raise _invalid(
                "AUTH-00064",
                "Package not assignable",
                f"{urn} can only be used for clients",
                notAssignablePackages=[urn],
            )
