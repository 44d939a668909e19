"""``sysaccess bench token``: Maskinporten's lookup and the system-user token endpoint, per second.

Both sit on every vendor call path: Maskinporten tokens live 120 s, so 100,000 active
vendor-customer pairs mean about 830 lookups a second. The run starts its own Kafka, Redis and
provider and one request_intake process, creates ``pairs`` system accesses the way they arise
(a vendor request through the API, then the approval service's ``SystemAccessCreated`` on
Kafka), and then drives

- ``GET /authentication/api/v1/systemuser/byExternalId`` with a Maskinporten-like token, and
- ``POST /oauth2/token`` (token exchange) with SMARTCLOUD AS's provider token,

each over keep-alive connections from a small raw HTTP/1.1 client (so the load generator, on
the same two cores, costs as little as it can). Closed loop by default (``concurrency``
requests in flight); with ``--rate`` open loop at a fixed arrival rate, latency measured from
each request's scheduled time (no coordinated omission). Every answer must be 200; anything
else is counted and printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import httpx
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.table import Table

from shared import events as ev
from shared.orgno import mod11_check_digit
from shared.topics import ACCESS_CREATED
from sysaccess import infra, oidc
from sysaccess.credentials import application_env, service_env
from sysaccess.deadline import RunEnded, RunGuard, in_thread
from sysaccess.kafka_logins import admin_options
from sysaccess.percentiles import percentile
from sysaccess.processes import ServiceProcess
from sysaccess.profiles import Profile
from sysaccess.vendor_tokens import ALL_SCOPES, SMARTCLOUD

__all__ = ["default_deadline", "run_token_benchmark"]

SYSTEM_ID = "314000110_smartcloud"
MASKINPORTEN_ORG = "991825827"  # Digdir, the caller of the lookup
LOOKUP_SCOPE = "altinn:maskinporten/systemuser.read"
API_SCOPE = "skatteetaten:krav"
PATH_LOOKUP = "/authentication/api/v1/systemuser/byExternalId"
PATH_TOKEN = "/oauth2/token"


@dataclass
class Figures:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    server_cpu_seconds: float = 0.0
    """CPU time request_intake spent during the run (user + system), whatever else the machine ran."""

    client_cpu_seconds: float = 0.0
    """CPU time of the load generator (this process) during the run."""

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu_seconds / self.count * 1000 if self.count else float("nan")

    idle_cpu_per_second: float = 0.0
    """request_intake's CPU use with no requests (its Kafka consumers, the outbox relay)."""

    @property
    def work_ms_per_request(self) -> float:
        """Intake CPU per request beyond what it spends idle in the same time."""
        if not self.count:
            return float("nan")
        work = self.server_cpu_seconds - self.idle_cpu_per_second * self.seconds
        return max(work, 0.0) / self.count * 1000

    @property
    def client_cpu_ms_per_request(self) -> float:
        return self.client_cpu_seconds / self.count * 1000 if self.count else float("nan")

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


class _Connection:
    """One keep-alive HTTP/1.1 connection; answers must carry a Content-Length (uvicorn's do)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _get(host: str, path: str, token: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


def _post_form(host: str, path: str, form: dict[str, str]) -> bytes:
    body = urlencode(form).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def customers(count: int, start: int = 80_000_000) -> list[str]:
    """``count`` valid organisation numbers (MOD11), none of them in the cast."""
    found: list[str] = []
    base = start
    while len(found) < count:
        digit = mod11_check_digit(f"{base:08d}")
        if digit is not None:
            found.append(f"{base:08d}{digit}")
        base += 1
    return found


def lookup_requests(host: str, parties: list[str], token: str) -> list[bytes]:
    return [
        _get(
            host,
            PATH_LOOKUP
            + "?"
            + urlencode(
                {
                    "clientId": SMARTCLOUD,
                    "systemProviderOrgNo": SMARTCLOUD,
                    "systemUserOwnerOrgNo": party,
                    "externalRef": party,
                }
            ),
            token,
        )
        for party in parties
    ]


def token_requests(host: str, parties: list[str], token: str) -> list[bytes]:
    requests = []
    for party in parties:
        details = [
            {
                "type": "urn:altinn:systemuser",
                "systemuser_org": {"authority": "iso6523-actorid-upis", "ID": f"0192:{party}"},
                "externalRef": party,
            }
        ]
        form = {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": token,
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "authorization_details": json.dumps(details, separators=(",", ":")),
            "scope": API_SCOPE,
        }
        requests.append(_post_form(host, PATH_TOKEN, form))
    return requests


def _cpu_seconds(pid: int | None) -> float:
    if pid is None:
        return 0.0
    try:
        import psutil
    except ImportError:  # the tools extra is not installed: no CPU figure
        return 0.0
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


class FreshRequests:
    """Request bytes that carry a provider token, rebuilt with a new token well before the old one
    expires (provider tokens live 120 s; a run on a busy machine can take longer)."""

    REFRESH_SECONDS = 45.0

    def __init__(self, build: Callable[[str], list[bytes]], fetch: Callable[[], str]) -> None:
        self._build = build
        self._fetch = fetch
        self.current: list[bytes] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> FreshRequests:
        self.current = self._build(await in_thread(self._fetch))
        self._task = asyncio.create_task(self._refresh())
        return self

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(self.REFRESH_SECONDS)
            self.current = self._build(await in_thread(self._fetch))

    def __call__(self) -> list[bytes]:
        return self.current

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def _drive(
    name: str,
    port: int,
    requests: Callable[[], list[bytes]],
    total: int,
    concurrency: int,
    rate: float | None,
    server_pid: int | None = None,
) -> Figures:
    """Send ``total`` requests (cycling through ``requests``): closed loop, or open loop at ``rate``."""
    figures = Figures(name)
    cpu_before = _cpu_seconds(server_pid)
    own_before = time.process_time()
    connections = [_Connection("127.0.0.1", port) for _ in range(concurrency)]
    next_index = 0
    begin = time.perf_counter()

    def record(status: int, body: bytes, started: float) -> None:
        figures.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status != 200:
            key = f"{status} {body[:120].decode(errors='replace')}"
            figures.errors[key] = figures.errors.get(key, 0) + 1

    async def closed(connection: _Connection) -> None:
        nonlocal next_index
        while next_index < total:
            i = next_index
            next_index += 1
            started = time.perf_counter()
            current = requests()
            status, body = await connection.call(current[i % len(current)])
            record(status, body, started)

    async def open_loop(connection: _Connection, queue: asyncio.Queue[tuple[int, float] | None]) -> None:
        while (item := await queue.get()) is not None:
            i, scheduled = item
            current = requests()
            status, body = await connection.call(current[i % len(current)])
            record(status, body, scheduled)

    try:
        if rate is None:
            await asyncio.gather(*(closed(c) for c in connections))
        else:
            queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
            workers = [asyncio.create_task(open_loop(c, queue)) for c in connections]
            interval = 1.0 / rate
            released = 0
            while released < total:
                # Release every request that is due, then wait for the next one: one timer per
                # tick rather than per request, so the generator keeps its schedule.
                due = min(total, int((time.perf_counter() - begin) / interval) + 1)
                for i in range(released, due):
                    queue.put_nowait((i, begin + i * interval))
                released = due
                await asyncio.sleep(max(0.0, begin + released * interval - time.perf_counter()))
            for _ in workers:
                queue.put_nowait(None)
            await asyncio.gather(*workers)
    finally:
        for connection in connections:
            connection.close()
    figures.seconds = time.perf_counter() - begin
    figures.server_cpu_seconds = _cpu_seconds(server_pid) - cpu_before
    figures.client_cpu_seconds = time.process_time() - own_before
    return figures


async def _create_accesses(url: str, bootstrap: str, vendor_token: str, parties: list[str]) -> None:
    """One request per party through the vendor API, then its approval as the approval service
    announces it (SystemAccessCreated, published as the broker's admin)."""
    created: list[dict[str, str]] = []
    limits = httpx.Limits(max_connections=16)
    headers = {"Authorization": f"Bearer {vendor_token}"}
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits, headers=headers) as client:
        queue = list(parties)

        async def worker() -> None:
            while queue:
                party = queue.pop()
                body = {
                    "systemId": SYSTEM_ID,
                    "partyOrgNo": party,
                    "rights": [
                        {"resource": [{"id": "urn:altinn:resource", "value": "ske-krav-og-betalinger"}]}
                    ],
                }
                response = await client.post("/authentication/api/v1/systemuser/request/vendor", json=body)
                if response.status_code not in (200, 201):
                    raise RuntimeError(f"request for {party} refused: {response.status_code} {response.text}")
                created.append(response.json())

        await asyncio.gather(*(worker() for _ in range(16)))
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, **admin_options(bootstrap)
    )
    await producer.start()
    try:
        now = datetime.now(UTC)
        for request in created:
            event = ev.SystemAccessCreated(
                system_access_id=uuid.UUID(request["id"]),
                request_id=uuid.UUID(request["id"]),
                request_type=ev.RequestType.STANDARD,
                system_id=SYSTEM_ID,
                vendor_org_no=SMARTCLOUD,
                party_org_no=request["partyOrgNo"],
                external_ref=request["externalRef"],
                integration_title="SmartCloud",
                rights=("ske-krav-og-betalinger",),
                approved_by="12887010186",
                approved_at=now,
            )
            await producer.send(
                ACCESS_CREATED.name,
                event.to_json_bytes(),
                key=ACCESS_CREATED.key_of(event),
                headers=[(k, v.encode()) for k, v in event.headers().items()],
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _wait_all_known(port: int, lookups: Callable[[], list[bytes]], timeout: float = 120.0) -> None:
    """Until every pair's lookup answers 200 (intake has applied every approval)."""
    connection = _Connection("127.0.0.1", port)
    deadline = time.monotonic() + timeout
    pending = list(range(len(lookups())))
    try:
        while pending and time.monotonic() < deadline:
            status, _ = await connection.call(lookups()[pending[-1]])
            if status == 200:
                pending.pop()
            else:
                await asyncio.sleep(0.2)
    finally:
        connection.close()
    if pending:
        raise RuntimeError(f"{len(pending)} accesses never reached request_intake")


def default_deadline(requests: int, pairs: int) -> float:
    """Start-up (a secure Kafka's first start takes up to 25 s on a busy machine), set-up, both runs."""
    return 240.0 + pairs * 0.05 + requests * 0.02


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


@dataclass
class Outcome:
    lookups: Figures
    tokens: Figures
    load_before: str
    load_after: str


def run_token_benchmark(
    profile: Profile,
    *,
    requests: int,
    pairs: int,
    concurrency: int,
    rate: float | None,
    report: Path | None,
    console: Console,
    deadline: float | None = None,
) -> int:
    """Run, print and return the exit status (0; 1 when an answer was not 200; 124/130/143)."""
    layout = infra.layout_on_free_ports(profile.var / "bench-token", fresh=True)
    limit = default_deadline(requests, pairs) if deadline is None else deadline
    guard = RunGuard("bench-token", layout.data_dir, limit, console, announce=True)
    port = infra.free_port()
    env = {
        "INTAKE_PORT": str(port),
        "INTAKE_KAFKA_BOOTSTRAP": layout.kafka_bootstrap,
        "INTAKE_REDIS_URL": layout.redis_url,
        "INTAKE_TOKEN_ISSUER": layout.oidc_issuer(oidc.MASKINPORTEN),
        "INTAKE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        **application_env(layout.data_dir),
        **service_env(layout.data_dir),
        "INTAKE_SEED_SYSTEMS": "true",
        "INTAKE_LOG_LEVEL": "WARNING",
        "INTAKE_VENDOR_POSTS_PER_MINUTE": "0",  # the set-up's requests all come from one vendor
    }
    service = ServiceProcess("request_intake", port, env, profile.var / "logs" / "bench-token.log")
    parties = customers(pairs)
    host = f"127.0.0.1:{port}"
    refreshing: list[FreshRequests] = []

    async def body() -> Outcome:
        guard.enter("starting Kafka, Redis and the provider")
        guard.registry.track_layout(layout)
        await in_thread(infra.start_all, layout)
        guard.enter("starting request_intake")
        service.start()
        await in_thread(service.wait_healthy)
        vendor = await in_thread(oidc.vendor_token, layout.oidc_url, SMARTCLOUD, [*ALL_SCOPES, API_SCOPE])
        guard.enter(f"creating {pairs} system accesses (vendor request, then SystemAccessCreated)")
        await _create_accesses(service.url, layout.kafka_bootstrap, vendor, parties)
        lookups = await FreshRequests(
            lambda token: lookup_requests(host, parties, token),
            lambda: oidc.vendor_token(layout.oidc_url, MASKINPORTEN_ORG, [LOOKUP_SCOPE]),
        ).start()
        exchanges = await FreshRequests(
            lambda token: token_requests(host, parties, token),
            lambda: oidc.vendor_token(layout.oidc_url, SMARTCLOUD, [*ALL_SCOPES, API_SCOPE]),
        ).start()
        refreshing.extend((lookups, exchanges))
        await _wait_all_known(port, lookups)
        guard.enter("warming up")
        await _drive("warm-up", port, lookups, min(pairs, 500), concurrency, None)
        await _drive("warm-up", port, exchanges, min(pairs, 500), concurrency, None)
        pid = service.proc.pid if service.proc is not None else None
        guard.enter("measuring request_intake's idle CPU (5 s)")
        idle_from = _cpu_seconds(pid)
        await asyncio.sleep(5.0)
        idle = (_cpu_seconds(pid) - idle_from) / 5.0
        load_before = _load()
        mode = f"{rate:.0f}/s offered" if rate else f"concurrency {concurrency}"
        guard.enter(f"{requests} lookups ({mode})")
        looked = await _drive("byExternalId lookups", port, lookups, requests, concurrency, rate, pid)
        guard.enter(f"{requests} token exchanges ({mode})")
        issued = await _drive("system-user tokens", port, exchanges, requests, concurrency, rate, pid)
        looked.idle_cpu_per_second = issued.idle_cpu_per_second = idle
        for fresh in refreshing:
            fresh.stop()
        return Outcome(looked, issued, load_before, _load())

    async def main() -> Outcome:
        console.print(f"bench token: deadline {limit:.0f}s, data in {layout.data_dir}", highlight=False)
        with guard.signals(), guard.registry.running():
            result: Outcome | None = None
            try:
                result = await guard.run(body)
                if guard.ended_by:
                    console.print(
                        f"[red]{guard.ending()}[/red] after {guard.elapsed:.0f}s while waiting on: "
                        f"{guard.waiting_on()}. An unfinished benchmark appends nothing to its report.",
                        highlight=False,
                    )
            finally:
                for fresh in refreshing:
                    fresh.stop()
                guard.cleaning()
                guard.enter("stopping every process of the run")

                def stop() -> None:
                    service.stop()
                    infra.stop_all(layout)

                await in_thread(guard.registry.stop_all if guard.ended_by else stop)
        if guard.ended_by or result is None:
            raise RunEnded(guard.ending(), guard.exit_code)
        return result

    try:
        outcome = asyncio.run(main())
    except RunEnded as ended:
        return ended.exit_code
    mode = f"open loop, {rate:.0f}/s offered" if rate else f"closed loop, concurrency {concurrency}"
    table = Table(title=f"System-user token benchmark: {requests} each, {pairs} pairs, {mode}")
    columns = (
        "path",
        "completed",
        "per second",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
        "CPU ms/req",
    )
    for column in columns:
        table.add_column(column)
    for fig in (outcome.lookups, outcome.tokens):
        table.add_row(*_row(fig))
    Console(width=max(console.width, 180)).print(table)
    console.print(
        f"load average (1/5/15 min) before the runs: {outcome.load_before}; after: {outcome.load_after}; "
        f"{_machine()}. request_intake idle: {outcome.lookups.idle_cpu_per_second * 1000:.0f} ms CPU/s; "
        "'of which work' leaves that out",
        highlight=False,
    )
    failed = False
    for fig in (outcome.lookups, outcome.tokens):
        for error, n in fig.errors.items():
            failed = True
            console.print(f"[red]{fig.name}: {n} x {error}[/red]", highlight=False)
    if report is not None:
        _append_report(report, requests, pairs, concurrency, rate, outcome)
        console.print(f"appended to {report}")
    return 1 if failed else 0


def _row(fig: Figures) -> list[str]:
    return [
        fig.name,
        str(fig.count),
        f"{fig.rate:.0f}",
        f"{fig.pct(0.5):.1f}",
        f"{fig.pct(0.95):.1f}",
        f"{fig.pct(0.99):.1f}",
        f"{max(fig.latencies_ms, default=0):.1f}",
        str(sum(fig.errors.values())),
        f"{fig.cpu_ms_per_request:.2f}",
        f"{fig.work_ms_per_request:.2f}",
        f"{fig.client_cpu_ms_per_request:.2f}",
    ]


def _machine() -> str:
    system = f"{platform.system()} {platform.machine()}"
    return f"{system}, {os.cpu_count()} cores, Python {platform.python_version()}"


def _append_report(
    report: Path, requests: int, pairs: int, concurrency: int, rate: float | None, outcome: Outcome
) -> None:
    command = f"sysaccess bench token --requests {requests} --pairs {pairs} --concurrency {concurrency}"
    if rate:
        command += f" --rate {rate:.0f}"
    lines = [
        f"\n### System-user token, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n",
        f"Command: `{command} --report {report}`  ",
        f"Machine: {_machine()}; Kafka, Redis, the provider, one request_intake and the load generator "
        f"on the same machine. Load average before: {outcome.load_before}, after: {outcome.load_after}. "
        f"request_intake idle: {outcome.lookups.idle_cpu_per_second * 1000:.0f} ms CPU/s.\n",
        "| path | completed | per second | p50 ms | p95 ms | p99 ms | max ms | errors | intake CPU ms/req "
        "| of which work ms/req | generator CPU ms/req |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fig in (outcome.lookups, outcome.tokens):
        lines.append("| " + " | ".join(_row(fig)) + " |")
    report.parent.mkdir(parents=True, exist_ok=True)
    with report.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
