"""Logging set-up that never leaks a token.

The Bot API puts the token in every URL, so any exception text may carry it. A filter on every
handler replaces known secrets and anything shaped like a bot token before a line is written.
"""

from __future__ import annotations

import json
import logging
import re

TOKEN_SHAPE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
REDACTED = "<redacted>"


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def add(self, secret: str) -> None:
        if secret and secret not in self.secrets:
            self.secrets.append(secret)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return TOKEN_SHAPE.sub(REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            formatted = logging.Formatter().formatException(record.exc_info)
            message = f"{message}\n{formatted}"
            record.exc_info = None
            record.exc_text = None
        record.msg = self.redact(message)
        record.args = ()
        return True


REDACTOR = RedactSecrets()
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    """One JSON object a line (`BINHYEN_LOG_FORMAT=json`), for a log collector: time, level,
    logger, message (already redacted by the handler's filter), Vietnamese kept readable."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"at": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def setup_logging(level: str, secrets: list[str] | None = None, *,
                  json_lines: bool = False) -> None:
    for secret in secrets or []:
        REDACTOR.add(secret)
    root = logging.getLogger()
    root.setLevel(level)
    if not any(isinstance(f, RedactSecrets) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonLines() if json_lines else logging.Formatter(TEXT_FORMAT))
        handler.addFilter(REDACTOR)
        root.addHandler(handler)
    for handler in root.handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for chatty in CHATTY_LIBRARIES:
        logging.getLogger(chatty).setLevel(max(logging.getLevelName(level), quiet))


# Libraries whose INFO lines are for their own developers: Alembic names every plugin and
# revision at start, APScheduler writes two lines every tick (5 s), aiogram one per update.
# At the default level the console shows our own lines only; BINHYEN_LOG_LEVEL=DEBUG brings
# them back.
CHATTY_LIBRARIES = ("alembic", "apscheduler", "aiogram.event", "aiohttp.access")
