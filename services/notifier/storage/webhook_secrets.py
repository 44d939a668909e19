"""The systems' sealed webhook signing secrets in Redis: one JSON string per system.

The notifier's own keys (``{prefix}:webhook-secrets:{system_id}``), written from the
register's ``WebhookSecretsChanged`` events; the values stay sealed here and are opened
only in memory, when a delivery is signed.
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from shared import events as ev
from shared.idempotency import begin

from ..domain.signing import supersedes
from .keys import NotifierKeys

__all__ = ["RedisWebhookSecrets"]


class RedisWebhookSecrets:
    """Implements ``WebhookSecretStore``: an older generation never overwrites a newer one."""

    def __init__(self, redis: Redis, keys: NotifierKeys) -> None:
        self._redis = redis
        self._keys = keys

    async def save(self, event: ev.WebhookSecretsChanged) -> bool:
        key = self._keys.webhook_secrets(event.system_id)
        saved = False

        async def transaction(pipe: Pipeline) -> None:
            nonlocal saved
            raw = await pipe.get(key)
            stored = ev.WebhookSecretsChanged.model_validate_json(raw).generation if raw else None
            saved = supersedes(event, stored)
            if saved:
                begin(pipe)
                pipe.set(key, event.model_dump_json(by_alias=True))

        await self._redis.transaction(transaction, key)
        return saved

    async def sealed(self, system_id: str) -> tuple[ev.SealedWebhookSecret, ...]:
        raw = await self._redis.get(self._keys.webhook_secrets(system_id))
        return ev.WebhookSecretsChanged.model_validate_json(raw).secrets if raw else ()

    async def remove(self, system_id: str) -> None:
        await self._redis.delete(self._keys.webhook_secrets(system_id))
