"""Structured logs (structlog, JSON lines) and the /metrics route for every service.

Every line of the process goes through one handler on the root logger with structlog's
``ProcessorFormatter``: the project's own structlog calls and the standard-library lines of
uvicorn (its access log too), FastStream and aiokafka. Each line carries ``service``, the
``trace_id`` and ``span_id`` of the span it was written in (``shared.tracing``), and, inside an
HTTP request, its ``request_id`` (``shared.requestid``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO, TypeGuard

import structlog
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.tracing import current_ids

__all__ = ["FASTSTREAM_LOGGER", "configure_logging", "install_metrics_route"]

# The broker logs through this logger (``ServiceRuntime.build`` hands it to FastStream) rather
# than through FastStream's own, which writes coloured text to stdout and does not propagate.
FASTSTREAM_LOGGER = "faststream.kafka"
# Loggers that libraries give handlers of their own; ours take over.
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream", "faststream.access.kafka")
# Successful probes and scrapes are left out of the access log (failed ones stay).
_QUIET_PATHS = ("/livez", "/readyz", "/health", "/metrics")
_HANDLER_MARK = "_sysaccess_handler"


EventDict = MutableMapping[str, Any]


def add_trace_ids(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """``trace_id`` and ``span_id`` of the current span, when there is one."""
    ids = current_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def _add_service(service: str) -> structlog.typing.Processor:
    def add(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    return add


def access_fields(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    """uvicorn's access line as fields too: client, method, path, http_version, status.
    (The formatter hands over a foreign line's arguments as ``positional_args``; others drop them,
    and uvicorn's coloured copy of a message.)"""
    args = event_dict.pop("positional_args", None)
    event_dict.pop("color_message", None)  # uvicorn's ANSI-coloured copy of the message
    if event_dict.get("message") == event_dict.get("event"):  # set when another handler formatted it
        event_dict.pop("message")
    record = event_dict.get("_record")
    if isinstance(record, logging.LogRecord) and record.name == "uvicorn.access" and _is_access_args(args):
        client, method, path, version, status = args
        event_dict.update(client=client, method=method, path=path, http_version=version, status=status)
    return event_dict


def _is_access_args(args: Any) -> TypeGuard[tuple[Any, Any, Any, Any, Any]]:
    return isinstance(args, tuple) and len(args) == 5


def _is_access_line(record: logging.LogRecord) -> bool:
    return record.name == "uvicorn.access" and _is_access_args(record.args)


class QuietProbes(logging.Filter):
    """Drops access lines of successful probes and scrapes; everything else passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _is_access_line(record):
            return True
        assert isinstance(record.args, tuple)
        path, status = str(record.args[2]), record.args[4]
        quiet = path.split("?", 1)[0] in _QUIET_PATHS and isinstance(status, int) and status < 400
        return not quiet


def configure_logging(
    service: str, level: str = "INFO", json_logs: bool = True, *, stream: TextIO | None = None
) -> None:
    """Route every log line of the process through structlog, as JSON (or console text)."""
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        numeric_level = logging.INFO
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_service(service),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), access_fields],
        pass_foreign_args=True,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    # The handler's level, not only the root's: libraries that set their own loggers to DEBUG
    # (FastStream does, for its per-message lines) stay at the service's level.
    handler.setLevel(numeric_level)
    handler.addFilter(QuietProbes())
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    for name in (*_LIBRARY_LOGGERS, FASTSTREAM_LOGGER):
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def install_metrics_route(app: FastAPI) -> None:
    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
