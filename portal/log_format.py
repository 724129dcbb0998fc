"""How log lines are written: one JSON object a line in production, a readable line in development.

Both print the fields of `core.log_context` (request id, merchant, delivery, task); the JSON lines also
carry whatever a call passes in `extra` (an access line's route, status and duration).
"""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter

from core.log_context import FIELDS


class JsonLineFormatter(JsonFormatter):
    """{"timestamp", "level", "logger", "message", "request_id", ...}; fields that are unset are left out."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", ["levelname", "name", "message", *FIELDS])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data):
        return {key: value for key, value in log_data.items() if value not in ("", None)}


class TextLineFormatter(logging.Formatter):
    """"2026-05-01 10:00:00 INFO scheduling.services [req=… merchant=…] message", for a person at a terminal."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        bound = " ".join(f"{name}={getattr(record, name)}" for name in FIELDS if getattr(record, name, ""))
        record.context = f" [{bound}]" if bound else ""
        return super().format(record)
