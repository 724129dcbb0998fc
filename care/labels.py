"""How care names things to its agents: windows, recipients, agents, durations."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser


def window_label(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> str:
    start, end = start.astimezone(tz), end.astimezone(tz)
    return f"{start:%a %d %b}, {start:%H:%M}–{end:%H:%M}"


def recipient_short(name: str) -> str:
    """"Camille Durand" → "Camille D.": enough to recognise a caller, not to read out a full name."""
    parts = name.split()
    if not parts:
        return ""
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0].upper()}."




def duration_label(delta: dt.timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def agent_label(user: AbstractBaseUser | None) -> str:
    """How an agent is named to colleagues: full name if set, else the username."""
    if user is None:
        return ""
    full = user.get_full_name().strip() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()
