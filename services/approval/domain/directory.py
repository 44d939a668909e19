"""What the directory tells approval: parties a person can act for, and notifications."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

__all__ = ["Notification", "Party"]


@dataclass(frozen=True)
class Party:
    org_no: str
    name: str


class Notification(BaseModel):
    """One entry of a person's notifications, as the notifier keeps them."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    title: str
    link: str
    read: bool = False
