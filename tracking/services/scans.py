"""Driver scans, turned into canonical milestones on the deliveries they concern, and proof of delivery."""

import datetime as dt
import logging
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from core import clock
from dispatch.models import Driver, Stop
from scheduling.models import Delivery
from tracking.errors import TrackingError, TrackingErrorCode
from tracking.models import Event, Milestone, ProofOfDelivery
from tracking.services.etas import eta_refresh_route
from tracking.services.journey import event_record
from tracking.services.routes import driver_shift_vehicle, route_for_vehicle, route_stops

logger = logging.getLogger(__name__)


class ScanKind(StrEnum):
    SCANNED_OUT = "scanned_out"
    ARRIVED = "arrived"
    ATTEMPTED = "attempted"
    DELIVERED = "delivered"
    RETURNED = "returned"


class AttemptReason(StrEnum):
    NOBODY_HOME = "nobody_home"
    ACCESS_REFUSED = "access_refused"
    ADDRESS_NOT_FOUND = "address_not_found"
    REFUSED_BY_RECIPIENT = "refused_by_recipient"
    DAMAGED = "damaged"
    NO_SAFE_PLACE = "no_safe_place"
    OUT_OF_TIME = "out_of_time"


@dataclass
class ScanResult:
    events: list[Event]
    created: bool


def _random_name(upload: UploadedFile) -> UploadedFile:
    # Proof files are served from media: their names must not be guessable.
    extension = os.path.splitext(upload.name or "")[1].lower()[:8]
    upload.name = f"{secrets.token_urlsafe(24)}{extension}"
    return upload


def scan_record(
    *,
    driver: Driver,
    kind: str,
    client_id: str,
    recorded_at: dt.datetime,
    job_id: int | None = None,
    reason: str = "",
    recipient_name: str = "",
    photo: UploadedFile | None = None,
    signature: UploadedFile | None = None,
    lat: float | None = None,
    lng: float | None = None,
    now: dt.datetime | None = None,
) -> ScanResult:
    """A driver's scan, turned into canonical milestones on the deliveries it concerns.

    Scan-out and return may concern the whole route (no job) or one job; arrived,
    attempted and delivered concern one job on the driver's route today.
    Replaying the same `client_id` changes nothing and returns the first events.
    """
    now = now or clock.now()
    kind = ScanKind(kind)
    vehicle = driver_shift_vehicle(driver=driver, now=now)
    route = route_for_vehicle(vehicle=vehicle, now=now)
    if route is None:
        raise TrackingError(TrackingErrorCode.NO_ROUTE_TODAY, "This vehicle has no route in today's plan.",
                            status_code=409)
    stops = route_stops(route)
    if job_id is None:
        if kind not in (ScanKind.SCANNED_OUT, ScanKind.RETURNED):
            raise TrackingError(TrackingErrorCode.UNKNOWN_JOB, f"A {kind} scan needs a job.",
                                fields={"job": ["This field is required for this kind of scan."]})
        targets = stops
    else:
        targets = [s for s in stops if s.job_id == job_id]
        if not targets:
            raise TrackingError(TrackingErrorCode.JOB_NOT_ON_ROUTE, "This job is not on your route today.",
                                status_code=404, fields={"job": ["Not on your route today."]})
    if kind == ScanKind.ATTEMPTED and reason not in set(AttemptReason):
        raise TrackingError(
            TrackingErrorCode.REASON_REQUIRED, "An attempted delivery needs a reason code.",
            fields={"reason": [f"One of: {', '.join(AttemptReason)}."]},
        )
    if kind == ScanKind.RETURNED and job_id is None:
        targets = [s for s in stops if s.status == Stop.Status.FAILED]

    events: list[Event] = []
    created = False
    with transaction.atomic():
        for stop in targets:
            delivery: Delivery | None = getattr(stop.job, "delivery", None)
            if delivery is None:
                continue
            suffix = f":{delivery.pk.hex}" if job_id is None else ""
            milestones = [Milestone(kind)]
            if kind == ScanKind.SCANNED_OUT:
                milestones.append(Milestone.OUT_FOR_DELIVERY)
            for milestone in milestones:
                recorded = event_record(
                    delivery=delivery, milestone=milestone, source=Event.Source.DRIVER, recorded_at=recorded_at,
                    client_id=f"{client_id}{suffix}" + ("" if milestone == kind else f":{milestone}"),
                    reason=reason if kind == ScanKind.ATTEMPTED else "", lat=lat, lng=lng,
                )
                events.append(recorded.event)
                created = created or recorded.created
            if kind == ScanKind.DELIVERED and created:
                _proof_save(delivery=delivery, recipient_name=recipient_name, photo=photo, signature=signature,
                            lat=lat, lng=lng, at=recorded_at)
    if created:
        eta_refresh_route(route=route, now=now)
    return ScanResult(events=events, created=created)


def _proof_save(*, delivery: Delivery, recipient_name: str, photo, signature, lat, lng, at: dt.datetime) -> None:
    proof = ProofOfDelivery(delivery=delivery, recipient_name=recipient_name[:120], lat=lat, lng=lng, captured_at=at)
    if photo is not None:
        proof.photo = _random_name(photo)
    if signature is not None:
        proof.signature = _random_name(signature)
    try:
        with transaction.atomic():
            proof.save()
    except IntegrityError:
        logger.info("proof of delivery for %s already stored", delivery.pk)
