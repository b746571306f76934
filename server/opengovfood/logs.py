"""Structured logging: JSON lines by default, readable console lines on request.

Every line carries the request id of the RPC it was written in.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from opengovfood.context import request_id_var, trace_id_var

_STANDARD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD_ATTRS}
    trace_id = trace_id_var.get()
    if trace_id:
        extras.setdefault("trace_id", trace_id)
    return extras


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extras = _extras(record)
        extras.setdefault("request_id", request_id_var.get())
        entry.update(extras)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = _extras(record)
        extras.setdefault("request_id", request_id_var.get())
        fields = " ".join(f"{k}={v}" for k, v in extras.items())
        line = (
            f"{time.strftime('%H:%M:%S', time.localtime(record.created))} "
            f"{record.levelname:<7} {record.name}: {record.getMessage()} {fields}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(fmt: str = "json", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter below WARNING is noise in an access-logged service.
    # aiosqlite logs every statement with its parameters at DEBUG (password hashes).
    for name in ("sqlalchemy", "alembic", "asyncio", "httpx", "httpcore", "aiosqlite"):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
