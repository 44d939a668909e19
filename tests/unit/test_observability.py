"""Logs, traces and HTTP metrics every service shares, without Kafka or Redis: each JSON line
carries the trace id (the project's lines and uvicorn's, FastStream's and aiokafka's), requests
get a request id, and the HTTP metrics count by route template and status."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from fastapi import FastAPI
from prometheus_client import REGISTRY

from shared import metrics, tracing
from shared.observability import FASTSTREAM_LOGGER, configure_logging
from shared.requestid import RequestId, request_id_of
from tests.support.tracing import span_exporter

pytestmark = pytest.mark.unit


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Logging configured as a service does, into a buffer; the previous root handlers after."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    stream = io.StringIO()
    span_exporter()
    configure_logging("unit-test", "INFO", json_logs=True, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = before
        root.setLevel(level)
        structlog.reset_defaults()


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_every_line_is_json_with_the_trace_id_whoever_wrote_it(log_lines: io.StringIO) -> None:
    with tracing.span("work") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        structlog.get_logger("shared.something").info("own.event", detail=1)
        logging.getLogger("uvicorn.error").warning("uvicorn says")
        logging.getLogger(FASTSTREAM_LOGGER).info("faststream says", extra={"topic": "t"})
        logging.getLogger("aiokafka.consumer").error("aiokafka says")
    lines = parsed(log_lines)
    assert [line["event"] for line in lines] == [
        "own.event",
        "uvicorn says",
        "faststream says",
        "aiokafka says",
    ]
    for line in lines:
        assert line["trace_id"] == trace_id
        assert line["service"] == "unit-test"
        assert "timestamp" in line
        assert "level" in line
    assert lines[2]["topic"] == "t"  # FastStream's context fields stay fields


def test_outside_a_span_there_is_no_trace_id(log_lines: io.StringIO) -> None:
    structlog.get_logger("x").info("quiet")
    (line,) = parsed(log_lines)
    assert "trace_id" not in line


def test_levels_below_the_service_level_are_dropped_even_from_chatty_libraries(
    log_lines: io.StringIO,
) -> None:
    chatty = logging.getLogger(FASTSTREAM_LOGGER)
    chatty.setLevel(logging.DEBUG)  # FastStream does this for its per-message lines
    chatty.debug("Received")
    structlog.get_logger("y").debug("own debug")
    assert parsed(log_lines) == []


def access(path: str, status: int) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", status), None,
    )  # fmt: skip


def test_the_access_log_has_fields_and_the_request_id_and_skips_good_probes(log_lines: io.StringIO) -> None:
    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        for record in (access("/v1/x", 200), access("/livez", 200), access("/readyz", 503)):
            logging.getLogger("uvicorn.access").handle(record)
    first, failed_probe = parsed(log_lines)
    assert first["request_id"] == "req-1"
    assert (first["method"], first["path"], first["status"]) == ("GET", "/v1/x", 200)
    assert failed_probe["path"] == "/readyz"
    assert failed_probe["status"] == 503


def test_a_caller_s_request_id_is_kept_only_when_it_is_a_short_token() -> None:
    assert request_id_of("abc-123_x.y") == "abc-123_x.y"
    for bad in (None, "", "has space", "x" * 65, "semi;colon", "line\nbreak"):
        generated = request_id_of(bad)
        assert generated != bad
        assert len(generated) == 32


def instrumented_app(service: str) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        structlog.get_logger("handler").info("item.read", item=item_id)
        return {"id": item_id}

    metrics.instrument_app(app, service)
    app.add_middleware(RequestId)
    tracing.instrument_app(app)
    return app


async def test_requests_get_an_id_a_span_and_metrics_by_route_template(log_lines: io.StringIO) -> None:
    exporter = span_exporter()
    exporter.clear()
    app = instrumented_app("unit-http")
    labels = {"service": "unit-http", "method": "GET", "route": "/items/{item_id}", "status": "200"}
    before = sample("sysaccess_http_requests_total", labels)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        own = await client.get("/items/1", headers={"x-request-id": "from-proxy"})
        new = await client.get("/items/2")
        missing = await client.get("/nowhere")
    assert own.headers["x-request-id"] == "from-proxy"
    assert len(new.headers["x-request-id"]) == 32
    assert missing.status_code == 404
    assert sample("sysaccess_http_requests_total", labels) == before + 2
    assert sample("sysaccess_http_requests_total", {**labels, "route": "none", "status": "404"}) >= 1
    duration = {"service": "unit-http", "method": "GET", "route": "/items/{item_id}"}
    assert sample("sysaccess_http_request_duration_seconds_count", duration) >= 2
    # The handler's line carries the request id and the trace of the server span.
    server_spans = [s for s in exporter.get_finished_spans() if s.name == "GET /items/{item_id}"]
    assert len(server_spans) == 2
    lines = [line for line in parsed(log_lines) if line["event"] == "item.read"]
    assert lines[0]["request_id"] == "from-proxy"
    assert lines[0]["trace_id"] == format(server_spans[0].context.trace_id, "032x")
    assert server_spans[0].attributes is not None
    assert server_spans[0].attributes["http.request.id"] == "from-proxy"


async def test_a_caller_s_traceparent_is_continued() -> None:
    exporter = span_exporter()
    exporter.clear()
    app = instrumented_app("unit-http-trace")
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.get("/items/9", headers={"traceparent": parent})
    (server,) = [s for s in exporter.get_finished_spans() if s.name == "GET /items/{item_id}"]
    assert format(server.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"


def test_a_stored_carrier_continues_the_trace_and_a_damaged_one_starts_anew() -> None:
    span_exporter()
    with tracing.span("request") as request:
        stored = tracing.carrier_json()
    assert stored
    with tracing.span("later", parent=tracing.carrier_from_json(stored)) as later:
        assert later.get_span_context().trace_id == request.get_span_context().trace_id
    assert tracing.carrier_from_json("not json") == {}
    assert tracing.carrier_from_json('["list"]') == {}
    assert tracing.carrier_from_json(None) == {}


def test_a_span_continuing_a_stored_trace_links_the_one_it_interrupts() -> None:
    exporter = span_exporter()
    with tracing.span("request"):
        stored = tracing.carrier()
    exporter.clear()
    with tracing.span("portal click") as click, tracing.span("decide", parent=stored, link_current=True):
        pass
    decide = next(s for s in exporter.get_finished_spans() if s.name == "decide")
    assert decide.context.trace_id != click.get_span_context().trace_id
    assert [link.context.span_id for link in decide.links] == [click.get_span_context().span_id]


def test_an_outbox_entry_keeps_the_trace_it_was_written_in() -> None:
    from shared import events as ev
    from shared.outbox import outbox_fields

    span_exporter()
    event = ev.RequestWithdrawn(
        request_id=uuid.uuid4(), system_id="s", vendor_org_no="314000110", party_org_no="310614289"
    )
    assert "trace" not in outbox_fields(event)
    with tracing.span("vendor post") as post:
        fields = outbox_fields(event)
    stored = tracing.carrier_from_json(fields["trace"])
    assert stored["traceparent"].split("-")[1] == format(post.get_span_context().trace_id, "032x")


def test_a_record_handled_out_of_a_batch_continues_its_own_trace() -> None:
    from aiokafka.structs import ConsumerRecord

    exporter = span_exporter()
    with tracing.span("vendor post") as post:
        headers = [(k, v.encode()) for k, v in tracing.carrier().items()]
    record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
        "sysaccess.access-created.v1", 2, 41, 0, 0, b"k", b"{}", None, 1, 2, headers
    )
    exporter.clear()
    with tracing.record_span(record) as consumed:
        assert consumed.get_span_context().trace_id == post.get_span_context().trace_id
    (finished,) = exporter.get_finished_spans()
    assert finished.name == "sysaccess.access-created.v1 process"
    assert finished.parent is not None
    assert finished.parent.span_id == post.get_span_context().span_id
    untraced: ConsumerRecord[bytes, bytes] = ConsumerRecord("t", 0, 0, 0, 0, None, b"{}", None, 0, 2, [])
    with tracing.record_span(untraced) as fresh:
        assert fresh.get_span_context().trace_id != post.get_span_context().trace_id
