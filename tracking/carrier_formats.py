"""The two carrier feed shapes we accept, parsed into one flat item type.

SwiftPost posts one event per request, flat:

    {"event_id": "SP-000123", "tracking_ref": "<our delivery id>", "status_code": "OFD",
     "status_text": "Out for delivery", "event_time": "2026-11-23T09:12:00+01:00",
     "reason_code": "", "lat": 48.85, "lon": 2.35}

ParcelNet posts batches, nested by consignment; a code may carry a sub-code:

    {"batch_id": "B-77", "sent_at": "...",
     "consignments": [{"consignment": {"reference": "<our delivery id>", "carrier_ref": "PN123"},
                       "events": [{"id": "E1", "code": "40", "subcode": "NH", "occurred_at": "...",
                                   "location": {"lat": 48.85, "lng": 2.35}, "description": "Nobody home"}]}]}

The mapping key of a ParcelNet event is "40-NH" when it has a sub-code, else "40".
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.dateparse import parse_datetime


class CarrierPayloadError(ValueError):
    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class CarrierItem:
    external_id: str
    external_code: str
    reference: str
    recorded_at: dt.datetime
    reason: str
    lat: float | None
    lng: float | None
    note: str
    payload: dict


def _text(data: dict, key: str, path: str, errors: dict, *, required: bool = True, limit: int = 80) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            errors.setdefault(f"{path}{key}", []).append("This field is required.")
        return ""
    if not isinstance(value, str | int):
        errors.setdefault(f"{path}{key}", []).append("Must be a string.")
        return ""
    value = str(value).strip()
    if len(value) > limit:
        errors.setdefault(f"{path}{key}", []).append(f"At most {limit} characters.")
    return value[:limit]


def _time(data: dict, key: str, path: str, errors: dict) -> dt.datetime | None:
    raw = data.get(key)
    parsed = parse_datetime(raw) if isinstance(raw, str) else None
    if parsed is None or parsed.tzinfo is None:
        errors.setdefault(f"{path}{key}", []).append("An ISO 8601 date-time with its UTC offset is required.")
        return None
    return parsed.astimezone(dt.UTC)


def _coordinate(data: dict, key: str, path: str, errors: dict, bound: float) -> float | None:
    raw = data.get(key)
    if raw is None:
        return None
    if not isinstance(raw, int | float) or isinstance(raw, bool) or not -bound <= raw <= bound:
        errors.setdefault(f"{path}{key}", []).append(f"A number between -{bound} and {bound}.")
        return None
    return float(raw)


def parse_swiftpost(payload: Any) -> list[CarrierItem]:
    if not isinstance(payload, dict):
        raise CarrierPayloadError({"non_field_errors": ["A JSON object is expected."]})
    errors: dict[str, list[str]] = {}
    item = CarrierItem(
        external_id=_text(payload, "event_id", "", errors),
        external_code=_text(payload, "status_code", "", errors, limit=40),
        reference=_text(payload, "tracking_ref", "", errors),
        recorded_at=_time(payload, "event_time", "", errors),
        reason=_text(payload, "reason_code", "", errors, required=False, limit=40),
        lat=_coordinate(payload, "lat", "", errors, 90),
        lng=_coordinate(payload, "lon", "", errors, 180),
        note=_text(payload, "status_text", "", errors, required=False, limit=300),
        payload=payload,
    )
    if errors:
        raise CarrierPayloadError(errors)
    return [item]


def parse_parcelnet(payload: Any) -> list[CarrierItem]:
    if not isinstance(payload, dict) or not isinstance(payload.get("consignments"), list):
        raise CarrierPayloadError({"consignments": ["A list of consignments is expected."]})
    errors: dict[str, list[str]] = {}
    items: list[CarrierItem] = []
    for c_index, entry in enumerate(payload["consignments"]):
        path = f"consignments[{c_index}]."
        consignment = entry.get("consignment") if isinstance(entry, dict) else None
        events = entry.get("events") if isinstance(entry, dict) else None
        if not isinstance(consignment, dict) or not isinstance(events, list):
            errors.setdefault(path.rstrip("."), []).append("Needs a consignment object and a list of events.")
            continue
        reference = _text(consignment, "reference", f"{path}consignment.", errors)
        for e_index, event in enumerate(events):
            e_path = f"{path}events[{e_index}]."
            if not isinstance(event, dict):
                errors.setdefault(e_path.rstrip("."), []).append("An object is expected.")
                continue
            code = _text(event, "code", e_path, errors, limit=20)
            subcode = _text(event, "subcode", e_path, errors, required=False, limit=19)
            location = event.get("location") if isinstance(event.get("location"), dict) else {}
            items.append(CarrierItem(
                external_id=_text(event, "id", e_path, errors),
                external_code=f"{code}-{subcode}" if subcode else code,
                reference=reference,
                recorded_at=_time(event, "occurred_at", e_path, errors),
                reason="",
                lat=_coordinate(location, "lat", f"{e_path}location.", errors, 90),
                lng=_coordinate(location, "lng", f"{e_path}location.", errors, 180),
                note=_text(event, "description", e_path, errors, required=False, limit=300),
                payload={"consignment": consignment, "event": event},
            ))
    if errors:
        raise CarrierPayloadError(errors)
    return items


def base_code(external_code: str) -> str:
    return external_code.split("-", 1)[0]
