"""The one fixture interface to Kafka, Redis and the OpenID Connect provider: testcontainers
where a Docker engine exists, otherwise the project's own local processes (real Apache Kafka,
redis-server and mock-oauth2-server). The provider always runs as a local process."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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


@contextmanager
def _containers() -> Iterator[Endpoints]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.redis import RedisContainer

    with (
        KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka,
        RedisContainer("redis:7") as redis,
    ):
        host = redis.get_container_host_ip()
        port = redis.get_exposed_port(6379)
        with _oidc_process() as oidc_url:
            yield Endpoints(kafka.get_bootstrap_server(), f"redis://{host}:{port}/0", oidc_url)


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
