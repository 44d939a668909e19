"""One in-memory span exporter for the whole test process, on the process's tracer provider."""

from __future__ import annotations

from functools import cache

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.tracing import configure_tracing


@cache
def span_exporter() -> InMemorySpanExporter:
    """Every span ended in this process from now on (``clear()`` it at the start of a test)."""
    exporter = InMemorySpanExporter()
    configure_tracing("tests", processor=SimpleSpanProcessor(exporter))
    return exporter
