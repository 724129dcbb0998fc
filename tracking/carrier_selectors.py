"""Reads about carriers: who carries a delivery, and the carrier events a person must look at."""

from collections.abc import Iterable, Sequence

from django.db.models import QuerySet

from scheduling.models import Delivery
from tracking.models import CarrierAssignment, RawCarrierEvent

# What care reviews: events kept aside, never applied. Unmapped codes have their own care exception.
NEEDING_REVIEW = (RawCarrierEvent.Status.QUARANTINED, RawCarrierEvent.Status.FLAGGED)


def delivery_carrier_payloads(deliveries: Sequence[Delivery]) -> dict:
    """{delivery id: {"carrier": {code, name, tracking_number} or None}} for scheduling's delivery payload."""
    assignments = {
        a.delivery_id: a
        for a in CarrierAssignment.objects.filter(delivery__in=[d.pk for d in deliveries]).select_related("carrier")
    }
    payloads = {}
    for delivery in deliveries:
        assignment = assignments.get(delivery.pk)
        payloads[delivery.pk] = {"carrier": None if assignment is None else {
            "code": assignment.carrier.code, "name": assignment.carrier.name,
            "tracking_number": assignment.external_ref,
        }}
    return payloads


def raw_events_needing_review(*, merchant_ids: Iterable[int] | None = None) -> QuerySet[RawCarrierEvent]:
    """Quarantined and flagged carrier events, newest first; only those on these merchants' deliveries if given.

    An event naming no delivery of ours belongs to no merchant: it is listed only when no merchants are given.
    """
    events = (
        RawCarrierEvent.objects.filter(status__in=NEEDING_REVIEW)
        .select_related("carrier", "delivery__merchant")
        .order_by("-received_at", "-id")
    )
    if merchant_ids is not None:
        events = events.filter(delivery__merchant_id__in=list(merchant_ids))
    return events
