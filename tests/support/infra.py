"""The one fixture interface to Kafka, Redis and the OpenID Connect provider: testcontainers
where a Docker engine exists, otherwise the project's own local processes (real Apache Kafka,
redis-server and mock-oauth2-server). The provider always runs as a local process.

With Docker, Kafka is the Apache image (``apache/kafka``) in testcontainers' generic container,
configured for KRaft by ``kafka_container_spec`` (unit-tested where Docker is absent), and Redis
its own container. Neither logs anyone in: the services connect without credentials there, as
in a local setup. ``SYSACCESS_TESTCONTAINERS=off`` keeps the local processes even with Docker."""

from __future__ import annotations

import base64
import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, Self, TypeVar

from sysaccess import credentials, infra
from sysaccess.profiles import TEST


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap: str
    redis_url: str
    # Base URL of the OpenID Connect provider; the issuers are <oidc_url>/idporten and
    # <oidc_url>/maskinporten (see sysaccess.oidc).
    oidc_url: str = ""
    # Redis without a login, for services, which log in as themselves (``service_env``).
    service_redis_url: str = ""
    # Each service's Kafka and Redis login (INTAKE_KAFKA_USERNAME, ...), when the broker wants one.
    service_env: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def services_redis(self) -> str:
        return self.service_redis_url or self.redis_url

    def service_settings(self, service: str) -> dict[str, str]:
        """A service's login as settings values (kafka_username, ...), for a service built in-process."""
        prefix = {"request-intake": "INTAKE_", "approval": "APPROVAL_", "notifier": "NOTIFIER_"}[service]
        return {
            k.removeprefix(prefix).lower(): v for k, v in self.service_env.items() if k.startswith(prefix)
        }


def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


# The images of the container path, the same as docker-compose.yml runs.
KAFKA_IMAGE = "apache/kafka:4.1.1"
REDIS_IMAGE = "redis:7.4.2-alpine"
KAFKA_PORT = 9092  # the broker's listener inside the container, published on the host
KAFKA_CONTROLLER_PORT = 9093  # KRaft's controller listener; stays inside the container
KAFKA_READY_LOG = r"Kafka Server started"


@dataclass(frozen=True)
class ContainerSpec:
    """What a container is started with: image, environment, published ports, command, and the
    log line that says it is ready."""

    image: str
    env: dict[str, str]
    ports: dict[int, int]
    """container port -> host port"""
    ready_log: str
    command: list[str] | None = None


def kafka_container_spec(host_port: int, advertised_host: str, cluster_id: str) -> ContainerSpec:
    """A single-node KRaft broker (broker and controller in one process) from the Apache image.

    Its start script writes each ``KAFKA_*`` variable as a server property; Confluent's images
    (and testcontainers' KafkaContainer, which expects them) use other scripts and variables.
    The broker advertises ``advertised_host:host_port``, where the host reaches the published
    listener; topics are created by the services, as on the project's own brokers."""
    return ContainerSpec(
        image=KAFKA_IMAGE,
        env={
            "CLUSTER_ID": cluster_id,
            "KAFKA_NODE_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": f"PLAINTEXT://0.0.0.0:{KAFKA_PORT},CONTROLLER://0.0.0.0:{KAFKA_CONTROLLER_PORT}",
            "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{advertised_host}:{host_port}",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": f"1@localhost:{KAFKA_CONTROLLER_PORT}",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
            "KAFKA_NUM_PARTITIONS": "3",
        },
        ports={KAFKA_PORT: host_port},
        ready_log=KAFKA_READY_LOG,
    )


def new_cluster_id() -> str:
    """A KRaft cluster id: a base64url UUID without padding, never starting with "-"."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class ContainerBuilder(Protocol):
    """The part of testcontainers' DockerContainer that ``configured`` uses."""

    def with_env(self, key: str, value: str) -> Self: ...

    def with_bind_ports(self, container: int, host: int | None = None) -> Self: ...

    def with_command(self, command: str | list[str]) -> Self: ...

    def waiting_for(self, strategy: Any) -> Self: ...


B = TypeVar("B", bound=ContainerBuilder)


def configured(container: B, spec: ContainerSpec, ready: Callable[[str], Any]) -> B:
    """``container`` with the spec's environment, published ports, command and readiness check
    (``ready(log_pattern)`` makes the wait strategy)."""
    for key, value in spec.env.items():
        container = container.with_env(key, value)
    for inside, outside in spec.ports.items():
        container = container.with_bind_ports(inside, outside)
    if spec.command is not None:
        container = container.with_command(spec.command)
    return container.waiting_for(ready(spec.ready_log))


@contextmanager
def _containers() -> Iterator[Endpoints]:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy
    from testcontainers.redis import RedisContainer

    kafka = DockerContainer(KAFKA_IMAGE)
    # The broker must advertise the address the host reaches it on, known before it starts: a
    # free port here, published as that same port, on the Docker host's address.
    host = kafka.get_docker_client().host()
    host_port = infra.free_port()
    spec = kafka_container_spec(host_port, host, new_cluster_id())
    with (
        configured(kafka, spec, lambda pattern: LogMessageWaitStrategy(pattern)) as kafka_running,
        RedisContainer(REDIS_IMAGE) as redis,
    ):
        kafka_bootstrap = f"{kafka_running.get_container_host_ip()}:{host_port}"
        redis_host = redis.get_container_host_ip()
        redis_port = redis.get_exposed_port(6379)
        with _oidc_process() as oidc_url:
            yield Endpoints(kafka_bootstrap, f"redis://{redis_host}:{redis_port}/0", oidc_url)


@contextmanager
def _oidc_process() -> Iterator[str]:
    layout = test_layout()
    infra.stop_oidc(layout)
    infra.start_oidc(layout)
    try:
        yield layout.oidc_url
    finally:
        infra.stop_oidc(layout)


def test_layout() -> infra.InfraLayout:
    """The test profile's folders, on ports nothing else on this machine holds right now."""
    return dataclasses.replace(
        TEST.infra,
        kafka_port=infra.free_port(),
        kafka_controller_port=infra.free_port(),
        redis_port=infra.free_port(),
        oidc_port=infra.free_port(),
    )


@contextmanager
def _local_processes() -> Iterator[Endpoints]:
    layout = test_layout()
    infra.stop_all(layout)
    shutil.rmtree(layout.data_dir / "kafka", ignore_errors=True)
    shutil.rmtree(layout.data_dir / "redis", ignore_errors=True)
    infra.start_all(layout)
    try:
        yield Endpoints(
            layout.kafka_bootstrap,
            layout.redis_url_as("admin") if layout.secure else layout.redis_url,
            layout.oidc_url,
            service_redis_url=layout.redis_url,
            service_env=credentials.service_env(layout.data_dir) if layout.secure else {},
        )
    finally:
        infra.stop_all(layout)


@contextmanager
def infrastructure() -> Iterator[Endpoints]:
    """Kafka, Redis and the OpenID Connect provider for one test session, stopped afterwards."""
    if os.environ.get("SYSACCESS_KAFKA_BOOTSTRAP") and os.environ.get("SYSACCESS_REDIS_URL"):
        kafka, redis = os.environ["SYSACCESS_KAFKA_BOOTSTRAP"], os.environ["SYSACCESS_REDIS_URL"]
        if os.environ.get("SYSACCESS_OIDC_URL"):
            yield Endpoints(kafka, redis, os.environ["SYSACCESS_OIDC_URL"])
        else:
            with _oidc_process() as oidc_url:
                yield Endpoints(kafka, redis, oidc_url)
    elif os.environ.get("SYSACCESS_TESTCONTAINERS", "auto") != "off" and docker_available():
        with _containers() as endpoints:
            yield endpoints
    else:
        with _local_processes() as endpoints:
            yield endpoints
