"""The broker's ACLs, derived from the topic ownership table in ``shared/topics.py``.

Each service principal (``User:<service>``) may:

- WRITE the topics whose events it owns, and the dead-letter topics of the topics it consumes
  (its consumers write those), plus ``sysaccess.notifications.dlq`` for the notifier;
- READ the topics it consumes, and the consumer groups whose id starts with its name
  (each service has one group over all its topics, ``consumer_group``, by default the
  principal's name; one-off single-topic consumers use ``<consumer_group>.<topic>``);
- DESCRIBE every ``sysaccess.`` topic, so that a service's ``ensure_topics`` sees that the
  topics exist (``admin`` created them) and creates none;
- IDEMPOTENT_WRITE on the cluster (the idempotent producer).

Nothing else: the broker's StandardAuthorizer denies what no ACL allows. ``admin`` is a super
user. aiokafka's admin client has no ``create_acls``, so the CreateAcls request is sent with
aiokafka's own protocol class.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest

from shared.kafka import KafkaCredentials
from shared.topics import SERVICES, readable_by, writable_by

TOPIC_PREFIX = "sysaccess."
CLUSTER = "kafka-cluster"


class ResourceType(enum.IntEnum):
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4


class PatternType(enum.IntEnum):
    ANY = 1
    LITERAL = 3
    PREFIXED = 4


class Operation(enum.IntEnum):
    ANY = 1
    READ = 3
    WRITE = 4
    DESCRIBE = 8
    IDEMPOTENT_WRITE = 12


ALLOW = 3
ANY_PERMISSION = 1


@dataclass(frozen=True, order=True)
class AclBinding:
    principal: str
    resource_type: ResourceType
    resource_name: str
    pattern_type: PatternType
    operation: Operation

    def request(self) -> CreateAclsRequest:
        return CreateAclsRequest(
            resource_type=int(self.resource_type),
            resource_name=self.resource_name,
            resource_pattern_type_filter=int(self.pattern_type),
            principal=self.principal,
            host="*",
            operation=int(self.operation),
            permission_type=ALLOW,
        )


def service_acls(service: str, group_prefix: str | None = None) -> list[AclBinding]:
    """Every ACL of one service's principal."""
    principal = f"User:{service}"
    bindings = [
        AclBinding(principal, ResourceType.TOPIC, name, PatternType.LITERAL, Operation.WRITE)
        for name in writable_by(service)
    ]
    bindings += [
        AclBinding(principal, ResourceType.TOPIC, name, PatternType.LITERAL, Operation.READ)
        for name in readable_by(service)
    ]
    bindings += [
        AclBinding(principal, ResourceType.TOPIC, TOPIC_PREFIX, PatternType.PREFIXED, Operation.DESCRIBE),
        AclBinding(
            principal, ResourceType.GROUP, group_prefix or service, PatternType.PREFIXED, Operation.READ
        ),
        AclBinding(principal, ResourceType.CLUSTER, CLUSTER, PatternType.LITERAL, Operation.IDEMPOTENT_WRITE),
    ]
    return bindings


def all_acls() -> list[AclBinding]:
    return [binding for service in SERVICES for binding in service_acls(service)]


class AclError(RuntimeError):
    pass


async def apply_acls(
    bootstrap: str, admin: KafkaCredentials, bindings: list[AclBinding], *, attempts: int = 30
) -> None:
    """Create the ACLs (creating an existing one is a no-op on the broker)."""
    for attempt in range(attempts):
        client = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=10000, **admin.client_options()
        )
        try:
            await client.start()
            for binding in bindings:
                response = await client._send_request(binding.request())
                for error_code, error_message in response.creation_responses:
                    if error_code != 0:
                        raise AclError(f"creating {binding} failed: {error_code} {error_message}")
            return
        except KafkaError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(min(0.2 * 2**attempt, 2.0))
        finally:
            await client.close()


async def describe_acls(bootstrap: str, admin: KafkaCredentials) -> list[tuple[str, int, str, int, int]]:
    """Every ACL on the broker as (principal, resource type, name, pattern type, operation)."""
    client = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, request_timeout_ms=10000, **admin.client_options()
    )
    try:
        await client.start()
        response = await client._send_request(
            DescribeAclsRequest(
                resource_type=int(ResourceType.ANY),
                resource_name=None,
                resource_pattern_type_filter=int(PatternType.ANY),
                principal=None,
                host=None,
                operation=int(Operation.ANY),
                permission_type=ANY_PERMISSION,
            )
        )
    finally:
        await client.close()
    if response.error_code != 0:
        raise AclError(f"describing ACLs failed: {response.error_code} {response.error_message}")
    found: list[tuple[str, int, str, int, int]] = []
    for resource_type, name, pattern_type, acls in response.resources:
        for principal, _host, operation, _permission in acls:
            found.append((principal, resource_type, name, pattern_type, operation))
    return found
