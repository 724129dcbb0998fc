"""Past days for the demo city: closed deliveries with arrivals, ETAs, dwell, failed attempts, exceptions and
"where is my order?" contacts, so every KPI chart and every exception rule has something real to show.

The days are written in bulk (a few `bulk_create` calls per day) rather than replayed through the
planner and the simulator, which would take minutes: what the KPIs read is exactly what a run of the
day leaves behind (an active plan with routes and stops, canonical events, ETA snapshots, exceptions).
A day whose plans exist is left alone, so a second seed adds nothing. A day written is one the KPI page
computes again, whatever it had stored for it before (care.kpi_days).
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata

from django.db import transaction

from care.kpi_days import kpi_days_forget
from care.models import CareSearch, JourneyException
from demo import city
from dispatch.models import Depot, Job, Plan, Route, Stop, Vehicle, Zone
from dispatch.travel import haversine_m
from dispatch.zones import point_in_polygon
from merchants.models import Merchant
from notifications.models import InboundSms
from scheduling.models import Delivery, Window
from scheduling.services import windows_materialize
from tracking.models import EtaSnapshot, Event, Milestone

HISTORY_DAYS = 14
# Deliveries per merchant and past day, at scale 1: enough for every chart, small enough to seed in seconds.
PER_DAY = {"fresh-basket": 36, "maison-meuble": 14}
ROAD_FACTOR = 1.35
STOPS_PER_VAN = 25
# Driving at a city van's average speed, plus the time at each door: what a plan's route duration holds.
CITY_SPEED_MPS = 6.5
SERVICE_SECONDS = 240
FAILED_SHARE, RETRIED_SHARE, SEARCH_SHARE, TEXT_SHARE = 0.07, 0.5, 0.05, 0.02
# Exceptions the rules open, by their code, besides late ETAs and failed attempts: (code, share of stops,
# message, minutes to resolve at most).
OTHER_EXCEPTIONS = (
    ("dwell_spike", 0.0, "The driver stayed far longer than usual at the door.", 30),
    ("gps_silent", 0.01, "No position from the van for 15 minutes.", 25),
    ("no_scan_out", 0.008, "Not scanned out by the depot's cut-off.", 45),
    ("unknown_carrier_code", 0.01, "A carrier code nobody has mapped yet.", 240),
    ("undeliverable_message", 0.01, "The customer's phone number refused our text.", 90),
)
DWELL_SPIKE_SECONDS = 9 * 60
TEXTS = ("Where is my parcel?", "Bonjour, où est ma commande ?", "Still waiting, when will it arrive?")


def _zone_for(lat: float, lng: float, zones: dict[str, Zone]) -> Zone | None:
    for code, _name, _depot, polygon in city.ZONES:
        if point_in_polygon(lat, lng, polygon):
            return zones.get(code)
    return None


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode().replace(" ", ".")


def seed_history(*, today: dt.date, days: int = HISTORY_DAYS, scale: float = 1.0) -> int:
    """Simulate the `days` days before `today`; returns how many deliveries were written."""
    merchants = {m.slug: m for m in Merchant.objects.filter(slug__in=PER_DAY)}
    first = today - dt.timedelta(days=days)
    for merchant in merchants.values():
        windows_materialize(merchant=merchant, start=first, days=days)
    written = 0
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        if Plan.objects.filter(date=day, trigger="history").exists():
            continue
        with transaction.atomic():
            written += _seed_day(day, merchants, scale)
            kpi_days_forget(days=[day])
    return written


def _seed_day(day: dt.date, merchants: dict[str, Merchant], scale: float) -> int:
    rng = random.Random(f"history-{day.isoformat()}")
    zones = {z.code: z for z in Zone.objects.select_related("depot")}
    zone_rank = {code: i for i, code in enumerate(sorted(zones))}
    windows: dict[tuple[int, int], list[Window]] = {}
    for window in Window.objects.filter(date=day, merchant__in=merchants.values()):
        windows.setdefault((window.merchant_id, window.zone_id), []).append(window)
    booked: dict[int, int] = {}
    picks = []  # (merchant, window, zone, address, name)
    for slug, merchant in merchants.items():
        for number in range(1, round(PER_DAY[slug] * scale * (0.5 if day.isoweekday() == 7 else 1)) + 1):
            address = city.address_in(rng, city.district_for(rng))
            zone = _zone_for(address["lat"], address["lng"], zones)
            free = [w for w in windows.get((merchant.pk, zone.pk), []) if booked.get(w.pk, w.booked) < w.capacity] \
                if zone else []
            if not free:
                continue
            window = rng.choice(free)
            booked[window.pk] = booked.get(window.pk, window.booked) + 1
            picks.append((merchant, window, zone, address, f"{slug[:2].upper()}-{day:%m%d}-H{number:03d}"))
    if not picks:
        return 0
    jobs = Job.objects.bulk_create([
        Job(reference=ref, merchant=merchant, depot=zone.depot, zone=zone, date=day, lat=a["lat"], lng=a["lng"],
            window_start=w.starts_at, window_end=w.ends_at, status=Job.Status.DONE)
        for merchant, w, zone, a, ref in picks
    ])
    evening_before = city.local_dt(day - dt.timedelta(days=1), dt.time(19, 30))
    deliveries = []
    for (merchant, window, _zone, a, ref), job in zip(picks, jobs, strict=True):
        name = rng.choice(city.RECIPIENT_NAMES)
        deliveries.append(Delivery(
            merchant=merchant, order_ref=ref, window=window, job=job, status=Delivery.Status.DELIVERED,
            recipient_name=name, recipient_phone=f"+336{rng.randint(10000000, 99999999)}",
            recipient_email=f"{_ascii(name)}.{ref.lower()}@example.com", language=merchant.default_language,
            address_line1=a["line1"], address_city=a["city"], address_postcode=a["postcode"], lat=a["lat"],
            lng=a["lng"], created_at=evening_before,
        ))
    Delivery.objects.bulk_create(deliveries)
    for window_id, count in booked.items():
        Window.objects.filter(pk=window_id).update(booked=count)

    events, snapshots, exceptions, searches, texts, stops = [], [], [], [], [], []
    failed_for_good: list[int] = []
    # The rarer rules open at least once every three days, whatever the dice say, so each has its row.
    due = {code for i, (code, share, *_rest) in enumerate(OTHER_EXCEPTIONS)
           if share and (day.toordinal() + i) % 3 == 0}
    for depot in Depot.objects.filter(pk__in={job.depot_id for job in jobs}):
        # As many vans as the day needs, as a planner would send: a full round each, not a few stops per van.
        vans = list(Vehicle.objects.filter(depot=depot).order_by("code"))
        vans = vans[:max(1, min(len(vans), -(-len([j for j in jobs if j.depot_id == depot.pk]) // STOPS_PER_VAN)))]
        mine = [(job, d) for job, d in zip(jobs, deliveries, strict=True) if job.depot_id == depot.pk]
        mine.sort(key=lambda pair: (pair[0].window_start, pair[0].lng))
        plan = Plan.objects.create(depot=depot, date=day, version=(Plan.objects.filter(depot=depot, date=day).count()
                                   + 1), status=Plan.Status.ACTIVE, trigger="history")
        plan_metres = plan_seconds = 0
        for index, van in enumerate(vans):
            round_ = mine[index::len(vans)]
            if not round_:
                continue
            planned = sorted(
                ((job.window_start + dt.timedelta(minutes=rng.uniform(10, max(11.0, (job.window_end - job.window_start)
                                                                              .total_seconds() / 60 - 20))), job, d)
                 for job, d in round_), key=lambda row: row[0])
            starts = planned[0][0] - dt.timedelta(minutes=30)
            ends = planned[-1][0] + dt.timedelta(minutes=40)
            point, metres = (depot.lat, depot.lng), 0.0
            for _at, job, _d in planned:
                metres += haversine_m(point, (job.lat, job.lng)) * ROAD_FACTOR
                point = (job.lat, job.lng)
            metres += haversine_m(point, (depot.lat, depot.lng)) * ROAD_FACTOR
            route = Route.objects.create(plan=plan, vehicle=van, starts_at=starts, ends_at=ends, distance_m=round(metres),
                                         duration_s=round(metres / CITY_SPEED_MPS + SERVICE_SECONDS * len(planned)))
            plan_metres += route.distance_m
            plan_seconds += route.duration_s
            for sequence, (at, job, delivery) in enumerate(planned, start=1):
                rank = zone_rank[job.zone.code]
                late = rng.random() < 0.06
                arrival = at + dt.timedelta(minutes=rng.gauss(2 + rank * 2, 6) + (35 if late else 0))
                # Now and then a long wait at the door (a lift, a signature hunt): a dwell spike.
                spike = 600 if rng.random() < 0.03 else 0
                dwell = dt.timedelta(seconds=max(60, rng.gauss(180 + rank * 45, 60)) + spike)
                departure = arrival + dwell
                failed = rng.random() < FAILED_SHARE
                stops.append(Stop(route=route, job=job, sequence=sequence, planned_arrival=at,
                                  planned_departure=at + dt.timedelta(minutes=4), actual_arrival=arrival,
                                  actual_departure=departure,
                                  status=Stop.Status.FAILED if failed else Stop.Status.DONE))
                events += [
                    Event(delivery=delivery, milestone=Milestone.SCHEDULED, source=Event.Source.SYSTEM,
                          recorded_at=evening_before + dt.timedelta(minutes=15)),
                    Event(delivery=delivery, milestone=Milestone.SCANNED_OUT, source=Event.Source.DRIVER,
                          recorded_at=starts + dt.timedelta(minutes=5)),
                    Event(delivery=delivery, milestone=Milestone.ARRIVED, source=Event.Source.GEOFENCE,
                          recorded_at=arrival),
                ]
                # What the page showed: the plan's ETA at scan-out, then ones that narrow as the van nears, about
                # as far off as the engine's are on the simulated fleet (benchmarks/eta_accuracy.py: some 3 minutes
                # half an hour ahead, nine in ten inside a band of about two standard deviations each side).
                for before, spread in ((150, 12), (45, 4), (12, 2)):
                    computed = arrival - dt.timedelta(minutes=before)
                    if computed < starts - dt.timedelta(minutes=30):
                        continue
                    eta = arrival + dt.timedelta(minutes=rng.gauss(0, spread))
                    half = dt.timedelta(minutes=max(4, spread * 2))
                    snapshots.append(EtaSnapshot(delivery=delivery, computed_at=computed, eta=eta,
                                                 band_start=eta - half, band_end=eta + half))
                if late:
                    opened = arrival - dt.timedelta(minutes=40)
                    exceptions.append(JourneyException(
                        delivery=delivery, code="window_at_risk", message="The ETA left the promised window.",
                        state=JourneyException.State.RESOLVED, opened_at=opened, due_at=opened + dt.timedelta(hours=1),
                        resolved_at=arrival, resolution="Delivered."))
                for code, share, message, most in OTHER_EXCEPTIONS:
                    if (code == "dwell_spike" and dwell.total_seconds() > DWELL_SPIKE_SECONDS) or code in due \
                            or rng.random() < share:
                        due.discard(code)
                        opened = arrival - dt.timedelta(minutes=rng.uniform(0, 30))
                        exceptions.append(JourneyException(
                            delivery=delivery, code=code, message=message, state=JourneyException.State.RESOLVED,
                            opened_at=opened, due_at=opened + dt.timedelta(hours=1),
                            resolved_at=opened + dt.timedelta(minutes=rng.uniform(5, most)), resolution="Handled."))
                if failed:
                    attempt = departure
                    events.append(Event(delivery=delivery, milestone=Milestone.ATTEMPTED, reason="nobody_home",
                                        source=Event.Source.DRIVER, recorded_at=attempt))
                    resolved = attempt + dt.timedelta(minutes=rng.uniform(15, 120))
                    exceptions.append(JourneyException(
                        delivery=delivery, code="failed_attempt", message="Delivery attempted: nobody_home.",
                        state=JourneyException.State.RESOLVED, opened_at=attempt,
                        due_at=attempt + dt.timedelta(hours=2), resolved_at=resolved,
                        resolution="Customer called back; second attempt arranged."))
                    if rng.random() < RETRIED_SHARE:
                        events.append(Event(delivery=delivery, milestone=Milestone.DELIVERED, source=Event.Source.DRIVER,
                                            recorded_at=resolved + dt.timedelta(minutes=rng.uniform(30, 150))))
                    else:
                        failed_for_good.append(delivery.pk)
                else:
                    events.append(Event(delivery=delivery, milestone=Milestone.DELIVERED, source=Event.Source.DRIVER,
                                        recorded_at=departure - dt.timedelta(seconds=30)))
                if rng.random() < SEARCH_SHARE:
                    searches.append(CareSearch(searched_at=arrival - dt.timedelta(minutes=rng.uniform(5, 90)),
                                               kind=rng.choice(("phone", "reference", "link")), hits=1,
                                               delivery=delivery))
                if rng.random() < TEXT_SHARE:
                    texts.append((delivery, arrival - dt.timedelta(minutes=rng.uniform(5, 60))))
        Plan.objects.filter(pk=plan.pk).update(distance_m=plan_metres, duration_s=plan_seconds)
    Stop.objects.bulk_create(stops, batch_size=1000)
    Event.objects.bulk_create(events, batch_size=1000)
    EtaSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    JourneyException.objects.bulk_create(exceptions)
    CareSearch.objects.bulk_create(searches)
    Delivery.objects.filter(pk__in=failed_for_good).update(status=Delivery.Status.ATTEMPTED)
    Job.objects.filter(delivery__pk__in=failed_for_good).update(status=Job.Status.FAILED)
    for number, (delivery, at) in enumerate(texts):
        sms = InboundSms.objects.create(provider_id=f"history-{day:%Y%m%d}-{number}",
                                        from_number=delivery.recipient_phone, to_number="+33180000000",
                                        body=rng.choice(TEXTS), handled_as="unknown")
        InboundSms.objects.filter(pk=sms.pk).update(received_at=at)
    return len(deliveries)
