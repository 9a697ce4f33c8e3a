"""Structured logs, with structlog: one JSON object a line, or readable lines on a terminal.

The node logs through the standard library (`logging.getLogger(__name__)`, with `extra=` for
fields); the handler `install` puts on the `karakoram` loggers renders each record with
structlog's processors: time (UTC), level, logger, message, the fields, the request id and the
traceback when there is one. On a terminal the line is for a person (colours, aligned); else
(a service manager, a container, a pipe) it is JSON for the log collector.

The request id lives in a context variable set by the edge middleware (`edge.py`), so every
record logged while a request is served (by a route, a service in the thread pool, the error
mapper) carries it without being handed it: the formatter reads it when it writes the line.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor

_request_id: ContextVar[str | None] = ContextVar("karakoram_request_id", default=None)

#: what a client may choose as its request id: short, printable, no spaces or quotes
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


def request_id_from(header: str | None) -> str:
    """The client's `X-Request-ID` when it is sane, else a new random id."""
    if header and _SANE_ID.match(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    return _request_id.get()


def bind_request_id(request_id: str | None) -> object:
    """Make `request_id` the current one; returns the token `unbind_request_id` takes."""
    return _request_id.set(request_id)


def unbind_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def _add_request_id(logger: Any, name: str, event: EventDict) -> EventDict:
    """The id of the request being served, unless the record names one itself."""
    if not event.get("request_id"):
        request_id = current_request_id()
        if request_id:
            event["request_id"] = request_id
        else:
            event.pop("request_id", None)
    return event


def _chain() -> list[Processor]:
    """What every line gets, before it is rendered."""
    return [
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _add_request_id,
    ]


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """A log record as one JSON object: time, level, logger, message, request id, extras and
    the traceback (`exception`) when there is one."""

    def __init__(self) -> None:
        super().__init__(
            foreign_pre_chain=_chain(),
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.EventRenamer("message"),
                structlog.processors.JSONRenderer(default=str, ensure_ascii=False),
            ],
        )


class ConsoleFormatter(structlog.stdlib.ProcessorFormatter):
    """A log record as a line for a person at a terminal, the same fields as the JSON."""

    def __init__(self, colors: bool = True) -> None:
        super().__init__(
            foreign_pre_chain=_chain(),
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.dev.ConsoleRenderer(colors=colors),
            ],
        )


def formatter_for(stream: TextIO) -> logging.Formatter:
    """JSON lines, unless `stream` is a terminal."""
    isatty = getattr(stream, "isatty", None)
    return ConsoleFormatter() if isatty is not None and isatty() else JsonFormatter()


_HANDLER_MARK = "karakoram_structured"


def install(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Give the `karakoram` loggers a structured handler on stderr (once per process)."""
    logger = logging.getLogger("karakoram")
    if any(getattr(h, _HANDLER_MARK, False) for h in logger.handlers):
        return
    target = stream or sys.stderr
    handler = logging.StreamHandler(target)
    handler.setFormatter(formatter_for(target))
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
