"""Reads of the promise: which zone serves an address, and which windows it can still be offered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count

from dispatch.capacity import CandidateWindow, JobSpec, capacity_check
from dispatch.models import Zone
from dispatch.refusals import RefusalReason
from dispatch.zones import zone_for_point, zone_for_postcode
from merchants.models import Merchant
from scheduling.errors import SchedulingError, SchedulingErrorCode
from scheduling.models import BlackoutDate, Delivery, Hold, ParcelSize, Window, WindowTemplate

MAX_DAYS = 14
# What a parcel size means for the fleet: (parcels, kilograms).
SIZE_PROFILES: dict[str, tuple[int, int]] = {
    ParcelSize.SMALL: (1, 5), ParcelSize.MEDIUM: (2, 15), ParcelSize.LARGE: (4, 40), ParcelSize.BULKY: (1, 90),
}
KNOWN_SKILLS = ("two_person", "refrigerated")


# The reasons a shopper may be given for a window on offer (the API's `reason`); the fleet's other
# reasons read as `full` to a shopper.
OFFER_REASONS = (
    RefusalReason.FULL, RefusalReason.CUTOFF_PASSED, RefusalReason.OUTSIDE_AREA, RefusalReason.SKILL_UNAVAILABLE,
)


@dataclass(frozen=True)
class WindowOffer:
    window: Window
    available: bool
    remaining: int
    reason: RefusalReason | None


def address_zone(*, lat: float | None = None, lng: float | None = None, postcode: str = "") -> Zone:
    """The zone serving an address, or a 400 `outside_area` naming the fields at fault."""
    if lat is not None and lng is not None:
        zone = zone_for_point(lat=lat, lng=lng)
        if zone is None:
            raise SchedulingError(
                SchedulingErrorCode.OUTSIDE_AREA, "We do not deliver to this address.",
                fields={"lat": ["Outside every delivery zone."], "lng": ["Outside every delivery zone."]},
            )
        return zone
    zone = zone_for_postcode(postcode=postcode)
    if zone is None:
        raise SchedulingError(
            SchedulingErrorCode.OUTSIDE_AREA, "We do not deliver to this postcode.",
            fields={"postcode": ["No delivery zone serves this postcode."]},
        )
    return zone


def zone_centre(zone: Zone) -> tuple[float, float]:
    """A point inside the zone for postcode-only queries (the polygon's vertex average, else the depot)."""
    if zone.polygon:
        return (sum(p[0] for p in zone.polygon) / len(zone.polygon), sum(p[1] for p in zone.polygon) / len(zone.polygon))
    return zone.depot.lat, zone.depot.lng


def window_live_holds(*, window: Window, now: dt.datetime, exclude_hold_id=None) -> int:
    holds = Hold.objects.filter(window=window, status=Hold.Status.ACTIVE, expires_at__gt=now)
    if exclude_hold_id is not None:
        holds = holds.exclude(pk=exclude_hold_id)
    return holds.count()


def window_booking_closes_at(window: Window) -> dt.datetime:
    """The last moment the window may be booked: its cut-off, or earlier when the lead time says so."""
    lead = dt.timedelta(minutes=window.template.lead_time_minutes)
    return min(window.cutoff_at, window.starts_at - lead)


def window_closed_reason(*, window: Window, now: dt.datetime) -> RefusalReason | None:
    """`cutoff_passed` once the window's booking has closed (cut-off or lead time), else None."""
    if now >= window_booking_closes_at(window):
        return RefusalReason.CUTOFF_PASSED
    return None


def window_offers(
    *, merchant: Merchant, zone: Zone, lat: float, lng: float, start: dt.date, days: int,
    skills: tuple[str, ...] = (), size: str = "small", now: dt.datetime, windows: list[Window] | None = None,
    committed: bool = False,
) -> list[WindowOffer]:
    """Every window of the merchant in the zone over `days` days from `start`, each said available or not, and why.

    1. Load the windows (active templates, no blackout days) with their live hold counts.
    2. Rule out windows past their cut-off or lead time.
    3. Apply the merchant cap: booked + live holds must leave a place.
    4. Ask the fleet's capacity oracle about the rest, for this job's size and skills; the room left is
       the smaller of the merchant's and the fleet's. `committed` makes the oracle judge on the
       committed jobs rather than its per-process cache (a booking, under the depot's lock).
    """
    if windows is None:
        end = start + dt.timedelta(days=days)
        blackout = BlackoutDate.objects.filter(merchant=merchant, date__gte=start, date__lt=end).values("date")
        windows = list(
            Window.objects.filter(merchant=merchant, zone=zone, date__gte=start, date__lt=end, template__active=True)
            .exclude(date__in=blackout)
            .select_related("template")
            .order_by("starts_at", "label")
        )
        holds = dict(
            Hold.objects.filter(window__in=[w.pk for w in windows], status=Hold.Status.ACTIVE, expires_at__gt=now)
            .values("window").annotate(n=Count("id")).values_list("window", "n")
        )
        for window in windows:
            window.merchant = merchant
            window.live_holds = holds.get(window.pk, 0)
    parcels, kg = SIZE_PROFILES.get(size, SIZE_PROFILES[ParcelSize.SMALL])
    offers: dict[int, WindowOffer] = {}
    by_skills: dict[tuple[str, ...], list[Window]] = {}
    for window in windows:
        reason = window_closed_reason(window=window, now=now)
        merchant_left = window.capacity - window.booked - getattr(window, "live_holds", 0)
        if reason is None and merchant_left <= 0:
            reason = RefusalReason.FULL
        if reason is not None:
            offers[window.pk] = WindowOffer(window, False, 0, reason)
            continue
        job_skills = tuple(sorted(set(skills) | set(window.template.required_skills or ())))
        by_skills.setdefault(job_skills, []).append(window)
    for job_skills, group in by_skills.items():
        job = JobSpec(lat=lat, lng=lng, service_seconds=zone.service_seconds, parcels=parcels, weight_kg=kg,
                      skills=job_skills)
        verdicts = capacity_check(
            zone=zone, job=job, now=now, committed=committed,
            windows=[CandidateWindow(w.pk, w.starts_at, w.ends_at) for w in group],
        )
        for window in group:
            verdict = verdicts[window.pk]
            merchant_left = window.capacity - window.booked - getattr(window, "live_holds", 0)
            if verdict.feasible:
                offers[window.pk] = WindowOffer(window, True, min(merchant_left, verdict.remaining), None)
            else:
                reason = verdict.reason if verdict.reason in OFFER_REASONS else RefusalReason.FULL
                offers[window.pk] = WindowOffer(window, False, 0, reason)
    return [offers[w.pk] for w in windows]


def window_offers_at_address(*, merchant: Merchant, lat: float | None = None, lng: float | None = None,
                             postcode: str = "", days: int = 7, now: dt.datetime) -> list[WindowOffer]:
    """The windows offered at an address from the merchant's today, as the windows API lists them (for pages
    that render them on the server: the picker's no-JavaScript fallback)."""
    zone = address_zone(lat=lat, lng=lng, postcode=postcode)
    if lat is None or lng is None:
        lat, lng = zone_centre(zone)
    return window_offers(merchant=merchant, zone=zone, lat=lat, lng=lng, start=merchant_local_today(merchant, now),
                         days=days, now=now)


def offers_by_day(offers: list[WindowOffer], merchant: Merchant) -> list[tuple[dt.date, list[WindowOffer]]]:
    """Offers grouped by the merchant's local day, days in order."""
    tz = merchant.zone_info
    days: dict[dt.date, list[WindowOffer]] = {}
    for offer in offers:
        days.setdefault(offer.window.starts_at.astimezone(tz).date(), []).append(offer)
    return sorted(days.items())


def window_offer(*, window: Window, lat: float, lng: float, skills: tuple[str, ...] = (), size: str = "small",
                 now: dt.datetime, committed: bool = False) -> WindowOffer:
    """One window's verdict for an address: outside its zone, closed, full or available."""
    zone = window.zone
    found = zone_for_point(lat=lat, lng=lng)
    if found is None or found.pk != zone.pk:
        return WindowOffer(window, False, 0, RefusalReason.OUTSIDE_AREA)
    window.live_holds = window_live_holds(window=window, now=now)
    return window_offers(merchant=window.merchant, zone=zone, lat=lat, lng=lng, start=window.date, days=1,
                         skills=skills, size=size, now=now, windows=[window], committed=committed)[0]


def window_alternatives(*, window: Window, lat: float, lng: float, skills: tuple[str, ...] = (),
                        size: str = "small", now: dt.datetime, limit: int = 3) -> list[Window]:
    """The next feasible windows after a full one, for the 409 answer."""
    offers = window_offers(merchant=window.merchant, zone=window.zone, lat=lat, lng=lng, start=window.date,
                           days=7, skills=skills, size=size, now=now)
    return [o.window for o in offers if o.available and o.window.pk != window.pk][:limit]


def merchant_local_today(merchant: Merchant, now: dt.datetime) -> dt.date:
    return now.astimezone(merchant.zone_info).date()


def merchant_sample_address(*, merchant: Merchant) -> dict | None:
    """An address inside the merchant's delivery area for the demo checkout.

    The merchant's latest delivery inside the zone of its first template when there is one (a real
    street), else the centre of that zone.
    """
    template = WindowTemplate.objects.filter(merchant=merchant, active=True).select_related("zone").first()
    if template is None:
        return None
    zone = template.zone
    delivery = (
        Delivery.objects.filter(merchant=merchant, window__zone=zone)
        .order_by("-created_at")
        .values("address_line1", "address_city", "address_postcode", "lat", "lng")
        .first()
    )
    if delivery is not None:
        return {"line1": delivery["address_line1"], "city": delivery["address_city"],
                "postcode": delivery["address_postcode"], "lat": delivery["lat"], "lng": delivery["lng"]}
    lat, lng = zone_centre(zone)
    return {"line1": "1 Place du Marché", "city": zone.name, "postcode": (zone.postcodes or [""])[0],
            "lat": round(lat, 5), "lng": round(lng, 5)}


def safe_drop_offered(*, merchant: Merchant, window: Window) -> bool:
    """Whether a parcel may be left without a signature in this window: the merchant and the window both allow it."""
    return bool(merchant.safe_drop_allowed and window.template.safe_drop_allowed)
