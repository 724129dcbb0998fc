"""Quiet hours: the local night in which a merchant's customers are not disturbed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def quiet_hours_release(*, now: dt.datetime, tz: ZoneInfo, start: dt.time, end: dt.time) -> dt.datetime | None:
    """When a message due `now` may be sent: None when `now` is outside quiet hours, else their end.

    The end is built as a wall-clock time on the local calendar day and only then turned into an
    instant, so a night across a DST change still ends at 08:00 local (a fixed 11-hour night
    would end at 07:00 or 09:00).
    """
    if start == end:
        return None
    local = now.astimezone(tz)
    clock_time = local.time()
    if start < end:  # a quiet span within one day, e.g. 12:00–14:00
        if start <= clock_time < end:
            return dt.datetime.combine(local.date(), end, tzinfo=tz)
        return None
    if clock_time >= start:  # evening: quiet until tomorrow morning
        return dt.datetime.combine(local.date() + dt.timedelta(days=1), end, tzinfo=tz)
    if clock_time < end:  # small hours: quiet until this morning
        return dt.datetime.combine(local.date(), end, tzinfo=tz)
    return None
