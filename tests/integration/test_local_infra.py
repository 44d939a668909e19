"""The project's own Kafka keeps its data across a broker restart; starting twice is harmless."""

from __future__ import annotations

import shutil
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from sysaccess import infra
from sysaccess.profiles import TEST

LAYOUT = infra.InfraLayout(
    TEST.var / "restart",
    kafka_port=infra.free_port(),
    kafka_controller_port=infra.free_port(),
    redis_port=infra.free_port(),
)


async def _produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def _consume_all(bootstrap: str, topic: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5000)
        return [m.value for msgs in batch.values() for m in msgs]
    finally:
        await consumer.stop()


async def test_messages_survive_a_broker_restart() -> None:
    from shared.events import RequestWithdrawn
    from shared.kafka import ensure_topics
    from shared.topics import Topic

    shutil.rmtree(LAYOUT.data_dir, ignore_errors=True)
    try:
        infra.start_kafka(LAYOUT)
        first_pid = infra.start_kafka(LAYOUT)  # a second start reuses the running broker
        topic = Topic(f"restart-{uuid.uuid4().hex[:6]}", RequestWithdrawn, "request_id", partitions=1)
        await ensure_topics(LAYOUT.kafka_bootstrap, [topic])
        await _produce(LAYOUT.kafka_bootstrap, topic.name, b"kept")
        infra.stop_kafka(LAYOUT)
        assert not infra.port_open(LAYOUT.kafka_port)
        second_pid = infra.start_kafka(LAYOUT)
        assert second_pid != first_pid
        assert await _consume_all(LAYOUT.kafka_bootstrap, topic.name) == [b"kept"]
    finally:
        infra.stop_all(LAYOUT)
        shutil.rmtree(LAYOUT.data_dir, ignore_errors=True)
