"""A secure broker (SASL/SCRAM-SHA-512, StandardAuthorizer) refuses what the topic ownership
table does not allow: nobody without a login, and no service on a topic it does not own; and a
service's runtime (broker, consumer group, dead letters, outbox relay on a secure Redis) works
with nothing but its own logins.

The broker and Redis are second ones, of this module only, on free ports: the session's stay
plain until the services log in."""

from __future__ import annotations

import asyncio
import json
import shutil
import stat
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from shared import topics
from shared.deadletter import RetryPolicy
from shared.kafka import KafkaCredentials, create_broker, create_producer, ensure_topics, subscriber_options
from shared.runtime import ServiceRuntime
from sysaccess import credentials, infra, kafka_acl
from sysaccess.profiles import TEST

DECIDE = topics.DECIDE_REQUEST.name


@pytest.fixture(scope="module")
def secure() -> Iterator[infra.InfraLayout]:
    layout = infra.InfraLayout(
        TEST.var / "secure-kafka",
        kafka_port=infra.free_port(),
        kafka_controller_port=infra.free_port(),
        redis_port=infra.free_port(),
        oidc_port=infra.free_port(),
        secure=True,
    )
    infra.stop_kafka(layout, force=True)
    infra.stop_redis(layout, force=True)
    shutil.rmtree(layout.data_dir, ignore_errors=True)
    infra.start_redis(layout)
    infra.start_kafka(layout)
    try:
        yield layout
    finally:
        infra.stop_kafka(layout)
        infra.stop_redis(layout)


def login(layout: infra.InfraLayout, service: str) -> KafkaCredentials:
    return infra.service_kafka_credentials(layout, service)


async def _produce(bootstrap: str, topic: str, who: KafkaCredentials | None) -> None:
    producer = (
        create_producer(bootstrap, "acl-test", credentials=who)
        if who is not None
        else AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    )
    try:
        await asyncio.wait_for(producer.start(), 30)
        await asyncio.wait_for(producer.send_and_wait(topic, b"{}", key=b"k"), 30)
    finally:
        await producer.stop()


@pytest.fixture
def bootstrap(secure: infra.InfraLayout) -> str:
    return secure.kafka_bootstrap


def test_secrets_are_private_and_random(secure: infra.InfraLayout) -> None:
    assert stat.S_IMODE(secure.secrets_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((secure.kafka_dir / "server.properties").stat().st_mode) == 0o600
    passwords = [secure.credentials(name).kafka_password for name in credentials.PRINCIPALS]
    assert len(set(passwords)) == len(passwords)
    assert all(len(p) >= 40 for p in passwords)


async def test_a_client_without_credentials_cannot_produce(bootstrap: str) -> None:
    with pytest.raises(KafkaConnectionError):
        await _produce(bootstrap, DECIDE, None)


async def test_a_wrong_password_cannot_produce(bootstrap: str) -> None:
    with pytest.raises(KafkaError):
        await _produce(bootstrap, DECIDE, KafkaCredentials(topics.APPROVAL, "not-the-password" * 3))


async def test_intake_cannot_write_decisions(secure: infra.InfraLayout, bootstrap: str) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(bootstrap, DECIDE, login(secure, topics.REQUEST_INTAKE))


@pytest.mark.parametrize("service", [topics.REQUEST_INTAKE, topics.NOTIFIER])
async def test_only_approval_may_write_outcomes(
    secure: infra.InfraLayout, bootstrap: str, service: str
) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(bootstrap, topics.ACCESS_CREATED.name, login(secure, service))


async def test_approval_writes_and_reads_decisions(secure: infra.InfraLayout, bootstrap: str) -> None:
    approval = login(secure, topics.APPROVAL)
    marker = uuid.uuid4().hex.encode()
    producer = create_producer(bootstrap, "acl-test", credentials=approval)
    await producer.start()
    try:
        sent = await producer.send_and_wait(DECIDE, marker, key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        DECIDE,
        bootstrap_servers=bootstrap,
        group_id=f"{topics.APPROVAL}.acl-test-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        **approval.client_options(),
    )
    await consumer.start()
    try:
        seen: list[bytes] = []
        for _ in range(30):
            batch = await consumer.getmany(timeout_ms=1000)
            seen += [m.value for msgs in batch.values() for m in msgs if m.value is not None]
            if marker in seen:
                break
        assert marker in seen
        await consumer.commit()  # the group is the service's own: committing is allowed
    finally:
        await consumer.stop()
    assert sent.topic == DECIDE


async def _consume_one(bootstrap: str, topic: str, group: str, who: KafkaCredentials) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **who.client_options(),
    )
    try:
        await asyncio.wait_for(consumer.start(), 30)
        await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()


async def test_a_service_cannot_use_another_services_group(secure: infra.InfraLayout, bootstrap: str) -> None:
    with pytest.raises(GroupAuthorizationFailedError):
        await _consume_one(
            bootstrap, DECIDE, f"{topics.REQUEST_INTAKE}.{DECIDE}", login(secure, topics.APPROVAL)
        )


async def test_intake_cannot_read_decisions(secure: infra.InfraLayout, bootstrap: str) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await _consume_one(
            bootstrap, DECIDE, f"{topics.REQUEST_INTAKE}.{DECIDE}", login(secure, topics.REQUEST_INTAKE)
        )


async def test_notifier_writes_its_dead_letters(secure: infra.InfraLayout, bootstrap: str) -> None:
    notifier = login(secure, topics.NOTIFIER)
    await _produce(bootstrap, topics.NOTIFICATIONS_DEAD_LETTER, notifier)
    await _produce(bootstrap, topics.ACCESS_CREATED.dead_letter, notifier)
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(bootstrap, topics.DECIDE_REQUEST.dead_letter, notifier)


@pytest.mark.parametrize("service", topics.SERVICES)
async def test_services_see_the_topics_admin_created(
    secure: infra.InfraLayout, bootstrap: str, service: str
) -> None:
    await ensure_topics(bootstrap, credentials=login(secure, service), attempts=1)


async def test_faststream_broker_logs_in(secure: infra.InfraLayout, bootstrap: str) -> None:
    broker = create_broker(bootstrap, "acl-test", credentials=login(secure, topics.APPROVAL))
    await broker.start()
    try:
        await broker.publish(b"{}", topic=DECIDE, key=b"k")
    finally:
        await broker.stop()
    intake = create_broker(bootstrap, "acl-test", credentials=login(secure, topics.REQUEST_INTAKE))
    await intake.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await intake.publish(b"{}", topic=DECIDE, key=b"k")
    finally:
        await intake.stop()


async def test_the_broker_holds_exactly_the_derived_acls(secure: infra.InfraLayout, bootstrap: str) -> None:
    found = await kafka_acl.describe_acls(bootstrap, infra.admin_kafka_credentials(secure))
    expected = {
        (b.principal, int(b.resource_type), b.resource_name, int(b.pattern_type), int(b.operation))
        for b in kafka_acl.all_acls()
    }
    assert set(found) == expected


async def _wait_for_marker(bootstrap: str, topic: str, marker: str, who: KafkaCredentials) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        **who.client_options(),
    )
    await consumer.start()
    try:
        for _ in range(60):
            batch = await consumer.getmany(timeout_ms=1000)
            if any(marker.encode() in (m.value or b"") for msgs in batch.values() for m in msgs):
                return
        raise AssertionError(f"{marker} never reached {topic}")
    finally:
        await consumer.stop()


async def test_a_service_runtime_works_with_only_its_own_logins(
    secure: infra.InfraLayout, bootstrap: str
) -> None:
    own = secure.credentials(topics.APPROVAL)
    prefix = f"{topics.APPROVAL}-acltest{uuid.uuid4().hex[:6]}"
    runtime = ServiceRuntime.build(
        topics.APPROVAL,
        bootstrap,
        f"redis://127.0.0.1:{secure.redis_port}/0",
        outbox_stream=f"{prefix}:outbox",
        retry=RetryPolicy(attempts=2, first_delay=0.05),
        kafka_credentials=infra.service_kafka_credentials(secure, topics.APPROVAL),
        redis_username=own.redis_username,
        redis_password=own.redis_password,
    )
    handled: list[dict[str, Any]] = []

    async def on_decide(body: dict[str, Any]) -> None:
        handled.append(body)
        raise RuntimeError("fails every time, so the command is dead-lettered")

    runtime.broker.subscriber(DECIDE, **subscriber_options(prefix, topics.DECIDE_REQUEST))(on_decide)

    marker = uuid.uuid4().hex
    async with runtime.running():
        await runtime.redis.xadd(
            f"{prefix}:outbox",
            {
                "topic": topics.ACCESS_CREATED.name,
                "key": "k",
                "headers": "{}",
                "body": json.dumps({"m": marker}),
            },
        )
        await runtime.broker.publish({"m": marker}, topic=DECIDE, key=b"k")
        admin = infra.admin_kafka_credentials(secure)
        await _wait_for_marker(bootstrap, topics.ACCESS_CREATED.name, marker, admin)
        await _wait_for_marker(bootstrap, topics.DECIDE_REQUEST.dead_letter, marker, admin)
    assert {"m": marker} in handled
