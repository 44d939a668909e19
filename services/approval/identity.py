"""Who is logging in: the identity provider behind the portal's login.

The portal only needs a person id (pid) it can trust. The development provider lets you pick
a person from the directory; a production OIDC provider (ID-porten) fills the same interface
with an authorization-code flow and returns the pid from the verified ID token.
"""

from __future__ import annotations

from typing import Protocol

from shared.world import Person

from .directory import Directory


class IdentityProvider(Protocol):
    enabled: bool

    async def choices(self) -> list[Person]:
        """People the login page may offer (empty for providers that redirect elsewhere)."""
        ...

    async def authenticate(self, pid: str) -> Person | None:
        """The person behind a completed login, or None if it cannot be trusted."""
        ...


class DevelopmentIdentityProvider:
    """Lists the directory's people; never enable outside development (APPROVAL_DEV_LOGIN)."""

    def __init__(self, directory: Directory, enabled: bool) -> None:
        self.directory = directory
        self.enabled = enabled

    async def choices(self) -> list[Person]:
        return await self.directory.people() if self.enabled else []

    async def authenticate(self, pid: str) -> Person | None:
        return await self.directory.person(pid) if self.enabled else None
