"""Display names of resources and packages, in the person's language."""

from __future__ import annotations

from shared.world import World

__all__ = ["Names", "pick"]


def pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("nb") or next(iter(texts.values()), "")


class Names:
    def __init__(self, world: World) -> None:
        self.world = world

    def resource(self, resource_id: str, lang: str) -> str:
        resource = self.world.resource(resource_id)
        return pick(resource.name, lang) if resource else resource_id

    def package(self, urn: str, lang: str) -> str:
        package = self.world.package(urn)
        return pick(package.title, lang) if package else urn
