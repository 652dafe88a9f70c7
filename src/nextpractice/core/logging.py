"""Keep secrets and personal data out of logs: invitation tokens travel in URL paths."""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

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


class GunicornLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r", "q", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        # Query strings and referrers can carry tokens too: drop them.
        atoms["q"] = atoms["f"] = "-"
        return atoms
