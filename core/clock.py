"""The one place services read the time from, so tests (and the demo seed) can move the clock."""

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from datetime import datetime

from django.utils import timezone

_fixed: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("clock_fixed", default=None)
# A process-wide source of time: the demo server follows its simulated fleet's virtual clock so
# that pages, ETAs and cut-offs all agree with where the vans are.
_source: Callable[[], datetime] | None = None


def now() -> datetime:
    fixed = _fixed.get()
    if fixed is not None:
        return fixed
    return _source() if _source is not None else timezone.now()


def follow(source: Callable[[], datetime] | None) -> None:
    """Make every `now()` in this process read `source` (None returns to the real clock)."""
    global _source
    _source = source


@contextlib.contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block, `now()` answers `moment` (which must be aware)."""
    if timezone.is_naive(moment):
        raise ValueError("frozen_at needs an aware datetime")
    token = _fixed.set(moment)
    try:
        yield
    finally:
        _fixed.reset(token)
