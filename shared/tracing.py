"""OpenTelemetry traces for every service: HTTP in, Kafka across, and through Redis where the
work waits there (the outbox, the notifier's delivery jobs, a request waiting for its decision).

One SDK tracer provider per process, always installed, so that every span has a trace id for
the logs and for the ``traceparent`` header, whether or not spans are exported. Export is off
by default; ``configure_tracing(..., otlp_endpoint=...)`` sends them over OTLP/HTTP.

Context crosses process boundaries as W3C trace context (``traceparent``/``tracestate``):

- HTTP requests: the FastAPI instrumentation (``instrument_app``) starts a server span, a
  child of the caller's ``traceparent`` if it sent one;
- Kafka: FastStream's ``KafkaTelemetryMiddleware`` puts the context in the headers of what the
  broker publishes and continues it in every consumer;
- Redis: ``carrier()`` captures the current context as a small dict to store beside the work
  (``shared.outbox`` stores it with each entry), and ``span(..., parent=stored)`` continues it
  when the work is picked up (the relay publishes the entry with a ``traceparent`` header).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = [
    "Span",
    "carrier",
    "carrier_from_json",
    "carrier_json",
    "carrier_of",
    "configure_tracing",
    "current_ids",
    "instrument_app",
    "instrument_broker",
    "record_span",
    "span",
    "start_span",
]

TRACER_NAME = "sysaccess"
# Probes and scrapes are not worth a trace each. Nor are Maskinporten's lookup and the system-user
# token endpoint: one synchronous read on every vendor call, where a server span would cost about
# 0.2 ms of the 0.5-0.8 ms a call takes (their metrics and access log lines stay).
UNTRACED_URLS = "livez,readyz,health,metrics,systemuser/byExternalId,oauth2/token"

_PROPAGATOR = TraceContextTextMapPropagator()
_exporting: set[str] = set()


def configure_tracing(
    service: str, *, otlp_endpoint: str | None = None, processor: SpanProcessor | None = None
) -> TracerProvider:
    """Install the process's tracer provider (once: a second service in the same process, as in
    the tests, shares it) and, with ``otlp_endpoint``, export spans there in batches."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": service}))
        trace.set_tracer_provider(provider)
    if processor is not None:
        provider.add_span_processor(processor)
    if otlp_endpoint and otlp_endpoint not in _exporting:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
        _exporting.add(otlp_endpoint)
    return provider


def instrument_app(app: FastAPI) -> None:
    """A server span per HTTP request (not for probes and scrapes), continuing the caller's trace."""
    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_URLS, exclude_spans=["receive", "send"])


def instrument_broker(broker: KafkaBroker) -> None:
    """Consumer spans that continue the ``traceparent`` of each record, and producer spans whose
    context goes into the headers of what the broker publishes. Outermost, so a consumer span
    covers the handler's retries and a dead letter it writes (which then carries the trace)."""
    broker.insert_middleware(KafkaTelemetryMiddleware())


def carrier() -> dict[str, str]:
    """The current trace context as W3C headers (empty outside any span)."""
    headers: dict[str, str] = {}
    _PROPAGATOR.inject(headers)
    return headers


def carrier_json() -> str:
    """``carrier()`` as a JSON text to store in Redis ("" outside any span)."""
    headers = carrier()
    return json.dumps(headers, separators=(",", ":")) if headers else ""


def carrier_from_json(text: str | None) -> dict[str, str]:
    """The stored carrier back; a missing or damaged one is an empty carrier (a new trace)."""
    if not text:
        return {}
    try:
        loaded = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(loaded, dict):
        return {}
    return {str(k): str(v) for k, v in loaded.items()}


@contextlib.contextmanager
def span(
    name: str,
    *,
    parent: Mapping[str, str] | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
    link_current: bool = False,
) -> Iterator[Span]:
    """A current span; with ``parent`` (a stored carrier) a child of that context instead of the
    current one, and with ``link_current`` linked to the span it interrupts (so a decision made
    from the portal continues the vendor's request trace and still points at the click)."""
    tracer = trace.get_tracer(TRACER_NAME)
    links: Sequence[Link] = ()
    current = trace.get_current_span().get_span_context()
    if link_current and current.is_valid:
        links = (Link(current),)
    context = _PROPAGATOR.extract(dict(parent)) if parent else None
    with tracer.start_as_current_span(
        name, context=context, kind=kind, attributes=dict(attributes or {}), links=links
    ) as current_span:
        yield current_span


def start_span(
    name: str,
    *,
    parent: Mapping[str, str] | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
) -> Span:
    """A span that is not made current, to end later (``span.end()``); a child of ``parent``
    when given, else of the current span."""
    context = _PROPAGATOR.extract(dict(parent)) if parent else None
    return trace.get_tracer(TRACER_NAME).start_span(
        name, context=context, kind=kind, attributes=dict(attributes or {})
    )


def carrier_of(started: Span) -> dict[str, str]:
    """W3C headers naming ``started`` as the parent (empty for a span without a valid context)."""
    headers: dict[str, str] = {}
    _PROPAGATOR.inject(headers, context=trace.set_span_in_context(started))
    return headers


@contextlib.contextmanager
def record_span(record: Any) -> Iterator[Span]:
    """A consumer span for one Kafka record (an aiokafka ``ConsumerRecord``), continuing the trace
    of its ``traceparent`` header: for a consumer that handles records one by one out of a batch,
    where FastStream's middleware sees only the batch (it starts a new trace linking the records)."""
    headers = {name: value.decode("latin-1") for name, value in (record.headers or ()) if value is not None}
    carried = {k: v for k, v in headers.items() if k in ("traceparent", "tracestate")}
    attributes: dict[str, Any] = {
        "messaging.system": "kafka",
        "messaging.operation": "process",
        "messaging.destination.name": record.topic,
        "messaging.kafka.destination.partition": record.partition,
        "messaging.kafka.message.offset": record.offset,
    }
    with span(
        f"{record.topic} process", parent=carried or None, kind=SpanKind.CONSUMER, attributes=attributes
    ) as s:
        yield s


def current_ids() -> tuple[str, str] | None:
    """The current (trace id, span id) in hex, for log lines; None outside any span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
