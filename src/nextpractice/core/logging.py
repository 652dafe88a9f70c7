"""Keep secrets and personal data out of logs: invitation tokens travel in URL paths.

With LOG_FORMAT=json every line, gunicorn's included, is one JSON object (time, level,
logger, message, and for requests method, path, status and seconds), for a log collector.
What goes in is the same as in plain lines: no query strings, no names nor addresses.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from gunicorn.glogging import Logger

from nextpractice.conf import env

_TOKEN_PATH = re.compile(r"/join/[^/\s?]+")


def redact(text: str) -> str:
    return _TOKEN_PATH.sub("/join/[token]", text)


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


def log_format() -> str:
    return env.choice("LOG_FORMAT", "plain", ("plain", "json"))


class JsonFormatter(logging.Formatter):
    """One JSON object a line; ``extra={"fields": {...}}`` adds fields of its own."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class GunicornLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.json = log_format() == "json"
        if self.json:
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not getattr(self, "json", False):
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "method": atoms["m"],
            "path": atoms["U"],
            "status": atoms["s"],
            "seconds": float(atoms["L"]),
        }
        self.access_log.info("request", extra={"fields": fields})

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        # Query strings and referrers can carry tokens too: drop them.
        atoms["q"] = atoms["f"] = "-"
        return atoms
