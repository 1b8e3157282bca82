"""The log scan every test runs under (`tests/conftest.py: logs_leak_nothing`) finds what it
looks for: a phone number or a tip's words in the bot's line, not in the emulator's; and the
JSON lines format keeps a line's redaction."""

from __future__ import annotations

import json
import logging

from bot.logs import REDACTOR, JsonLines
from tests.conftest import LogScan


def _record(name: str, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, message, (), None)


def test_the_scan_finds_a_leak_in_the_bots_lines_only() -> None:
    scan = LogScan()
    scan.handle(_record("bot.services.tips.intake", "tip from 0912345678"))
    scan.handle(_record("bot.sandbox.core", "message 0912345678"))  # the platform's own line
    scan.handle(_record("scheduler.delivery", "sent 12 rows"))
    assert len(scan.leaks) == 1 and "0912345678" in scan.leaks[0]


def test_json_lines_are_redacted_like_text_lines() -> None:
    record = _record("bot.app", "calling https://api.telegram.org/bot123456789:"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc/getMe")
    assert REDACTOR.filter(record)
    line = json.loads(JsonLines().format(record))
    assert line["level"] == "INFO" and line["logger"] == "bot.app"
    assert "ABCDEFGHIJ" not in line["message"] and "<redacted>" in line["message"]
