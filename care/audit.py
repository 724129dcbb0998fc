"""The audit trail of one delivery as care reads it: who changed what on it and on its exceptions, and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from care.models import JourneyException
from core.audit import FieldChange, audit_changes, audit_summary, audit_who
from scheduling.models import Delivery

# The newest entries of a delivery; a journey rarely has more, and the admin's log has them all.
TRAIL_LENGTH = 100


@dataclass(frozen=True)
class TrailEntry:
    at: dt.datetime
    who: str
    ip: str | None
    about: str
    what: str
    changes: list[FieldChange]


def delivery_audit_trail(*, delivery: Delivery, limit: int = TRAIL_LENGTH) -> list[TrailEntry]:
    """The delivery's entries and its exceptions', newest first, with who, from where, and before → after.

    A delivery's creation lists every field it was booked with; the trail shows it as one line, since
    the journey above already shows them.
    """
    delivery_type = ContentType.objects.get_for_model(Delivery)
    exception_type = ContentType.objects.get_for_model(JourneyException)
    exception_codes = dict(JourneyException.objects.filter(delivery=delivery).values_list("pk", "code"))
    entries = (
        LogEntry.objects.filter(
            Q(content_type=delivery_type, object_pk=str(delivery.pk))
            | Q(content_type=exception_type, object_id__in=list(exception_codes))
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")[:limit]
    )
    return [_trail_entry(entry, exception_codes, is_exception=entry.content_type_id == exception_type.pk)
            for entry in entries]


def _trail_entry(entry: LogEntry, exception_codes: dict[int, str], *, is_exception: bool) -> TrailEntry:
    about = f"Exception {exception_codes.get(entry.object_id, '')}".strip() if is_exception else "Delivery"
    created = entry.action == LogEntry.Action.CREATE
    what = audit_summary(entry)
    if created and not (entry.additional_data or {}).get("summary"):
        what = "Opened" if is_exception else "Booked"
    return TrailEntry(at=entry.timestamp, who=audit_who(entry), ip=entry.remote_addr, about=about, what=what,
                      changes=[] if created else audit_changes(entry))
