"""The directory approval owns: people, organisations, roles, rights and client relationships.

Kept in Redis under approval's prefix and seeded from the world file; seeding again
overwrites by key, so it never duplicates anything.
"""

from __future__ import annotations

import json
from typing import Any

from redis.asyncio import Redis

from shared.world import Organisation, Person, World

from ..domain.authorization import ACCESS_MANAGER_ROLES, Relation
from ..domain.clients import ClientRelationship
from ..domain.directory import Party

__all__ = ["RedisDirectory"]


class RedisDirectory:
    def __init__(self, redis: Redis, prefix: str, world: World) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:dir"
        self.world = world

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    async def seed(self, world: World | None = None) -> None:
        world = world or self.world
        async with self.redis.pipeline(transaction=False) as pipe:
            for org in world.organisations:
                pipe.set(self._key("org", org.org_no), org.model_dump_json(by_alias=True))
            for person in world.people:
                pipe.set(self._key("person", person.pid), person.model_dump_json(by_alias=True))
            for rel in world.roles:
                pipe.set(
                    self._key("relation", rel.pid, rel.org_no),
                    json.dumps(
                        {"roles": rel.roles, "rights": rel.rights, "accessPackages": rel.access_packages}
                    ),
                )
                pipe.sadd(self._key("parties", rel.pid), rel.org_no)
                if set(rel.roles) & ACCESS_MANAGER_ROLES:
                    pipe.sadd(self._key("managers", rel.org_no), rel.pid)
                else:
                    pipe.srem(self._key("managers", rel.org_no), rel.pid)
            for link in world.client_relationships:
                pipe.hset(
                    self._key("clients", link.facilitator_org_no),
                    link.client_org_no,
                    json.dumps({"relation": link.relation, "accessPackages": link.access_packages}),
                )
            if world.people:
                pipe.sadd(self._key("people"), *[p.pid for p in world.people])
            await pipe.execute()

    async def person(self, pid: str) -> Person | None:
        raw = await self.redis.get(self._key("person", pid))
        return Person.model_validate_json(raw) if raw else None

    async def people(self) -> list[Person]:
        pids = sorted(str(p) for p in await self.redis.smembers(self._key("people")))
        raws = await self.redis.mget([self._key("person", p) for p in pids]) if pids else []
        return [Person.model_validate_json(r) for r in raws if r]

    async def organisation(self, org_no: str) -> Organisation | None:
        raw = await self.redis.get(self._key("org", org_no))
        return Organisation.model_validate_json(raw) if raw else None

    async def relation(self, pid: str, org_no: str) -> Relation | None:
        raw = await self.redis.get(self._key("relation", pid, org_no))
        if not raw:
            return None
        data: dict[str, Any] = json.loads(raw)
        return Relation(
            roles=frozenset(data.get("roles", ())),
            rights=frozenset(data.get("rights", ())),
            packages=frozenset(data.get("accessPackages", ())),
        )

    async def parties(self, pid: str) -> list[Party]:
        org_nos = sorted(str(o) for o in await self.redis.smembers(self._key("parties", pid)))
        parties = []
        for org_no in org_nos:
            org = await self.organisation(org_no)
            parties.append(Party(org_no, org.name if org else org_no))
        return parties

    async def access_managers(self, org_no: str) -> tuple[str, ...]:
        return tuple(sorted(str(p) for p in await self.redis.smembers(self._key("managers", org_no))))

    async def client_relationships(self, facilitator_org_no: str) -> list[ClientRelationship]:
        raw = await self.redis.hgetall(self._key("clients", facilitator_org_no))
        found = []
        for client, data in raw.items():
            parsed = json.loads(data)
            found.append(
                ClientRelationship(
                    str(client), parsed["relation"], frozenset(parsed.get("accessPackages", ()))
                )
            )
        return found

    async def org_name(self, org_no: str) -> str:
        org = await self.organisation(org_no)
        return org.name if org else org_no
