"""The seeded world (organisations, people, roles, resources, packages, systems).

Loaded by each service from the same seed file; a deployment points ``*_WORLD_FILE`` at
its own copy. The default file holds everything in the project's cast.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

DEFAULT_WORLD_FILE = Path(__file__).parent / "data" / "world.json"
PACKAGE_URN_PREFIX = "urn:altinn:accesspackage:"
RESOURCE_ATTRIBUTE = "urn:altinn:resource"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)


class Organisation(_Model):
    org_no: str
    name: str
    domain: str | None = None


LANGUAGES = ("nb", "nn", "en")
DEFAULT_LANGUAGE = "nb"


class Person(_Model):
    pid: str
    name: str
    email: str
    language: str | None = Field(
        default=None, description="Preferred language of e-mails and pages (nb, nn, en); None: nb"
    )

    @property
    def preferred_language(self) -> str:
        return self.language if self.language in LANGUAGES else DEFAULT_LANGUAGE


class PartyRelation(_Model):
    pid: str
    org_no: str
    roles: tuple[str, ...] = ()
    rights: tuple[str, ...] = ()
    access_packages: tuple[str, ...] = ()


class ClientRelationship(_Model):
    facilitator_org_no: str
    client_org_no: str
    relation: str
    access_packages: tuple[str, ...] = ()


class Resource(_Model):
    id: str
    name: dict[str, str]


class AccessPackage(_Model):
    name: str
    title: dict[str, str]
    assignable: bool
    delegable: bool
    resources: tuple[str, ...] = Field(
        default=(), description="What the package contains: ids of resources in this world"
    )

    @property
    def urn(self) -> str:
        return PACKAGE_URN_PREFIX + self.name


class World(_Model):
    organisations: tuple[Organisation, ...] = ()
    people: tuple[Person, ...] = ()
    roles: tuple[PartyRelation, ...] = ()
    client_relationships: tuple[ClientRelationship, ...] = ()
    resources: tuple[Resource, ...] = ()
    access_packages: tuple[AccessPackage, ...] = ()
    systems: tuple[dict[str, Any], ...] = Field(default=(), description="System register bodies")

    def package(self, urn: str) -> AccessPackage | None:
        name = urn.removeprefix(PACKAGE_URN_PREFIX)
        return next((p for p in self.access_packages if p.name == name), None)

    def resource(self, resource_id: str) -> Resource | None:
        return next((r for r in self.resources if r.id == resource_id), None)

    def organisation(self, org_no: str) -> Organisation | None:
        return next((o for o in self.organisations if o.org_no == org_no), None)


@lru_cache(maxsize=8)
def load_world(path: Path = DEFAULT_WORLD_FILE) -> World:
    return World.model_validate(json.loads(path.read_text(encoding="utf-8")))
