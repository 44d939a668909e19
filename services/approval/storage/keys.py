"""approval's Redis key layout, in one place (every key starts with the service's prefix)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ApprovalKeys"]


@dataclass(frozen=True)
class ApprovalKeys:
    prefix: str

    @property
    def outbox(self) -> str:
        return f"{self.prefix}:outbox"

    @property
    def expiry_index(self) -> str:
        return f"{self.prefix}:expiry"

    @property
    def reminder_index(self) -> str:
        return f"{self.prefix}:reminders"

    def request(self, request_id: str) -> str:
        return f"{self.prefix}:request:{request_id}"

    def system(self, system_id: str) -> str:
        return f"{self.prefix}:system:{system_id}"

    def access(self, access_id: str) -> str:
        return f"{self.prefix}:access:{access_id}"

    def party_accesses(self, org_no: str) -> str:
        return f"{self.prefix}:accesses:{org_no}"

    def pending(self, org_no: str) -> str:
        return f"{self.prefix}:pending:{org_no}"

    def history(self, access_id: str) -> str:
        """The history of a system access (equal to its request's id), oldest first."""
        return f"{self.prefix}:history:{access_id}"

    def clients(self, access_id: str) -> str:
        return f"{self.prefix}:clients:{access_id}"

    def request_trace(self, request_id: str) -> str:
        """The trace context the request arrived in; its decision continues that trace."""
        return f"{self.prefix}:request-trace:{request_id}"

    def decision_result(self, command_id: str) -> str:
        return f"{self.prefix}:decision:{command_id}"

    def decision_done(self, command_id: str) -> str:
        return f"{self.prefix}:decision-done:{command_id}"

    def change_request(self, change_request_id: str) -> str:
        return f"{self.prefix}:changerequest:{change_request_id}"

    def access_change_requests(self, access_id: str) -> str:
        """The ids of the change requests made for a system access (denied when it is deleted)."""
        return f"{self.prefix}:access-changerequests:{access_id}"

    @property
    def change_expiry_index(self) -> str:
        """Pending change requests by when they expire."""
        return f"{self.prefix}:change-expiry"
