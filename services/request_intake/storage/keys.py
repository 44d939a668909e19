"""Intake's Redis keys, in one place."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from shared.events import RequestType

from ..domain.requests import NaturalKey

__all__ = ["IntakeKeys", "natural_key_hash"]


def natural_key_hash(key: NaturalKey) -> str:
    """A fixed-length key part for (system, party, external ref), whatever characters they hold."""
    raw = json.dumps([key.system_id, key.party_org_no, key.external_ref], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IntakeKeys:
    """Names of intake's keys under ``prefix``."""

    prefix: str

    @property
    def outbox(self) -> str:
        """The stream the outbox relay publishes to Kafka."""
        return f"{self.prefix}:outbox"

    def system(self, system_id: str) -> str:
        return f"{self.prefix}:system:{system_id}"

    def vendor_systems(self, org_no: str) -> str:
        """Set of a vendor's system ids."""
        return f"{self.prefix}:systems:vendor:{org_no}"

    def client_id_owner(self, client_id_key: str) -> str:
        """The id of the live system that lists a client id (``domain.system_changes.client_id_key``)."""
        return f"{self.prefix}:clientid:{client_id_key}"

    def changelog(self, system_id: str) -> str:
        """List of a system's change-log entries (JSON), oldest first."""
        return f"{self.prefix}:changelog:{system_id}"

    def request(self, request_id: str) -> str:
        return f"{self.prefix}:request:{request_id}"

    def latest_request(self, key: NaturalKey, request_type: RequestType) -> str:
        """The id of the latest request of a type opened under a natural key (deleted when it is
        withdrawn). Standard and agent requests are keyed apart, as Altinn filters on the type.

        Standard requests keep the name every pending request had before the keys were typed,
        so the standard requests already stored are found without a migration; requests
        opened then as agent requests are found through ``untyped_latest_request``.
        """
        if request_type is RequestType.STANDARD:
            return self.untyped_latest_request(key)
        return f"{self.prefix}:reqkey:{request_type.value}:{natural_key_hash(key)}"

    def untyped_latest_request(self, key: NaturalKey) -> str:
        """The key of the latest request of either type, as it was written before the keys
        were typed (now the standard requests' key)."""
        return f"{self.prefix}:reqkey:{natural_key_hash(key)}"

    def by_system(self, request_type: RequestType, system_id: str) -> str:
        """Sorted set of ``<created ms, 13 digits>:<request id>``, all scores 0: lexical = creation order."""
        return f"{self.prefix}:bysystem:{request_type.value}:{system_id}"

    def access(self, access_id: str) -> str:
        return f"{self.prefix}:access:{access_id}"

    def live_access(self, key: NaturalKey) -> str:
        """The id of the live access under a natural key (deleted when the access is)."""
        return f"{self.prefix}:accesskey:{natural_key_hash(key)}"

    def accesses_by_system(self, system_id: str) -> str:
        """Sorted set of ``<created ms, 13 digits>:<access id>`` of a system's live accesses,
        all scores 0: lexical = creation order."""
        return f"{self.prefix}:accesses:bysystem:{system_id}"

    def clients(self, access_id: str) -> str:
        """Set of the client organisation numbers of an agent access."""
        return f"{self.prefix}:clients:{access_id}"

    def change_request(self, change_request_id: str) -> str:
        return f"{self.prefix}:changerequest:{change_request_id}"

    def access_change_requests(self, access_id: str) -> str:
        """Set of the ids of the change requests made for an access (denied when it is deleted)."""
        return f"{self.prefix}:changesofaccess:{access_id}"

    def latest_change_request(self, key: NaturalKey) -> str:
        """The id of the latest change request of the access under a natural key."""
        return f"{self.prefix}:changekey:{natural_key_hash(key)}"

    def changes_by_system(self, system_id: str) -> str:
        """Sorted set of ``<created ms, 13 digits>:<change request id>``, all scores 0 (lexical order)."""
        return f"{self.prefix}:changebysystem:{system_id}"
