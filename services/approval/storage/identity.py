"""The development identity provider: pick a person of the directory (never in production)."""

from __future__ import annotations

from shared.world import Person

from .directory import RedisDirectory

__all__ = ["DevelopmentIdentityProvider"]


class DevelopmentIdentityProvider:
    """Lists the directory's people; never enable outside development (APPROVAL_DEV_LOGIN).

    A production OIDC provider (ID-porten) fills the same interface with an authorization-code
    flow and returns the pid from the verified ID token.
    """

    def __init__(self, directory: RedisDirectory, enabled: bool) -> None:
        self.directory = directory
        self.enabled = enabled

    async def choices(self) -> list[Person]:
        return await self.directory.people() if self.enabled else []

    async def authenticate(self, pid: str) -> Person | None:
        return await self.directory.person(pid) if self.enabled else None
