"""The ``sysaccess`` command: run everything locally, mint development tokens, measure."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from shared.orgno import is_valid_org_no
from sysaccess import infra, kafka_logins, oidc
from sysaccess.processes import service_processes, smtp_catcher
from sysaccess.profiles import DEV, TEST, Profile
from sysaccess.vendor_tokens import ALL_SCOPES

app = typer.Typer(help="Local runner and tools for sysaccess", no_args_is_help=True)
infra_app = typer.Typer(help="Start and stop the local Kafka and Redis", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks (commands that print figures)", no_args_is_help=True)
app.add_typer(infra_app, name="infra")
app.add_typer(bench_app, name="bench")
compose_app = typer.Typer(help="What docker-compose needs: secrets and generated files", no_args_is_help=True)
app.add_typer(compose_app, name="compose")
dlq_app = typer.Typer(help="Dead letters: list, show, replay", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
console = Console()

PROFILES = {"dev": DEV, "test": TEST}


def _profile(name: str) -> Profile:
    if name not in PROFILES:
        raise typer.BadParameter(f"unknown profile {name!r}; use one of {', '.join(PROFILES)}")
    return PROFILES[name]


def _expand_scope(scope: str) -> str:
    return scope if ":" in scope else f"altinn:authentication/{scope}"


@app.command()
def token(
    org: Annotated[str, typer.Option("--org", help="Vendor organisation number")],
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="Scope (repeatable); default: all")
    ] = None,
    provider: Annotated[
        str, typer.Option(help="Base URL of the identity provider (its maskinporten issuer is used)")
    ] = DEV.infra.oidc_url,
    method: Annotated[
        str, typer.Option(help="client_secret, client_assertion (private_key_jwt) or jwt_bearer")
    ] = "client_assertion",
) -> None:
    """Get a vendor token from the identity provider's Maskinporten issuer (client credentials)."""
    if not is_valid_org_no(org):
        raise typer.BadParameter("--org must be a 9-digit organisation number with a valid check digit")
    scopes = [_expand_scope(s) for item in (scope or ALL_SCOPES) for s in item.split()]
    try:
        typer.echo(oidc.vendor_token(provider, org, scopes, method=method))
    except (oidc.ProviderError, httpx.HTTPError) as exc:
        console.print(f"[red]error:[/red] no token from {provider}: {exc}")
        raise typer.Exit(1) from exc


@infra_app.command("start")
def infra_start(profile: Annotated[str, typer.Option(help="dev or test")] = "dev") -> None:
    """Start Kafka and Redis (harmless when they run already)."""
    chosen = _profile(profile)
    try:
        infra.start_all(chosen.infra)
    except infra.InfraError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"Kafka {chosen.infra.kafka_bootstrap}  Redis {chosen.infra.redis_url}")


@infra_app.command("stop")
def infra_stop(profile: Annotated[str, typer.Option(help="dev or test")] = "dev") -> None:
    """Stop Kafka and Redis of a profile."""
    infra.stop_all(_profile(profile).infra)


@app.command()
def run(profile: Annotated[str, typer.Option(help="dev or test")] = "dev") -> None:
    """Start Kafka, Redis and the three services; Ctrl-C stops everything."""
    chosen = _profile(profile)
    try:
        infra.start_all(chosen.infra)
    except infra.InfraError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    processes = [
        smtp_catcher(chosen.smtp_port, chosen.mail_dir, chosen.var / "logs"),
        *service_processes(chosen.service_env(), chosen.var / "logs"),
    ]
    stopping = False

    def on_signal(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for proc in processes:
            proc.start()
        for proc in processes:
            proc.wait_healthy()
        vendor_token = oidc.vendor_token(chosen.infra.oidc_url, "314000110", ALL_SCOPES)
        console.print("[bold green]sysaccess is running[/bold green]")
        console.print(f"  request_intake  {processes[1].url}  (vendor API, /docs)")
        console.print(f"  approval        {processes[2].url}/login  (portal; you log in at the provider)")
        console.print(f"  notifier        {processes[3].url}  (health, metrics, inbox API)")
        console.print(f"  SMTP catcher    127.0.0.1:{chosen.smtp_port}  (mail in {chosen.mail_dir})")
        console.print(f"  Kafka {chosen.infra.kafka_bootstrap}   Redis {chosen.infra.redis_url}")
        console.print(
            f"  OpenID Connect  {chosen.infra.oidc_url}  (idporten: type a person's pid on its login form;"
            " maskinporten: vendor tokens)"
        )
        console.print(f"  logs in {chosen.var / 'logs'}")
        console.print(
            "\nA token for SMARTCLOUD AS (314000110) from the provider, valid 120 s;"
            " `sysaccess token --org 314000110` gets a fresh one:"
        )
        print(vendor_token, flush=True)
        console.print("\nPress Ctrl-C to stop.")
        while not stopping:
            for proc in processes:
                if proc.proc is not None and proc.proc.poll() is not None:
                    console.print(f"[yellow]{proc.name} exited; restarting[/yellow]")
                    proc.start()
            time.sleep(0.5)
    except infra.InfraError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        console.print("stopping…")
        for proc in processes:
            proc.stop()
        infra.stop_all(chosen.infra)
        console.print("stopped")


@bench_app.command("intake")
def bench_intake(
    requests: Annotated[int, typer.Option(help="Vendor POSTs to send")] = 2000,
    concurrency: Annotated[int, typer.Option(help="Requests in flight")] = 32,
    profile: Annotated[
        str, typer.Option(help="dev or test: whose var/ folder holds the run's data")
    ] = "test",
    report: Annotated[Path | None, typer.Option(help="Append the figures to this Markdown file")] = None,
    deadline: Annotated[
        float | None,
        typer.Option(help="Overall limit in seconds (default 300 + 0.05 x requests); then exit 124"),
    ] = None,
    rounds: Annotated[int, typer.Option(help="Intake and bare-baseline runs, alternating")] = 1,
) -> None:
    """Intake throughput and latency against a bare FastAPI + Redis endpoint (same body validation,
    one Redis write, same concurrency, same run), with a raw aiokafka floor."""
    from sysaccess.bench_intake import run_intake_benchmark

    code = run_intake_benchmark(
        _profile(profile),
        requests=requests,
        concurrency=concurrency,
        report=report,
        console=console,
        deadline=deadline,
        rounds=rounds,
    )
    if code:
        raise typer.Exit(code)


@bench_app.command("token")
def bench_token(
    requests: Annotated[int, typer.Option(help="Lookups, and then token exchanges, to send")] = 5000,
    pairs: Annotated[int, typer.Option(help="Vendor-customer pairs (system accesses) to create")] = 500,
    concurrency: Annotated[int, typer.Option(help="Connections (requests in flight)")] = 16,
    rate: Annotated[
        float | None, typer.Option(help="Open loop at this many requests a second (default: closed loop)")
    ] = None,
    profile: Annotated[
        str, typer.Option(help="dev or test: whose var/ folder holds the run's data")
    ] = "test",
    report: Annotated[Path | None, typer.Option(help="Append the figures to this Markdown file")] = None,
    deadline: Annotated[float | None, typer.Option(help="Overall limit in seconds; then exit 124")] = None,
) -> None:
    """Maskinporten's lookup and the system-user token endpoint: per second, p50 and p99."""
    from sysaccess.bench_token import run_token_benchmark

    code = run_token_benchmark(
        _profile(profile),
        requests=requests,
        pairs=pairs,
        concurrency=concurrency,
        rate=rate,
        report=report,
        console=console,
        deadline=deadline,
    )
    if code:
        raise typer.Exit(code)


@bench_app.command("flows")
def bench_flows(
    rate: Annotated[float, typer.Option(help="Offered flows per second (open loop)")] = 50,
    duration: Annotated[float, typer.Option(help="Seconds per step")] = 20,
    ramp: Annotated[
        bool, typer.Option(help="Step the rate from 25% to 200% until p99 passes 500 ms")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="Append the figures to this Markdown file")] = None,
    deadline: Annotated[
        float | None,
        typer.Option(
            help="Overall limit in seconds (default 180 + (steps + 1) x (duration + 90) + 450); then exit 124"
        ),
    ] = None,
    instances: Annotated[int, typer.Option(help="Instances of each service (they share the partitions)")] = 1,
    raw: Annotated[bool, typer.Option(help="Ramp the bare-aiokafka baseline too")] = True,
    infra_auth: Annotated[
        bool,
        typer.Option(
            help="Kafka SASL/SCRAM + ACLs and Redis ACL users (--no-infra-auth only to measure their cost)"
        ),
    ] = True,
    pyspy: Annotated[
        Path | None,
        typer.Option(help="Record each service with py-spy during the measured steps, into this folder"),
    ] = None,
) -> None:
    """Full flows at a constant arrival rate, with a bare-aiokafka baseline in the same run."""
    from sysaccess.bench_flows import run_flows_benchmark

    code = run_flows_benchmark(
        rate, duration, ramp, report, console, deadline, instances, raw, infra_auth, pyspy
    )
    if code:
        raise typer.Exit(code)


@bench_app.command("idle")
def bench_idle(
    seconds: Annotated[float, typer.Option(help="Length of the measured quiet window")] = 30,
    settle: Annotated[float, typer.Option(help="Seconds to wait after the warm-up flows")] = 10,
    flows: Annotated[int, typer.Option(help="Warm-up flows before the quiet window")] = 20,
) -> None:
    """CPU per process of a whole system with nothing to do (after a few flows have drained)."""
    from sysaccess.bench_idle import run_idle_benchmark

    run_idle_benchmark(seconds, settle, flows, console)


@app.command()
def chaos(
    scenario: Annotated[
        str, typer.Argument(help="kafka-kill, service-kill, redis-restart, poison, rebalance")
    ],
    flows: Annotated[int, typer.Option(help="Full flows to drive")] = 200,
    concurrency: Annotated[int, typer.Option(help="Flows in flight")] = 24,
    report: Annotated[Path | None, typer.Option(help="Append the tables to this Markdown file")] = None,
    deadline: Annotated[
        float | None,
        typer.Option(
            help="Overall limit in seconds; default max(600, 1.2 x flows) per scenario. At the deadline "
            "the run reports what it counted and what it was waiting on, stops its processes and exits 124"
        ),
    ] = None,
) -> None:
    """Drive full flows while injecting a fault; print what was lost or duplicated ("all": every scenario).

    Exit status: 0 passed, 1 lost or duplicated something, 124 deadline, 130 SIGINT, 143 SIGTERM.
    Every process a run starts is stopped whichever way it ends.
    """
    import asyncio
    import time

    from sysaccess.chaos import (
        SCENARIOS,
        ChaosReport,
        append_report,
        default_deadline,
        print_report,
        run_scenario,
    )
    from sysaccess.deadline import DEADLINE_EXIT, SIGNAL_EXIT

    chosen = SCENARIOS if scenario == "all" else (scenario,)
    total = deadline if deadline is not None else sum(default_deadline(flows) for _ in chosen)
    ends = time.monotonic() + total
    code = 0
    printed: list[ChaosReport] = []
    for name in chosen:
        printed.clear()

        def early(partial: ChaosReport) -> None:
            print_report(partial, console)
            printed.append(partial)

        left = ends - time.monotonic()
        result = asyncio.run(
            run_scenario(
                name,
                flows,
                concurrency=concurrency,
                console=console,
                deadline=max(left, 0.001),
                announce=True,
                handle_signals=True,
                on_early_end=early,
            )
        )
        if not printed:
            print_report(result, console)
        if report is not None:
            command = f"sysaccess chaos {name} --flows {flows} --concurrency {concurrency}"
            append_report(result, report, command)
        if result.ended_by:
            code = DEADLINE_EXIT if result.ended_by == "deadline" else SIGNAL_EXIT.get(result.ended_by, 1)
            break
        if not result.passed:
            code = 1
    if code:
        raise typer.Exit(code)


Bootstrap = Annotated[
    str,
    typer.Option(
        "--bootstrap",
        envvar="SYSACCESS_KAFKA_BOOTSTRAP",
        help="Kafka bootstrap servers (default: the dev profile's broker)",
    ),
]


def _dlq_fail(exc: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {exc}")
    return typer.Exit(1)


@dlq_app.command("list")
def dlq_list(
    topic: Annotated[
        str | None, typer.Option("--topic", help="A topic or its .dlq topic; default: every .dlq topic")
    ] = None,
    bootstrap: Bootstrap = DEV.infra.kafka_bootstrap,
    limit: Annotated[int, typer.Option(help="Show at most this many, the newest")] = 100,
) -> None:
    """List dead letters with their id, event, reason and error."""
    kafka_logins.remember_from_environment(bootstrap)
    import asyncio

    from sysaccess import dlq

    async def collect() -> dict[str, list[dlq.DeadLetter]]:
        names = [dlq.dlq_topic_of(topic)] if topic else await dlq.dlq_topics(bootstrap)
        return {name: await dlq.read_dead_letters(bootstrap, name) for name in names}

    try:
        found = asyncio.run(collect())
    except dlq.DeadLetterError as exc:
        raise _dlq_fail(exc) from exc
    if topic is None:
        console.print(dlq.summary_table({name: len(letters) for name, letters in found.items()}))
    letters = sorted(
        (letter for letters in found.values() for letter in letters), key=lambda d: d.timestamp_ms
    )
    shown = letters[-limit:] if limit > 0 else letters
    title = f"{len(letters)} dead letter(s)" + (f" on {dlq.dlq_topic_of(topic)}" if topic else "")
    if len(shown) < len(letters):
        title += f", newest {len(shown)} shown"
    console.print(dlq.letters_table(shown, title))


@dlq_app.command("show")
def dlq_show(
    letter_id: Annotated[str, typer.Argument(metavar="ID", help="<topic>.dlq:<partition>:<offset>")],
    bootstrap: Bootstrap = DEV.infra.kafka_bootstrap,
) -> None:
    """Show one dead letter: where it came from, its error, its headers and its value."""
    kafka_logins.remember_from_environment(bootstrap)
    import asyncio

    from sysaccess import dlq

    try:
        letter = asyncio.run(dlq.get_dead_letter(bootstrap, dlq.DeadLetterId.parse(letter_id)))
    except dlq.DeadLetterError as exc:
        raise _dlq_fail(exc) from exc
    facts, headers = dlq.letter_tables(letter)
    console.print(facts)
    console.print(headers)
    console.print("[bold]Value[/bold]")
    console.print(dlq.pretty_value(letter), markup=False, highlight=False)


@dlq_app.command("replay")
def dlq_replay(
    topic: Annotated[str, typer.Option("--topic", help="The topic (or its .dlq topic) to replay from")],
    letter_ids: Annotated[
        list[str] | None, typer.Option("--id", help="A dead letter to replay (repeatable)")
    ] = None,
    replay_all: Annotated[bool, typer.Option("--all", help="Replay every dead letter of the topic")] = False,
    include_invalid: Annotated[
        bool,
        typer.Option(
            "--include-invalid", help="With --all, also replay records dead-lettered as invalid (unparseable)"
        ),
    ] = False,
    allow_old: Annotated[
        bool,
        typer.Option(
            "--allow-old",
            help="Also replay records older than the consumers' 30-day idempotency window "
            "(they may be applied twice)",
        ),
    ] = False,
    bootstrap: Bootstrap = DEV.infra.kafka_bootstrap,
) -> None:
    """Republish dead letters to their original topic (same key, value and headers).

    Safe to run twice: consumers apply each eventId once, so a record that was applied is a no-op.
    """
    kafka_logins.remember_from_environment(bootstrap)
    import asyncio

    from sysaccess import dlq

    if bool(letter_ids) == replay_all:
        raise typer.BadParameter("give either --id (one or more) or --all")
    dlq_topic = dlq.dlq_topic_of(topic)

    async def run() -> list[dlq.ReplayOutcome]:
        if replay_all:
            letters = await dlq.read_dead_letters(bootstrap, dlq_topic)
        else:
            ids = [dlq.DeadLetterId.parse(i) for i in letter_ids or []]
            strangers = [str(i) for i in ids if i.topic != dlq_topic]
            if strangers:
                raise dlq.DeadLetterError(f"not on {dlq_topic}: {', '.join(strangers)}")
            letters = [await dlq.get_dead_letter(bootstrap, i) for i in ids]
        return await dlq.replay(
            bootstrap, letters, include_invalid=include_invalid or not replay_all, allow_old=allow_old
        )

    try:
        outcomes = asyncio.run(run())
    except dlq.DeadLetterError as exc:
        raise _dlq_fail(exc) from exc
    console.print(dlq.outcomes_table(outcomes))
    done = sum(o.status == "republished" for o in outcomes)
    console.print(f"{done} republished, {len(outcomes) - done} skipped")
    if letter_ids and done < len(outcomes):
        raise typer.Exit(1)


def _layout(profile: str, data_dir: Path | None, redis_port: int | None) -> infra.InfraLayout:
    import dataclasses

    layout = _profile(profile).infra
    if data_dir is not None:
        layout = dataclasses.replace(layout, data_dir=data_dir)
    if redis_port is not None:
        layout = dataclasses.replace(layout, redis_port=redis_port)
    return layout


ProfileOption = Annotated[str, typer.Option(help="dev or test: whose Redis and var/ folder")]
DataDirOption = Annotated[
    Path | None, typer.Option(help="Data folder of another layout (its Redis is <data-dir>/redis)")
]
RedisPortOption = Annotated[int | None, typer.Option(help="Redis port of that layout")]


@app.command()
def backup(
    to: Annotated[
        Path | None, typer.Option("--to", help="New folder for the backup; default var/backups/redis-<time>")
    ] = None,
    profile: ProfileOption = "dev",
    data_dir: DataDirOption = None,
    redis_port: RedisPortOption = None,
) -> None:
    """Back up Redis: a BGSAVE snapshot and a copy of the append-only files, both checked."""
    from datetime import UTC, datetime

    from sysaccess.backup import BackupError, backup_redis

    layout = _layout(profile, data_dir, redis_port)
    dest = to or _profile(profile).var / "backups" / f"redis-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    try:
        manifest = backup_redis(layout.admin_redis_url, dest, say=lambda line: console.print(f"  {line}"))
    except BackupError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    table = Table(title=f"Backup of {manifest.redis_url} in {dest}")
    table.add_column("file")
    table.add_column("bytes", justify="right")
    table.add_column("sha256")
    for entry in manifest.files:
        table.add_row(entry.path, str(entry.bytes), entry.sha256[:16])
    console.print(table)
    aof = "valid" if manifest.aof_valid else "missing or not valid (restore will use the snapshot)"
    console.print(
        f"{manifest.rdb_keys} keys in the snapshot (Redis {manifest.redis_version}); AOF copy {aof}.\n"
        f"Restore with: sysaccess restore --from {dest}"
    )


@app.command()
def restore(
    from_: Annotated[Path, typer.Option("--from", help="A folder made by `sysaccess backup`")],
    profile: ProfileOption = "dev",
    data_dir: DataDirOption = None,
    redis_port: RedisPortOption = None,
    source: Annotated[str, typer.Option(help="auto (AOF copy if valid, else snapshot), aof or rdb")] = "auto",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before replacing Redis's data")] = False,
) -> None:
    """Restore Redis from a backup: stop it, put the backup's files in place, start it, check it."""
    from sysaccess.backup import BackupError, restore_redis, verify_backup

    layout = _layout(profile, data_dir, redis_port)
    try:
        manifest = verify_backup(from_)
    except BackupError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(
        f"Backup of {manifest.created_at}: {manifest.rdb_keys} keys. It replaces the data of the Redis on "
        f"port {layout.redis_port} ({layout.redis_dir}); writes made since the backup are lost."
    )
    if not yes and not typer.confirm("Restore?"):
        raise typer.Exit(1)
    try:
        result = restore_redis(layout, from_, source=source, say=lambda line: console.print(f"  {line}"))
    except BackupError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    expired = result.expected_keys - result.keys if result.source == "rdb" else 0
    console.print(
        f"[green]restored[/green] from the {result.source.upper()} copy: {result.keys} keys "
        f"(the snapshot held {result.expected_keys}"
        + (f"; {expired} expired since" if expired > 0 else "")
        + f"). Redis answers on {layout.redis_url}."
    )
    if result.moved_aside is not None:
        console.print(f"The files it replaced are in {result.moved_aside}.")


def _interrupt_on_sigterm(_signum: int, _frame: object) -> None:
    # A plain SIGTERM would end Python without running the `finally` blocks that stop the
    # processes a command started; turn it into the same path as Ctrl-C.
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    app()


if __name__ == "__main__":
    main()


@compose_app.command("env")
def compose_env() -> None:
    """Print a new .env with every secret docker-compose needs, random: `sysaccess compose env > .env`."""
    from sysaccess.compose import env_file

    typer.echo(env_file(), nl=False)


@compose_app.command("files")
def compose_files() -> None:
    """Rewrite the files derived from the project's tables (Kafka setup script, provider config)."""
    from sysaccess.compose import write_files

    for path in write_files():
        console.print(f"wrote {path}")
