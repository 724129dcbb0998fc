"""What every log line says about the work it belongs to: the request id, the merchant, the delivery, the task.

One request id follows an action through the processes that do it: the web process takes it from the
client's `X-Request-ID` (when it looks like an id, see `request_id_accept`) or makes one, answers it in
the response, hands it to every Celery task the request enqueues (a message header) and to every
websocket event it publishes; the worker and the socket consumer put it back in place before they work.

Fields are identifiers only (a merchant's slug, a delivery's id, a task's name), never a name, phone
number, email or address: operators follow an action by them and look people up where access is checked.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

FIELDS = ("request_id", "merchant", "delivery", "task")

_context: ContextVar[dict[str, str] | None] = ContextVar("log_context", default=None)

# A client's id is used as given only if it reads as an id: letters, digits and - _ . : (UUIDs, ULIDs, the
# hex of a trace id, a load balancer's "Root=1-abc-def"), 8 to 128 of them. Anything else (spaces,
# quotes, control characters, a novel) would let a client forge or break log lines, and gets a new id.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=-]{7,127}")


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_accept(candidate: str | None) -> str:
    """The client's request id when it looks like one, else a fresh id."""
    if candidate and _SANE_ID.fullmatch(candidate):
        return candidate
    return request_id_new()


def log_context() -> dict[str, str]:
    """The fields bound now (a copy)."""
    return dict(_context.get() or {})


def request_id_current() -> str | None:
    return (_context.get() or {}).get("request_id")


@contextlib.contextmanager
def log_bound(**fields: object) -> Iterator[None]:
    """Add fields to every log line written inside the block (None leaves a field as it was)."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown log field(s): {sorted(unknown)}")
    merged = {**(_context.get() or {}), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def log_bind(**fields: object) -> None:
    """Add fields for the rest of the current scope (a request, a task), once they are known (the merchant,
    after the API key is checked). The scope's `log_bound` block ends them."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown log field(s): {sorted(unknown)}")
    current = _context.get()
    if current is None:
        return  # outside a bound scope nothing would end them: they would leak into the next piece of work
    # In place, so the scope's copies of this context (a thread that a sync view runs in) share them.
    current.update({k: str(v) for k, v in fields.items() if v is not None})


class LogContextFilter(logging.Filter):
    """Stamp each record with the bound fields (empty when unbound), for the formatters to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _context.get() or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, bound.get(name, ""))
        return True
