"""Third-party carriers: authenticate, keep every raw event, map codes to canonical milestones."""

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from core import clock
from scheduling.models import Delivery
from tracking.carrier_formats import (
    CarrierItem,
    CarrierPayloadError,
    base_code,
    parse_parcelnet,
    parse_swiftpost,
)
from tracking.errors import TrackingError, TrackingErrorCode
from tracking.models import Carrier, CarrierCodeMapping, Event, Milestone, RawCarrierEvent
from tracking.services.journey import event_record, journey_problem_report

PARSERS = {Carrier.Format.SWIFTPOST: parse_swiftpost, Carrier.Format.PARCELNET: parse_parcelnet}


def carrier_secret_digest(raw_secret: str) -> str:
    return hashlib.sha256(raw_secret.encode()).hexdigest()


def carrier_authenticate(*, code: str, raw_secret: str) -> Carrier | None:
    """The active carrier with this code whose shared secret is `raw_secret`, or None."""
    carrier = Carrier.objects.filter(code=code, active=True).first()
    if carrier is None or not raw_secret:
        return None
    if not hmac.compare_digest(carrier.secret_digest, carrier_secret_digest(raw_secret)):
        return None
    return carrier


@dataclass(frozen=True)
class CarrierEventOutcome:
    external_id: str
    external_code: str
    outcome: str  # recorded | duplicate | unmapped | unknown_delivery
    milestone: str


def _delivery_for(reference: str) -> Delivery | None:
    try:
        delivery_id = uuid.UUID(reference)
    except ValueError:
        return None
    return Delivery.objects.filter(pk=delivery_id).select_related("merchant").first()


# Milestones whose meaning is in their reason. On these, a carrier's sub-code is the reason: when we do not
# know the sub-code and the base code's mapping names no reason, the event is an unknown code, not a bare one.
REASON_BEARING = (Milestone.ATTEMPTED, Milestone.EXCEPTION)


def _mapping_for(carrier: Carrier, code: str) -> CarrierCodeMapping | None:
    """The mapping of the full code, else of its base code when the sub-code adds nothing we need."""
    mappings = {m.external_code: m for m in carrier.mappings.filter(external_code__in={code, base_code(code)})}
    if code in mappings:
        return mappings[code]
    base = mappings.get(base_code(code))
    if base is not None and base.milestone in REASON_BEARING and not base.reason:
        return None
    return base


def carrier_events_ingest(*, carrier: Carrier, payload: Any, now: dt.datetime | None = None) -> list[CarrierEventOutcome]:
    """Take a carrier's post in its own format and put its events on our journeys.

    1. Parse the format (a malformed post is refused whole, with field errors).
    2. Keep each event raw, once per (carrier, external id); a replay is a duplicate.
    3. Map the code through the carrier's editable mapping (the full code, then its
       base code) to a canonical milestone and reason, recorded idempotently. An
       unmapped sub-code of an attempt or exception mapped without a reason is an
       unknown code: the sub-code was the reason, and we cannot read it.
    4. An unknown code is kept raw, recorded as an `exception` milestone and opens
       a care exception; it is never dropped.
    """
    now = now or clock.now()
    try:
        items = PARSERS[Carrier.Format(carrier.format)](payload)
    except CarrierPayloadError as error:
        raise TrackingError(TrackingErrorCode.INVALID_CARRIER_PAYLOAD,
                            f"This is not a valid {carrier.get_format_display()} post.", fields=error.fields)
    return [_ingest_item(carrier, item, now) for item in sorted(items, key=lambda i: i.recorded_at)]


def _ingest_item(carrier: Carrier, item: CarrierItem, now: dt.datetime) -> CarrierEventOutcome:
    delivery = _delivery_for(item.reference)
    mapping = _mapping_for(carrier, item.external_code)
    problem = ""
    if delivery is None:
        problem = f"No delivery with reference {item.reference!r}."
    elif mapping is None:
        problem = f"Unknown {carrier.code} code {item.external_code!r}."
    try:
        with transaction.atomic():
            raw = RawCarrierEvent.objects.create(
                carrier=carrier, delivery=delivery, external_id=item.external_id, external_code=item.external_code,
                payload=item.payload, mapped=mapping is not None and delivery is not None, problem=problem[:200],
            )
    except IntegrityError:
        existing = RawCarrierEvent.objects.get(carrier=carrier, external_id=item.external_id)
        return CarrierEventOutcome(item.external_id, existing.external_code, "duplicate", "")
    outcome = CarrierEventOutcome(item.external_id, item.external_code, "unknown_delivery", "")
    if delivery is None:
        return outcome
    client_id = f"{carrier.code}:{item.external_id}"
    with transaction.atomic():
        if mapping is None:
            event_record(
                delivery=delivery, milestone=Milestone.EXCEPTION, reason="unknown_carrier_code", source=Event.Source.CARRIER,
                recorded_at=item.recorded_at, client_id=client_id, raw=raw, lat=item.lat, lng=item.lng, note=problem,
            )
            journey_problem_report(delivery=delivery, code="unknown_carrier_code", message=problem, now=now)
            return CarrierEventOutcome(item.external_id, item.external_code, "unmapped", Milestone.EXCEPTION)
        event_record(
            delivery=delivery, milestone=mapping.milestone, reason=mapping.reason or item.reason,
            source=Event.Source.CARRIER, recorded_at=item.recorded_at, client_id=client_id, raw=raw,
            lat=item.lat, lng=item.lng, note=item.note,
        )
    return CarrierEventOutcome(item.external_id, item.external_code, "recorded", mapping.milestone)


def carrier_create(*, code: str, name: str, format: str, raw_secret: str) -> Carrier:
    return Carrier.objects.create(code=code, name=name, format=Carrier.Format(format),
                                  secret_digest=carrier_secret_digest(raw_secret))
