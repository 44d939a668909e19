"""The secrets a webhook is signed with: the system's sealed secrets that are valid now, opened."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from shared.webhooks import sealing_context

from ..domain.deliveries import DeliveryFailed
from ..domain.signing import signing_now
from .ports import SecretOpener, WebhookSecretStore

__all__ = ["WebhookSigningSecrets"]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WebhookSigningSecrets:
    """Opens a system's signing secrets at send time; they are never stored in the clear."""

    def __init__(
        self, store: WebhookSecretStore, opener: SecretOpener, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._store = store
        self._opener = opener
        self._clock = clock

    async def for_system(self, system_id: str) -> list[str]:
        """The current secret first, then those rotated out but still in their grace period.

        Raises ``DeliveryFailed`` when there is none yet (the register's event has not arrived)
        or one does not open (a sealing key is missing here): the attempt is retried.
        """
        sealed = signing_now(await self._store.sealed(system_id), self._clock())
        if not sealed:
            raise DeliveryFailed(f"no signing secret known for system {system_id}")
        try:
            return [self._opener.open(value, sealing_context(system_id)) for value in sealed]
        except ValueError as exc:
            raise DeliveryFailed(f"a signing secret of {system_id} does not open: {exc}") from exc
