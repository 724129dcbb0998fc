"""The promised window as an iCalendar event (RFC 5545), for the customer's "Add to calendar" link.

One event per delivery: its UID never changes, so a calendar that imports the file again after a reschedule
moves the event rather than adding a second one. Times are UTC (the `Z` form), so no time zone table is
needed. What a stranger holding the link may see on the page, no more: the brand, the window, the page's
address; never the street address or the recipient.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from scheduling.models import Delivery

# RFC 5545 §3.1: content lines are folded at 75 octets; the continuation starts with one space.
LINE_OCTETS = 75


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """A TEXT value (§3.3.11): backslash, semicolon, comma and line breaks escaped."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> str:
    """Split a content line into pieces of at most 75 octets, never inside a UTF-8 character."""
    pieces, current, size = [], "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = LINE_OCTETS if not pieces else LINE_OCTETS - 1  # continuations spend one octet on the space
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def delivery_calendar(*, delivery: Delivery, tracking_url: str, now: dt.datetime) -> str:
    """The VCALENDAR text of the delivery's window, with CRLF line endings, in the active language."""
    window = delivery.window
    brand = delivery.merchant.brand_name
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname or "localhost"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Last-mile delivery portal//Tracking page//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:delivery-{delivery.pk}@{host}",
        f"DTSTAMP:{_utc(now)}",
        f"LAST-MODIFIED:{_utc(delivery.updated_at)}",
        f"DTSTART:{_utc(window.starts_at)}",
        f"DTEND:{_utc(window.ends_at)}",
        "SUMMARY:" + _text(_("Delivery from %(brand)s") % {"brand": brand}),
        "DESCRIPTION:" + _text(_("Follow your delivery live: %(url)s") % {"url": tracking_url}),
        f"URL:{tracking_url}",
        "STATUS:" + ("CANCELLED" if delivery.status == Delivery.Status.CANCELLED else "CONFIRMED"),
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)
