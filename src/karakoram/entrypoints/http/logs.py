"""Structured logs of the HTTP edge: one JSON object a line, each carrying the request id.

The request id lives in a context variable set by the edge middleware (`edge.py`), so every
record logged while a request is served (by a route, a service in the thread pool, the error
mapper) carries it without being handed it: the formatter reads it when it writes the line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

_request_id: ContextVar[str | None] = ContextVar("karakoram_request_id", default=None)

#: what a client may choose as its request id: short, printable, no spaces or quotes
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")

#: LogRecord attributes that are not extra fields of the line
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


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


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, request id, extras and
    the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


_HANDLER_MARK = "karakoram_json"


def install(level: int = logging.INFO) -> None:
    """Give the `karakoram` loggers a JSON handler on stderr (once per process)."""
    logger = logging.getLogger("karakoram")
    if any(getattr(h, _HANDLER_MARK, False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
