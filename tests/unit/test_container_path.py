"""The container path of the test fixtures, checked where no Docker engine answers: the Apache
Kafka image gets a KRaft single-node configuration that advertises the published port, and the
generic container is built from it (env, ports, command, readiness) as it would be with Docker."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any, Self

import pytest

from tests.support.infra import (
    KAFKA_IMAGE,
    KAFKA_PORT,
    REDIS_IMAGE,
    ContainerSpec,
    configured,
    kafka_container_spec,
    new_cluster_id,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


class RecordingContainer:
    """Records what testcontainers' DockerContainer would be configured with."""

    def __init__(self) -> None:
        self.env: dict[str, str] = {}
        self.ports: dict[int, int | None] = {}
        self.command: str | list[str] | None = None
        self.strategy: Any = None

    def with_env(self, key: str, value: str) -> Self:
        self.env[key] = value
        return self

    def with_bind_ports(self, container: int, host: int | None = None) -> Self:
        self.ports[container] = host
        return self

    def with_command(self, command: str | list[str]) -> Self:
        self.command = command
        return self

    def waiting_for(self, strategy: Any) -> Self:
        self.strategy = strategy
        return self


def test_kafka_runs_kraft_as_broker_and_controller_and_advertises_the_published_port() -> None:
    spec = kafka_container_spec(45123, "localhost", "MkU3OEVBNTcwNTJENDM2Qk")
    env = spec.env
    assert spec.image == KAFKA_IMAGE == "apache/kafka:4.1.1"
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_NODE_ID"] == "1"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@localhost:9093"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert env["KAFKA_LISTENERS"] == "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093"
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://localhost:45123"
    protocols = dict(pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert protocols == {"CONTROLLER": "PLAINTEXT", "PLAINTEXT": "PLAINTEXT"}
    # One broker: internal topics cannot have more replicas than that.
    for key in ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"):
        assert env[key] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "1"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # the services create their topics
    assert env["CLUSTER_ID"] == "MkU3OEVBNTcwNTJENDM2Qk"
    # Only the broker's listener is published, on the port it advertises; the controller stays inside.
    assert spec.ports == {KAFKA_PORT: 45123}
    assert spec.command is None  # the image's own start script formats the storage and starts KRaft
    assert re.search(
        spec.ready_log, "[KafkaRaftServer nodeId=1] Kafka Server started (kafka.server.KafkaRaftServer)"
    )


def test_no_confluent_variables_or_images() -> None:
    spec = kafka_container_spec(1, "h", new_cluster_id())
    assert not any(key.startswith(("CONFLUENT_", "KAFKA_ZOOKEEPER")) for key in spec.env)
    assert "confluentinc" not in spec.image


def test_cluster_ids_are_kraft_ids() -> None:
    for _ in range(200):
        cluster_id = new_cluster_id()
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_the_generic_container_gets_the_spec() -> None:
    spec = ContainerSpec(
        image="x:1", env={"A": "1", "B": "2"}, ports={9092: 40000}, ready_log="up", command=["run", "--fast"]
    )
    container = configured(RecordingContainer(), spec, lambda pattern: ("log", pattern))
    assert container.env == {"A": "1", "B": "2"}
    assert container.ports == {9092: 40000}
    assert container.command == ["run", "--fast"]
    assert container.strategy == ("log", "up")
    kafka = configured(RecordingContainer(), kafka_container_spec(40001, "localhost", "c"), lambda p: p)
    assert kafka.command is None
    assert kafka.ports == {9092: 40001}
    assert kafka.env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://localhost:40001"


def test_the_container_images_are_the_ones_compose_runs() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    assert f"image: {REDIS_IMAGE}" in compose
    assert f"image: {KAFKA_IMAGE}" in compose


def test_the_fixture_no_longer_uses_the_confluent_only_kafka_container() -> None:
    source = (ROOT / "tests" / "support" / "infra.py").read_text()
    assert "KafkaContainer(" not in source
    assert "with_kraft" not in source
