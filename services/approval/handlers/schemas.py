"""The BFF's JSON bodies, in Altinn's camelCase shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from ..domain.authorization import Capability
from ..services.client_admin import ClientView
from ..services.portal import RequestPageModel

__all__ = [
    "AddedClients",
    "ClientLists",
    "Customers",
    "DecisionTaken",
    "Deleted",
    "Me",
    "NamedClient",
    "RemovedClients",
    "RequestView",
]


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class PartyRef(Body):
    org_no: str
    name: str


class Me(Body):
    pid: str
    name: str
    parties: list[PartyRef]
    csrf_token: str


class Vendor(Body):
    org_no: str
    name: str


class RightRef(Body):
    resource: str
    name: str


class PackageRef(Body):
    urn: str
    name: str


class RequestView(Body):
    id: str
    system_user_type: str
    status: str
    party_org_no: str
    party_name: str
    vendor: Vendor
    system_id: str
    system_name: str
    integration_title: str
    rights: list[RightRef]
    access_packages: list[PackageRef]
    escalated: bool
    created: str
    user_may_approve: bool
    user_may_escalate_but_not_approve: bool
    missing_rights: list[str]
    missing_access_packages: list[str]
    language: str

    @classmethod
    def of(cls, model: RequestPageModel, lang: str) -> RequestView:
        return cls(
            id=model.id,
            system_user_type=model.request_type.value,
            status=model.status.value,
            party_org_no=model.party_org_no,
            party_name=model.party_name,
            vendor=Vendor(org_no=model.vendor_org_no, name=model.vendor_name),
            system_id=model.system_id,
            system_name=model.system_name,
            integration_title=model.integration_title,
            rights=[RightRef(resource=r.id, name=r.name) for r in model.rights],
            access_packages=[PackageRef(urn=p.id, name=p.name) for p in model.packages],
            escalated=model.escalated,
            created=model.created.isoformat(),
            user_may_approve=model.may_decide,
            user_may_escalate_but_not_approve=model.verdict.capability is Capability.ESCALATE,
            missing_rights=list(model.verdict.missing_rights),
            missing_access_packages=list(model.verdict.missing_packages),
            language=lang,
        )


class DecisionTaken(Body):
    id: str
    outcome: str


class NamedClient(Body):
    org_no: str
    name: str


class AddableClient(NamedClient):
    relation: str


class LackingClient(NamedClient):
    missing_packages: list[str]


class Customers(Body):
    addable: list[AddableClient]
    not_addable: list[LackingClient]


class ClientLists(Customers):
    """Everything the client page shows: who can be added, who cannot and why, who is there."""

    current: list[NamedClient]

    @classmethod
    def of(cls, view: ClientView, names: dict[str, str]) -> ClientLists:
        return cls(
            addable=[
                AddableClient(org_no=c.org_no, name=names[c.org_no], relation=c.relation)
                for c in view.candidates
                if c.addable and c.org_no not in view.current
            ],
            not_addable=[
                LackingClient(
                    org_no=c.org_no, name=names[c.org_no], missing_packages=list(c.missing_packages)
                )
                for c in view.candidates
                if not c.addable
            ],
            current=[NamedClient(org_no=o, name=names[o]) for o in view.current],
        )


class AddedClients(Body):
    added: list[str]


class RemovedClients(Body):
    removed: list[str]


class Deleted(Body):
    deleted: bool
