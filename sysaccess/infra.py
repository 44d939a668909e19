"""Local infrastructure: a real Apache Kafka broker (KRaft), a Redis server and an OpenID Connect
provider (NAV's mock-oauth2-server, standing in for ID-porten and Maskinporten) as processes.

Everything here is loopback-only and keeps its data under a folder of the project's own,
so a test run and a development run can live side by side on different ports.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.kafka import KafkaCredentials, ensure_topics
from sysaccess import credentials as local_credentials
from sysaccess import kafka_acl, kafka_logins, oidc, redis_acl

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KAFKA_RUNTIME_POM = PROJECT_ROOT / "infra" / "kafka" / "pom.xml"
KAFKA_LIBS = PROJECT_ROOT / "infra" / "kafka" / "target" / "libs"
OIDC_RUNTIME_POM = PROJECT_ROOT / "infra" / "oidc" / "pom.xml"
OIDC_LIBS = PROJECT_ROOT / "infra" / "oidc" / "target" / "libs"
OIDC_MAIN_CLASS = "no.nav.security.mock.oauth2.StandaloneMockOAuth2ServerKt"


class InfraError(RuntimeError):
    """A prerequisite is missing or a process would not start; the message says what to do."""


@dataclass(frozen=True)
class InfraLayout:
    """Where one runnable setup keeps its processes' data and which ports it uses."""

    data_dir: Path
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    redis_port: int = 16379
    oidc_port: int = 18080
    # Kafka with SASL/SCRAM-SHA-512 and ACLs, Redis with ACL users; passwords generated into
    # <data_dir>/secrets.json (see sysaccess.credentials). Off by default until the services
    # take credentials from their settings.
    secure: bool = False

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def kafka_dir(self) -> Path:
        return self.data_dir / "kafka"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def admin_redis_url(self) -> str:
        """Redis as tools and tests use it: logged in as ``admin`` when the layout is secure."""
        return self.redis_url_as("admin") if self.secure else self.redis_url

    def redis_url_as(self, name: str) -> str:
        """The Redis URL with the login of service ``name`` (or ``admin``) in it."""
        found = self.credentials(name)
        return f"redis://{found.redis_username}:{found.redis_password}@127.0.0.1:{self.redis_port}/0"

    @property
    def secrets_file(self) -> Path:
        return local_credentials.secrets_path(self.data_dir)

    def credentials(self, name: str) -> local_credentials.Credentials:
        """The generated Kafka and Redis login of service ``name`` (or ``admin``)."""
        return local_credentials.credentials(self.data_dir, name)

    @property
    def oidc_dir(self) -> Path:
        return self.data_dir / "oidc"

    @property
    def oidc_url(self) -> str:
        """The provider's base URL; each issuer lives under it (``/idporten``, ``/maskinporten``)."""
        return f"http://127.0.0.1:{self.oidc_port}"

    def oidc_issuer(self, issuer_id: str) -> str:
        """The ``iss`` of an issuer's tokens; metadata at ``<issuer>/.well-known/openid-configuration``."""
        return f"{self.oidc_url}/{issuer_id}"


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def layout_on_free_ports(data_dir: Path, *, secure: bool = True, fresh: bool = False) -> InfraLayout:
    """Kafka, Redis and the provider under ``data_dir`` on loopback ports free right now.

    ``fresh`` empties the Kafka and Redis folders first: a broker's storage is formatted for
    one security mode, and a run should not inherit another run's data.
    """
    layout = InfraLayout(
        data_dir,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        redis_port=free_port(),
        oidc_port=free_port(),
        secure=secure,
    )
    if fresh:
        shutil.rmtree(layout.kafka_dir, ignore_errors=True)
        shutil.rmtree(layout.redis_dir, ignore_errors=True)
    return layout


def _require(binary: str, install_hint: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise InfraError(f"{binary} not found: {install_hint}")
    return path


def ensure_kafka_jars() -> Path:
    """Fetch the broker jars from Maven Central once; later calls reuse the cache."""
    if KAFKA_LIBS.is_dir() and any(KAFKA_LIBS.glob("kafka_2.13-*.jar")):
        return KAFKA_LIBS
    _require("java", "install a Java 17+ runtime (apt-get install openjdk-17-jre-headless)")
    mvn = _require("mvn", "install Maven (apt-get install maven)")
    result = subprocess.run(
        [mvn, "-q", "-B", "-f", str(KAFKA_RUNTIME_POM), "package"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise InfraError(f"fetching Kafka jars with Maven failed:\n{result.stdout}{result.stderr}")
    return KAFKA_LIBS


def ensure_oidc_jars() -> Path:
    """Fetch the OpenID Connect provider's jars from Maven Central once; later calls reuse them."""
    if OIDC_LIBS.is_dir() and any(OIDC_LIBS.glob("mock-oauth2-server-*.jar")):
        return OIDC_LIBS
    _require("java", "install a Java 17+ runtime (apt-get install openjdk-17-jre-headless)")
    mvn = _require("mvn", "install Maven (apt-get install maven)")
    result = subprocess.run(
        [mvn, "-q", "-B", "-f", str(OIDC_RUNTIME_POM), "package"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise InfraError(
            f"fetching the OIDC provider's jars with Maven failed:\n{result.stdout}{result.stderr}"
        )
    return OIDC_LIBS


def ensure_redis_server() -> str:
    """Return redis-server's path, installing Debian's package when it is missing."""
    path = shutil.which("redis-server")
    if path:
        return path
    apt = shutil.which("apt-get")
    if apt is None:
        raise InfraError("redis-server not found and apt-get is missing: install Redis 7")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    for cmd in ([*sudo, apt, "install", "-y", "redis-server"],):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            subprocess.run([*sudo, apt, "update"], env=env, capture_output=True, check=False)
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise InfraError(f"apt-get install redis-server failed: {done.stderr.strip()[-400:]}")
    path = shutil.which("redis-server")
    if path is None:
        raise InfraError("redis-server still missing after apt-get install")
    return path


def _read_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _wait_for_port(port: int, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise InfraError(f"{what} did not open port {port} within {timeout:.0f}s; log tail:\n{tail}")


KAFKA_PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={log_dir}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=16777216
log.flush.interval.messages=1
"""

# Replaces the listener part of KAFKA_PROPERTIES on a secure layout. Clients and the broker
# itself log in with SCRAM-SHA-512 on the CLIENT listener; the controller listener uses PLAIN
# (KRaft keeps SCRAM credentials in its metadata, which a controller cannot read before it
# has a quorum), with ``admin`` as its only user. ``admin`` is the one super user; everyone
# else gets only what an ACL allows.
KAFKA_SECURE_LISTENERS = """\
listeners=CLIENT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=CLIENT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,CLIENT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=\
org.apache.kafka.common.security.scram.ScramLoginModule required \
username="admin" password="{admin_password}";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=\
org.apache.kafka.common.security.plain.PlainLoginModule required \
username="admin" password="{admin_password}" user_admin="{admin_password}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
"""

KAFKA_PLAIN_LISTENERS = """\
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
"""


def kafka_properties(layout: InfraLayout) -> str:
    """The broker's server.properties for ``layout`` (secure or plain)."""
    text = KAFKA_PROPERTIES.format(
        port=layout.kafka_port,
        controller_port=layout.kafka_controller_port,
        log_dir=layout.kafka_dir / "data",
    )
    if not layout.secure:
        return text
    plain = KAFKA_PLAIN_LISTENERS.format(port=layout.kafka_port, controller_port=layout.kafka_controller_port)
    if plain not in text:
        raise AssertionError("KAFKA_PROPERTIES and KAFKA_PLAIN_LISTENERS disagree")
    secure = KAFKA_SECURE_LISTENERS.format(
        port=layout.kafka_port,
        controller_port=layout.kafka_controller_port,
        admin_password=layout.credentials(local_credentials.ADMIN).kafka_password,
    )
    return text.replace(plain, secure)


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds passwords)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    path.chmod(0o600)


def _scram_arguments(layout: InfraLayout) -> list[str]:
    if not layout.secure:
        return []
    arguments: list[str] = []
    for name in local_credentials.PRINCIPALS:
        password = layout.credentials(name).kafka_password
        arguments += ["--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]"]
    return arguments


LOG4J2_PROPERTIES = """\
rootLogger.level=WARN
rootLogger.appenderRef.c.ref=C
appender.c.type=Console
appender.c.name=C
appender.c.layout.type=PatternLayout
appender.c.layout.pattern=[%d] %p %m (%c)%n
"""

KAFKA_JVM_OPTS = [
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:MaxMetaspaceSize=192m",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
]


def start_kafka(layout: InfraLayout, timeout: float = 90.0) -> int:
    """Start the broker if it is not running; return its pid. Data survives restarts."""
    kdir = layout.kafka_dir
    kdir.mkdir(parents=True, exist_ok=True)
    pid_file = kdir / "kafka.pid"
    running = _read_pid(pid_file)
    if running is not None:
        _wait_for_port(layout.kafka_port, timeout, "Kafka", kdir / "kafka.log")
        return running
    if port_open(layout.kafka_port):
        raise InfraError(f"port {layout.kafka_port} is taken by another process")
    java = _require("java", "install a Java 17+ runtime (apt-get install openjdk-17-jre-headless)")
    classpath = f"{ensure_kafka_jars()}/*"
    mode_file = kdir / "security"
    mode = "sasl-scram-acl" if layout.secure else "plaintext"
    formatted_before = (kdir / "data" / "meta.properties").exists()
    if formatted_before and mode_file.exists() and mode_file.read_text().strip() != mode:
        raise InfraError(
            f"{kdir} holds a {mode_file.read_text().strip()} broker's data but the layout wants {mode}; "
            "delete the folder or start the other kind"
        )
    props = kdir / "server.properties"
    _write_private(props, kafka_properties(layout))
    log4j = kdir / "log4j2.properties"
    log4j.write_text(LOG4J2_PROPERTIES)
    jvm = [*KAFKA_JVM_OPTS, f"-Dlog4j2.configurationFile={log4j}"]
    if not (kdir / "data" / "meta.properties").exists():
        cluster_id = (kdir / "cluster.id").read_text().strip() if (kdir / "cluster.id").exists() else ""
        if not cluster_id:
            cluster_id = _kafka_cluster_id()
            (kdir / "cluster.id").write_text(cluster_id)
        formatted = subprocess.run(
            [
                java,
                *jvm,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "--ignore-formatted",
                "-t",
                cluster_id,
                "-c",
                str(props),
                *_scram_arguments(layout),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if formatted.returncode != 0:
            raise InfraError(f"formatting Kafka storage failed: {formatted.stderr or formatted.stdout}")
        mode_file.write_text(mode)
    log_file = kdir / "kafka.log"
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            [java, *jvm, "-cp", classpath, "kafka.Kafka", str(props)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file.write_text(str(proc.pid))
    _wait_for_port(layout.kafka_port, timeout, "Kafka", log_file)
    if layout.secure:
        kafka_logins.remember_admin(layout.kafka_bootstrap, admin_kafka_credentials(layout))
        _run(configure_kafka_security(layout))
    return proc.pid


def admin_kafka_credentials(layout: InfraLayout) -> KafkaCredentials:
    found = layout.credentials(local_credentials.ADMIN)
    return KafkaCredentials(found.kafka_username, found.kafka_password)


def service_kafka_credentials(layout: InfraLayout, service: str) -> KafkaCredentials:
    found = layout.credentials(service)
    return KafkaCredentials(found.kafka_username, found.kafka_password)


async def configure_kafka_security(layout: InfraLayout) -> None:
    """As ``admin``: create every topic, then every service's ACLs (both idempotent)."""
    admin = admin_kafka_credentials(layout)
    await ensure_topics(layout.kafka_bootstrap, credentials=admin)
    await kafka_acl.apply_acls(layout.kafka_bootstrap, admin, kafka_acl.all_acls())


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to the end from synchronous code, also when a loop is running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()


def _kafka_cluster_id() -> str:
    # KRaft wants a base64url-encoded 16-byte UUID without padding.
    import base64

    # An id that starts with "-" would be read as an option by the storage tool.
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def start_redis(layout: InfraLayout, timeout: float = 30.0) -> int:
    rdir = layout.redis_dir
    rdir.mkdir(parents=True, exist_ok=True)
    pid_file = rdir / "redis.pid"
    running = _read_pid(pid_file)
    if running is not None:
        return running
    if port_open(layout.redis_port):
        raise InfraError(f"port {layout.redis_port} is taken by another process")
    server = ensure_redis_server()
    acl: list[str] = []
    if layout.secure:
        passwords = {name: layout.credentials(name).redis_password for name in local_credentials.PRINCIPALS}
        users = rdir / "users.acl"
        _write_private(users, redis_acl.acl_file(passwords))
        acl = ["--aclfile", str(users)]
    log_file = rdir / "redis.log"
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            [
                server,
                "--bind",
                "127.0.0.1",
                "--port",
                str(layout.redis_port),
                "--dir",
                str(rdir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--protected-mode",
                "yes",
                "--daemonize",
                "no",
                *acl,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file.write_text(str(proc.pid))
    _wait_for_port(layout.redis_port, timeout, "Redis", log_file)
    return proc.pid


OIDC_JVM_OPTS = [
    "-Xms32m",
    "-Xmx192m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
]


def oidc_ready(layout: InfraLayout) -> bool:
    """The ``idporten`` issuer answers its OpenID Connect discovery document."""
    url = f"{layout.oidc_issuer(oidc.IDPORTEN)}/.well-known/openid-configuration"
    try:
        # No proxy: the provider is on loopback, whatever http_proxy says.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _wait_for_oidc(layout: InfraLayout, proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    log = layout.oidc_dir / "oidc.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if oidc_ready(layout):
            return
        if proc is not None and proc.poll() is not None:
            break
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise InfraError(
        f"the OIDC provider did not answer on port {layout.oidc_port} in {timeout:.0f}s; log tail:\n{tail}"
    )


def start_oidc(layout: InfraLayout, timeout: float = 60.0) -> int:
    """Start the OpenID Connect provider if it is not running; return its pid.

    It keeps no state on disk: authorization codes, sessions and signing keys live in
    memory, so a restart gives every issuer a new signing key (same ``kid``).
    """
    odir = layout.oidc_dir
    odir.mkdir(parents=True, exist_ok=True)
    pid_file = odir / "oidc.pid"
    running = _read_pid(pid_file)
    if running is not None:
        _wait_for_oidc(layout, None, timeout)
        return running
    if port_open(layout.oidc_port):
        raise InfraError(f"port {layout.oidc_port} is taken by another process")
    java = _require("java", "install a Java 17+ runtime (apt-get install openjdk-17-jre-headless)")
    classpath = f"{ensure_oidc_jars()}/*"
    config = odir / "config.json"
    config.write_text(json.dumps(oidc.provider_config(), indent=2))
    env = {k: v for k, v in os.environ.items() if k not in ("JSON_CONFIG", "PORT", "LOGBACK_CONFIG")}
    env |= {
        "SERVER_HOSTNAME": "127.0.0.1",
        "SERVER_PORT": str(layout.oidc_port),
        "JSON_CONFIG_PATH": str(config),
        "LOG_LEVEL": "WARN",
    }
    log_file = odir / "oidc.log"
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            [java, *OIDC_JVM_OPTS, "-cp", classpath, OIDC_MAIN_CLASS],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=odir,
            env=env,
            start_new_session=True,
        )
    pid_file.write_text(str(proc.pid))
    try:
        _wait_for_oidc(layout, proc, timeout)
    except InfraError:
        _stop(pid_file, timeout=5.0, force=True)
        raise
    return proc.pid


def stop_oidc(layout: InfraLayout, force: bool = False) -> None:
    _stop(layout.oidc_dir / "oidc.pid", timeout=15.0, force=force)


def rotate_oidc_keys(layout: InfraLayout) -> int:
    """Give every issuer a new signing key: the provider generates its keys at start.

    The ``kid`` stays the issuer id, so a relying party that caches the JWKS has to refetch
    when a signature does not verify with the cached key of that ``kid``.
    """
    stop_oidc(layout)
    return start_oidc(layout)


def _stop(pid_file: Path, timeout: float, force: bool = False) -> None:
    pid = _read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGKILL if force else signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        _reap(pid)
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        _reap(pid)
    pid_file.unlink(missing_ok=True)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop_kafka(layout: InfraLayout, force: bool = False) -> None:
    _stop(layout.kafka_dir / "kafka.pid", timeout=30.0, force=force)


def stop_redis(layout: InfraLayout, force: bool = False) -> None:
    _stop(layout.redis_dir / "redis.pid", timeout=15.0, force=force)


def start_all(layout: InfraLayout) -> None:
    start_redis(layout)
    start_oidc(layout)
    start_kafka(layout)


def stop_all(layout: InfraLayout) -> None:
    stop_kafka(layout)
    stop_oidc(layout)
    stop_redis(layout)
