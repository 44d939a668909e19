"""Display names of resources and packages, and what each package contains, in the person's language."""

from __future__ import annotations

from dataclasses import dataclass

from shared.world import World

__all__ = ["NamedItem", "Names", "pick"]


def pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("nb") or next(iter(texts.values()), "")


@dataclass(frozen=True)
class NamedItem:
    """A right or a package: its id, its name, and (for a package) the names of what it contains."""

    id: str
    name: str
    contains: tuple[str, ...] = ()


class Names:
    def __init__(self, world: World) -> None:
        self.world = world

    def resource(self, resource_id: str, lang: str) -> str:
        resource = self.world.resource(resource_id)
        return pick(resource.name, lang) if resource else resource_id

    def package(self, urn: str, lang: str) -> str:
        package = self.world.package(urn)
        return pick(package.title, lang) if package else urn

    def right_item(self, resource_id: str, lang: str) -> NamedItem:
        return NamedItem(resource_id, self.resource(resource_id, lang))

    def package_item(self, urn: str, lang: str) -> NamedItem:
        package = self.world.package(urn)
        contains = tuple(self.resource(r, lang) for r in package.resources) if package else ()
        return NamedItem(urn, self.package(urn, lang), contains)

    def assignable(self) -> frozenset[str]:
        """Names of the packages an organisation can hold itself (not client packages)."""
        return frozenset(p.name for p in self.world.access_packages if p.assignable)
