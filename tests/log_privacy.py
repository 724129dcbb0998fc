"""No log line names a customer: a check over every line written while a test books, tracks or messages.

`personal_data_in` finds, in formatted log lines (JSON, as production writes them, with their fields and
any traceback), a phone number or an email address of any shape, and the recipient's name, phone, email
and street of every delivery saved during the test. The autouse fixture in tests/conftest.py applies it to
the booking, tracking and messaging suites.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from core.log_context import LogContextFilter
from portal.log_format import JsonLineFormatter

# E.164 and its spaced or dotted forms ("+33 6 12 34 56 78"); and anything shaped like an email address.
PHONE = re.compile(r"(?<![\w+])\+\d(?:[ .-]?\d){7,14}(?!\d)")
EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


# Loggers of the tests' stand-ins for the outside world, not of the portal: the SMTP server that receives
# the portal's email (aiosmtpd) logs each envelope, as a mail server does.
OUTSIDE_WORLD_LOGGERS = ("mail.log",)


class LineCapture(logging.Handler):
    """Every record at the level the loggers let through, formatted as production writes it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(LogContextFilter())
        self.setFormatter(JsonLineFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(OUTSIDE_WORLD_LOGGERS):
            return
        try:
            self.lines.append(self.format(record))
        except Exception as error:  # a line that cannot be formatted is itself worth failing on
            self.lines.append(f"unformattable record {record.name}: {error!r}")


def delivery_personal_values(delivery) -> set[str]:
    values = {delivery.recipient_name, delivery.recipient_phone, delivery.recipient_email, delivery.address_line1}
    return {value for value in values if value and len(value) >= 4}


def personal_data_in(lines: Iterable[str], known: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(what was found, the line) for each line that holds personal data."""
    known = sorted(set(known), key=len, reverse=True)
    found = []
    for line in lines:
        hits = [m.group(0) for m in PHONE.finditer(line)] + [m.group(0) for m in EMAIL.finditer(line)]
        # The JSON line escapes non-ASCII characters; compare with the value as it would be written there.
        hits += [value for value in known if value in line or _json_escaped(value) in line]
        if hits:
            found.append((", ".join(hits), line))
    return found


def _json_escaped(value: str) -> str:
    import json

    return json.dumps(value)[1:-1]
