"""Third-party carriers: authenticate, keep every raw event, apply only a bound carrier's plausible events."""

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
from tracking.models import Carrier, CarrierAssignment, CarrierCodeMapping, Event, Milestone, RawCarrierEvent
from tracking.plausibility import carrier_event_implausibility
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


class Outcome:
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    UNMAPPED = "unmapped"
    NOT_ASSIGNED = "not_assigned"
    FLAGGED = "flagged"


@dataclass(frozen=True)
class CarrierEventOutcome:
    external_id: str
    external_code: str
    outcome: str  # one of Outcome
    milestone: str
    reason: str = ""


def _assigned_delivery(carrier: Carrier, reference: str) -> Delivery | None:
    """The delivery handed to this carrier that `reference` names: our delivery id, else the carrier's tracking
    number. A delivery id is never a tracking number (those are refused), so one reference names one parcel."""
    assignments = CarrierAssignment.objects.filter(carrier=carrier).select_related("delivery__merchant",
                                                                                  "delivery__window")
    try:
        assignment = assignments.filter(delivery_id=uuid.UUID(reference)).first()
    except ValueError:
        assignment = None
    if assignment is None:
        assignment = assignments.filter(external_ref=reference).first()
    return assignment.delivery if assignment is not None else None


def _named_delivery(reference: str) -> Delivery | None:
    """Any delivery with this id, whoever carries it: for care's eyes only, never for the carrier's answer."""
    try:
        delivery_id = uuid.UUID(reference)
    except ValueError:
        return None
    return Delivery.objects.filter(pk=delivery_id).first()


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
    2. Keep each event raw, once per (carrier, external id); a replay is answered as
       the first copy was (a duplicate, or again not assigned or flagged).
    3. An event for a delivery not handed to this carrier (`CarrierAssignment`) is
       quarantined: kept raw for care and answered `not_assigned`, the same whether
       the delivery is another carrier's, our own fleet's or does not exist.
    4. Map the code through the carrier's editable mapping (the full code, then its
       base code) to a canonical milestone and reason. An unmapped sub-code of an
       attempt or exception mapped without a reason is an unknown code: the sub-code
       was the reason, and we cannot read it.
    5. An unknown code is kept raw, recorded as an `exception` milestone and opens
       a care exception; it is never dropped.
    6. A mapped event that cannot be true of its delivery (`tracking.plausibility`)
       is kept raw and flagged, not applied; else it is recorded idempotently.
    """
    now = now or clock.now()
    try:
        items = PARSERS[Carrier.Format(carrier.format)](payload)
    except CarrierPayloadError as error:
        raise TrackingError(TrackingErrorCode.INVALID_CARRIER_PAYLOAD,
                            f"This is not a valid {carrier.get_format_display()} post.", fields=error.fields)
    return [_ingest_item(carrier, item, now) for item in sorted(items, key=lambda i: i.recorded_at)]


# A replay is answered as the first copy was, so a refused event stays refused however often it is sent.
REPLAY_OUTCOME = {
    RawCarrierEvent.Status.QUARANTINED: Outcome.NOT_ASSIGNED,
    RawCarrierEvent.Status.FLAGGED: Outcome.FLAGGED,
}


@dataclass(frozen=True)
class Judgement:
    """What becomes of one event, decided before anything is written."""

    status: str  # a RawCarrierEvent.Status
    delivery: Delivery | None = None
    mapping: CarrierCodeMapping | None = None
    reason: str = ""
    problem: str = ""


def _judge(carrier: Carrier, item: CarrierItem, now: dt.datetime) -> Judgement:
    delivery = _assigned_delivery(carrier, item.reference)
    if delivery is None:
        named = _named_delivery(item.reference)
        if named is None:
            return Judgement(RawCarrierEvent.Status.QUARANTINED, reason="unknown_reference",
                             problem=f"No delivery with reference {item.reference!r}.")
        return Judgement(RawCarrierEvent.Status.QUARANTINED, named, reason="not_assigned",
                         problem=f"Delivery {named.order_ref} ({named.pk}) is not handed to {carrier.name}.")
    mapping = _mapping_for(carrier, item.external_code)
    if mapping is None:
        return Judgement(RawCarrierEvent.Status.UNMAPPED, delivery,
                         problem=f"Unknown {carrier.code} code {item.external_code!r}.")
    implausible = carrier_event_implausibility(delivery=delivery, milestone=mapping.milestone,
                                               recorded_at=item.recorded_at, now=now)
    if implausible is not None:
        return Judgement(RawCarrierEvent.Status.FLAGGED, delivery, mapping, implausible.reason, implausible.message)
    return Judgement(RawCarrierEvent.Status.APPLIED, delivery, mapping)


def _ingest_item(carrier: Carrier, item: CarrierItem, now: dt.datetime) -> CarrierEventOutcome:
    judged = _judge(carrier, item, now)
    delivery, mapping, problem = judged.delivery, judged.mapping, judged.problem
    try:
        with transaction.atomic():
            raw = RawCarrierEvent.objects.create(
                carrier=carrier, delivery=delivery, external_id=item.external_id, external_code=item.external_code,
                reference=item.reference[:80], payload=item.payload, status=judged.status, reason=judged.reason,
                problem=problem[:200],
            )
    except IntegrityError:
        existing = RawCarrierEvent.objects.get(carrier=carrier, external_id=item.external_id)
        outcome = REPLAY_OUTCOME.get(existing.status, Outcome.DUPLICATE)
        return CarrierEventOutcome(item.external_id, existing.external_code, outcome, "",
                                   existing.reason if outcome == Outcome.FLAGGED else "")
    if judged.status == RawCarrierEvent.Status.QUARANTINED:
        return CarrierEventOutcome(item.external_id, item.external_code, Outcome.NOT_ASSIGNED, "")
    if judged.status == RawCarrierEvent.Status.FLAGGED:
        return CarrierEventOutcome(item.external_id, item.external_code, Outcome.FLAGGED, "", judged.reason)
    client_id = f"{carrier.code}:{item.external_id}"
    with transaction.atomic():
        if mapping is None:
            event_record(
                delivery=delivery, milestone=Milestone.EXCEPTION, reason="unknown_carrier_code", source=Event.Source.CARRIER,
                recorded_at=item.recorded_at, client_id=client_id, raw=raw, lat=item.lat, lng=item.lng, note=problem,
            )
            journey_problem_report(delivery=delivery, code="unknown_carrier_code", message=problem, now=now)
            return CarrierEventOutcome(item.external_id, item.external_code, Outcome.UNMAPPED, Milestone.EXCEPTION)
        event_record(
            delivery=delivery, milestone=mapping.milestone, reason=mapping.reason or item.reason,
            source=Event.Source.CARRIER, recorded_at=item.recorded_at, client_id=client_id, raw=raw,
            lat=item.lat, lng=item.lng, note=item.note,
        )
    return CarrierEventOutcome(item.external_id, item.external_code, Outcome.RECORDED, mapping.milestone)


def carrier_create(*, code: str, name: str, format: str, raw_secret: str) -> Carrier:
    return Carrier.objects.create(code=code, name=name, format=Carrier.Format(format),
                                  secret_digest=carrier_secret_digest(raw_secret))
