"""The ``sysaccess`` command: run everything locally, mint development tokens, measure."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from shared.orgno import is_valid_org_no
from sysaccess import infra, oidc
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
) -> None:
    """Intake throughput and latency (POST to event on Kafka) against a raw aiokafka baseline."""
    from sysaccess.bench_intake import run_intake_benchmark

    run_intake_benchmark(
        _profile(profile),
        requests=requests,
        concurrency=concurrency,
        report=report,
        console=console,
    )


@bench_app.command("flows")
def bench_flows(
    rate: Annotated[float, typer.Option(help="Offered flows per second (open loop)")] = 50,
    duration: Annotated[float, typer.Option(help="Seconds per step")] = 20,
    ramp: Annotated[
        bool, typer.Option(help="Step the rate from 25% to 200% until p99 passes 500 ms")
    ] = False,
    report: Annotated[Path | None, typer.Option(help="Append the figures to this Markdown file")] = None,
) -> None:
    """Full flows at a constant arrival rate, with a bare-aiokafka baseline in the same run."""
    from sysaccess.bench_flows import run_flows_benchmark

    run_flows_benchmark(rate, duration, ramp, report, console)


@app.command()
def chaos(
    scenario: Annotated[
        str, typer.Argument(help="kafka-kill, service-kill, redis-restart, poison, rebalance")
    ],
    flows: Annotated[int, typer.Option(help="Full flows to drive")] = 200,
    concurrency: Annotated[int, typer.Option(help="Flows in flight")] = 24,
    report: Annotated[Path | None, typer.Option(help="Append the tables to this Markdown file")] = None,
) -> None:
    """Drive full flows while injecting a fault; print what was lost or duplicated ("all": every scenario)."""
    import asyncio

    from sysaccess.chaos import SCENARIOS, append_report, print_report, run_scenario

    chosen = SCENARIOS if scenario == "all" else (scenario,)
    failed = False
    for name in chosen:
        result = asyncio.run(run_scenario(name, flows, concurrency=concurrency, console=console))
        print_report(result, console)
        failed |= not result.passed
        if report is not None:
            command = f"sysaccess chaos {name} --flows {flows} --concurrency {concurrency}"
            append_report(result, report, command)
    if failed:
        raise typer.Exit(1)


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
