"""The vendor API's JSON shapes, as Altinn names them (camelCase)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
UrlText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2048)]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class VendorRef(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    authority: Text = "iso6523-actorid-upis"
    ID: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]


class ResourceAttribute(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: ShortText
    value: ShortText


class Right(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource: Annotated[list[ResourceAttribute], Field(min_length=1, max_length=10)]
    action: Text | None = None


class AccessPackageRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urn: ShortText


LangText = dict[
    Annotated[str, StringConstraints(max_length=8)],
    Annotated[str, StringConstraints(max_length=1000)],
]


class SystemBody(ApiModel):
    id: ShortText
    vendor: VendorRef
    name: Annotated[LangText, Field(max_length=3)]
    description: Annotated[LangText, Field(max_length=3)] = Field(default_factory=dict)
    rights: Annotated[list[Right], Field(max_length=100)] = Field(default_factory=list)
    access_packages: Annotated[list[AccessPackageRef], Field(max_length=100)] = Field(default_factory=list)
    client_id: Annotated[list[ShortText], Field(max_length=20)] = Field(default_factory=list)
    is_visible: bool = False
    allowed_redirect_urls: Annotated[list[UrlText], Field(max_length=20)] = Field(default_factory=list)
    webhook_url: UrlText | None = Field(
        default=None, description="Extension: where outcome events are delivered, signed"
    )


class SystemView(SystemBody):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    is_deleted: bool = False
    created: datetime
    updated: datetime
    webhook_secret: str | None = Field(
        default=None, description="Signing secret of the webhook; returned once, when the URL is first set"
    )


class StandardRequestBody(ApiModel):
    system_id: ShortText
    party_org_no: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
    external_ref: Text | None = None
    integration_title: Text | None = None
    rights: Annotated[list[Right], Field(max_length=100)] | None = None
    access_packages: Annotated[list[AccessPackageRef], Field(max_length=100)] | None = None
    redirect_url: UrlText | None = None


class AgentRequestBody(ApiModel):
    system_id: ShortText
    party_org_no: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
    external_ref: Text | None = None
    integration_title: Text | None = None
    access_packages: Annotated[list[AccessPackageRef], Field(max_length=100)] | None = None
    redirect_url: UrlText | None = None


RequestStatus = Literal["New", "Accepted", "Rejected", "Denied", "Timedout"]


class RequestView(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    id: str
    external_ref: str
    system_id: str
    party_org_no: str
    integration_title: str
    rights: list[Right] = Field(default_factory=list)
    access_packages: list[AccessPackageRef] = Field(default_factory=list)
    status: RequestStatus
    redirect_url: str | None = None
    confirm_url: str
    escalated: bool = False
    created: datetime
    timed_out: bool = False


class RequestPage(BaseModel):
    links: dict[str, str | None]
    data: list[RequestView]


class SystemAccessView(ApiModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    id: str
    integration_title: str
    system_id: str
    reportee_org_no: str
    created: datetime
    is_deleted: bool = False
    supplier_name: str
    supplier_orgno: str
    external_ref: str
    user_type: Literal["standard", "agent"]
    access_packages: list[AccessPackageRef] = Field(default_factory=list)
    rights: list[Right] = Field(default_factory=list)
