"""The iCalendar invite for a delivery window (RFC 5545, iTIP METHOD REQUEST or CANCEL).

Written by hand rather than with the `icalendar` package: one VEVENT of a few
properties, whose only subtleties (escaping, CRLF, folding at 75 octets) fit here.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after CRLF and a space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def delivery_uid(delivery_id) -> str:
    """One UID per delivery, for ever: a reschedule updates the same calendar entry, a cancel removes it."""
    host = urlsplit(settings.PUBLIC_BASE_URL).hostname or "localhost"
    return f"delivery-{delivery_id}@{host}"


def invite_build(*, delivery_id, sequence: int, starts_at: dt.datetime, ends_at: dt.datetime, summary: str,
                 description: str, organizer_name: str, organizer_email: str, attendee_email: str,
                 cancel: bool, now: dt.datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Delivery portal//Delivery window//EN",
        "CALSCALE:GREGORIAN",
        f"METHOD:{'CANCEL' if cancel else 'REQUEST'}",
        "BEGIN:VEVENT",
        f"UID:{delivery_uid(delivery_id)}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(starts_at)}",
        f"DTEND:{_utc(ends_at)}",
        f"SUMMARY:{_text(summary)}",
        f"DESCRIPTION:{_text(description)}",
        f"ORGANIZER;CN={_text(organizer_name)}:mailto:{organizer_email}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=FALSE:mailto:{attendee_email}",
        f"STATUS:{'CANCELLED' if cancel else 'CONFIRMED'}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
