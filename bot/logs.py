"""How the process logs: plain text lines by default, or JSON lines (`BDHVS_LOG_FORMAT=json`) for a log
collector: one object a line with `time` (UTC, ISO 8601), `level`, `logger`, `message`, and `exception` (the
traceback) when there is one."""

from __future__ import annotations

import datetime as dt
import json
import logging

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (a traceback's newlines are escaped inside its string)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """Send the process's log to standard error in the format asked for (replacing any handler set before)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def root_log_format() -> str | None:
    """The root logger's format, to set up a child process the same way: "json", a text format, or None."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter if root.handlers else None
    if isinstance(formatter, JsonFormatter):
        return "json"
    return getattr(formatter, "_fmt", None)
