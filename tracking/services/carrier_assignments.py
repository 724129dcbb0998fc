"""Handing a delivery to a carrier and taking it back: after that, only its carrier's events move the journey."""

import datetime as dt
import logging
import uuid

from django.db import IntegrityError, transaction

from core import clock
from core.audit import audit_event
from scheduling.models import Delivery
from tracking.errors import TrackingError, TrackingErrorCode
from tracking.models import Carrier, CarrierAssignment

logger = logging.getLogger(__name__)

# A delivery that has ended keeps the carrier that carried it: handing it over or back then changes nothing true.
HANDOVER_CLOSED = (Delivery.Status.DELIVERED, Delivery.Status.CANCELLED)


def carrier_for_code(*, code: str) -> Carrier:
    """The active carrier with this code; 400 `carrier_not_found` otherwise (an inactive one is as unknown)."""
    carrier = Carrier.objects.filter(code=code, active=True).first()
    if carrier is None:
        raise TrackingError(TrackingErrorCode.CARRIER_NOT_FOUND, f"No carrier has the code {code!r}.",
                            fields={"carrier": [f"Unknown carrier {code!r}."]})
    return carrier


def delivery_carrier_refusal(*, delivery: Delivery, carrier: Carrier, replace: bool) -> TrackingError | None:
    """Why this hand-over may not happen, or None. Read again under the delivery's lock by the services below."""
    if delivery.status in HANDOVER_CLOSED:
        return TrackingError(TrackingErrorCode.DELIVERY_CLOSED,
                             f"This delivery is {delivery.status}: its carrier can no longer change.", status_code=409)
    if not carrier.active:
        return TrackingError(TrackingErrorCode.CARRIER_NOT_FOUND, f"{carrier.name} no longer takes parcels.",
                             fields={"carrier": [f"{carrier.name} is inactive."]})
    current = CarrierAssignment.objects.filter(delivery=delivery).exclude(carrier=carrier).select_related("carrier").first()
    if current is not None and not replace:
        return TrackingError(
            TrackingErrorCode.CARRIER_ALREADY_ASSIGNED,
            f"This delivery is with {current.carrier.name}. Take it back first, then hand it to another carrier.",
            status_code=409, extra={"carrier": current.carrier.code})
    return None


def _locked(delivery: Delivery) -> Delivery:
    """The delivery read again with its row locked, so two hand-overs of one parcel run one after the other."""
    return Delivery.objects.select_for_update().get(pk=delivery.pk)


def _looks_like_delivery_id(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _carrier_text(assignment: CarrierAssignment | None) -> str:
    if assignment is None:
        return ""
    number = f" ({assignment.external_ref})" if assignment.external_ref else ""
    return f"{assignment.carrier.name}{number}"


def delivery_carrier_assign(
    *, delivery: Delivery, carrier: Carrier, external_ref: str = "", actor_label: str, replace: bool = False,
    now: dt.datetime | None = None,
) -> CarrierAssignment:
    """Hand the delivery to `carrier`, under the carrier's tracking number `external_ref` if it has one.

    1. Refused for a delivered or cancelled delivery, or an inactive carrier.
    2. Handing it again to its own carrier only updates the tracking number.
    3. Moving it from another carrier needs `replace=True`: a merchant takes it back first, an admin
       who picks another carrier means it.
    4. A tracking number leads to one parcel of a carrier (409 `carrier_ref_taken`).
    """
    now = now or clock.now()
    external_ref = external_ref.strip()
    if _looks_like_delivery_id(external_ref):
        # Carriers may name a parcel by our delivery id: a tracking number shaped like one could take another
        # merchant's parcel's events.
        raise TrackingError(TrackingErrorCode.INVALID_TRACKING_NUMBER, "A tracking number cannot be a delivery id.",
                            status_code=400, fields={"tracking_number": ["Use the carrier's own number."]})
    try:
        with transaction.atomic():
            delivery = _locked(delivery)
            refusal = delivery_carrier_refusal(delivery=delivery, carrier=carrier, replace=replace)
            if refusal is not None:
                raise refusal
            assignment = CarrierAssignment.objects.filter(delivery=delivery).select_related("carrier").first()
            before = _carrier_text(assignment)
            if assignment is not None and assignment.carrier_id == carrier.pk:
                assignment.external_ref = external_ref
                assignment.save(update_fields=["external_ref"])
            else:
                if assignment is not None:
                    logger.info("Delivery %s moved from carrier %s to %s by %s.", delivery.pk, assignment.carrier_id,
                                carrier.code, actor_label)
                    assignment.delete()
                assignment = CarrierAssignment.objects.create(delivery=delivery, carrier=carrier,
                                                              external_ref=external_ref, handed_over_at=now,
                                                              handed_over_by=actor_label[:120])
            if _carrier_text(assignment) != before:
                audit_event(instance=delivery, event="delivery.carrier_assigned",
                            summary=f"Handed to {_carrier_text(assignment)}",
                            changes={"carrier": (before or "—", _carrier_text(assignment))})
            return assignment
    except IntegrityError:
        raise TrackingError(TrackingErrorCode.CARRIER_REF_TAKEN,
                            f"{carrier.name} already carries another parcel with this tracking number.",
                            status_code=409, fields={"tracking_number": ["Already used for another parcel."]})


def delivery_carrier_release(*, delivery: Delivery, actor_label: str) -> bool:
    """Take the delivery back from its carrier; True if it had one. Its carrier's later events are quarantined.

    The events the carrier reported while it held the parcel stay on the journey: they happened.
    """
    with transaction.atomic():
        delivery = _locked(delivery)
        if delivery.status in HANDOVER_CLOSED:
            raise TrackingError(TrackingErrorCode.DELIVERY_CLOSED,
                                f"This delivery is {delivery.status}: its carrier can no longer change.",
                                status_code=409)
        assignment = CarrierAssignment.objects.filter(delivery=delivery).select_related("carrier").first()
        deleted = 0
        if assignment is not None:
            deleted, _ = CarrierAssignment.objects.filter(pk=assignment.pk).delete()
            audit_event(instance=delivery, event="delivery.carrier_released",
                        summary=f"Taken back from {_carrier_text(assignment)}",
                        changes={"carrier": (_carrier_text(assignment), "—")})
    if deleted:
        logger.info("Delivery %s taken back from its carrier by %s.", delivery.pk, actor_label)
    return deleted > 0
