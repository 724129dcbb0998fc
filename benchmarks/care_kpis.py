"""KPI benchmark: the care KPI page's figures on 100,000 deliveries in a throwaway PostgreSQL database.

Creates a database beside the one `--database-url` names, migrates it, seeds a month of closed
deliveries in bulk (jobs, active plans, routes and stops with arrivals and dwell, canonical events,
three ETA snapshots each, failed attempts, exceptions, care searches and "where is" texts), then
times what the KPI page computes for a few filter choices. The database is dropped at the end.

    python benchmarks/care_kpis.py --deliveries 100000
    python benchmarks/care_kpis.py --database-url postgres://postgres@127.0.0.1:5432/postgres --keep
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DAYS = 30
ZONES = 6
VANS = 60
STOPS_PER_ROUTE = 60


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql)


def seed(*, deliveries: int, today: dt.date, seed_value: int = 7) -> None:
    """Bulk rows shaped like a month of a busy city: `deliveries` over DAYS days, ZONES zones, VANS vans."""
    from zoneinfo import ZoneInfo

    from care.models import CareSearch, JourneyException
    from dispatch.models import Depot, Job, Plan, Route, Stop, Vehicle, Zone
    from merchants.models import Merchant
    from notifications.models import InboundSms
    from scheduling.models import Delivery, Window, WindowTemplate
    from tracking.models import EtaSnapshot, Event

    rng = random.Random(seed_value)
    paris = ZoneInfo("Europe/Paris")
    depot = Depot.objects.create(code="bench", name="Bench depot", lat=48.85, lng=2.35, time_zone="Europe/Paris")
    zones = [Zone.objects.create(code=f"z{i}", name=f"Zone {i}", depot=depot) for i in range(ZONES)]
    vans = Vehicle.objects.bulk_create([
        Vehicle(code=f"van-{i}", name=f"Van {i}", depot=depot, capacity_parcels=200, capacity_weight_kg=900)
        for i in range(VANS)])
    merchants = [Merchant.objects.create(slug=f"shop-{i}", name=f"Shop {i}", brand_name=f"Shop {i}",
                                         time_zone="Europe/Paris", currency="EUR") for i in range(3)]
    templates = {(m.pk, z.pk, h): WindowTemplate.objects.create(
        merchant=m, zone=z, start_time=dt.time(h), end_time=dt.time(h + 2), weekdays=[1, 2, 3, 4, 5, 6, 7],
        cutoff_time=dt.time(20)) for m in merchants for z in zones for h in (8, 10, 12, 14, 16, 18)}
    per_day = deliveries // DAYS
    for offset in range(DAYS):
        day = today - dt.timedelta(days=DAYS - 1 - offset)
        windows = Window.objects.bulk_create([
            Window(template=t, merchant_id=m, zone_id=z, date=day, label="standard", price_amount=0, currency="EUR",
                   starts_at=dt.datetime.combine(day, dt.time(h), paris),
                   ends_at=dt.datetime.combine(day, dt.time(h + 2), paris),
                   cutoff_at=dt.datetime.combine(day, dt.time(7), paris), capacity=per_day, booked=0)
            for (m, z, h), t in templates.items()])
        chosen = [rng.choice(windows) for _ in range(per_day)]
        jobs = Job.objects.bulk_create([
            Job(merchant_id=w.merchant_id, depot=depot, zone_id=w.zone_id, date=day, lat=48.85, lng=2.35,
                window_start=w.starts_at, window_end=w.ends_at, status="done") for w in chosen], batch_size=5000)
        rows = Delivery.objects.bulk_create([
            Delivery(id=uuid.uuid4(), merchant_id=w.merchant_id, order_ref=f"B-{day:%m%d}-{n}", window=w, job=j,
                     status="delivered" if rng.random() > 0.04 else "attempted", recipient_name="Bench Customer",
                     recipient_phone=f"+336{rng.randint(10000000, 99999999)}", address_line1="1 rue",
                     address_city="Paris", address_postcode="75001", lat=48.85, lng=2.35)
            for n, (w, j) in enumerate(zip(chosen, jobs, strict=True))], batch_size=5000)
        plan = Plan.objects.create(depot=depot, date=day, version=1, distance_m=per_day * 2500,
                                   duration_s=VANS * 8 * 3600)
        routes = Route.objects.bulk_create([
            Route(plan=plan, vehicle=v, starts_at=dt.datetime.combine(day, dt.time(7), paris),
                  ends_at=dt.datetime.combine(day, dt.time(20), paris), distance_m=per_day * 2500 // VANS,
                  duration_s=8 * 3600) for v in vans])
        stops, events, snapshots, exceptions, searches, texts = [], [], [], [], [], []
        for n, (w, job, delivery) in enumerate(zip(chosen, jobs, rows, strict=True)):
            planned = w.starts_at + dt.timedelta(minutes=rng.uniform(5, 110))
            arrival = planned + dt.timedelta(minutes=rng.gauss(3, 8))
            departure = arrival + dt.timedelta(seconds=rng.uniform(60, 600))
            stops.append(Stop(route=routes[n % VANS], job=job, sequence=n // VANS + 1, planned_arrival=planned,
                              planned_departure=planned, actual_arrival=arrival, actual_departure=departure,
                              status="done"))
            events += [Event(delivery=delivery, milestone="scheduled", source="system",
                             recorded_at=w.starts_at - dt.timedelta(hours=12)),
                       Event(delivery=delivery, milestone="scanned_out", source="driver",
                             recorded_at=w.starts_at - dt.timedelta(hours=1)),
                       Event(delivery=delivery, milestone="arrived", source="geofence", recorded_at=arrival)]
            if delivery.status == "attempted" or rng.random() < 0.03:
                events.append(Event(delivery=delivery, milestone="attempted", reason="nobody_home", source="driver",
                                    recorded_at=departure))
                exceptions.append(JourneyException(
                    delivery=delivery, code="failed_attempt", message="Delivery attempted.", state="resolved",
                    opened_at=departure, due_at=departure + dt.timedelta(hours=2),
                    resolved_at=departure + dt.timedelta(minutes=rng.uniform(10, 120))))
            if delivery.status == "delivered":
                events.append(Event(delivery=delivery, milestone="delivered", source="driver",
                                    recorded_at=departure + dt.timedelta(minutes=2 if len(events) % 5 else 90)))
            for before in (120, 45, 10):
                eta = arrival + dt.timedelta(minutes=rng.gauss(0, before / 10))
                snapshots.append(EtaSnapshot(delivery=delivery, computed_at=arrival - dt.timedelta(minutes=before),
                                             eta=eta, band_start=eta - dt.timedelta(minutes=8),
                                             band_end=eta + dt.timedelta(minutes=8)))
            if rng.random() < 0.04:
                searches.append(CareSearch(searched_at=arrival - dt.timedelta(minutes=30), kind="phone", hits=1,
                                           delivery=delivery))
            if rng.random() < 0.01:
                texts.append(InboundSms(provider_id=f"bench-{delivery.pk}", from_number=delivery.recipient_phone,
                                        to_number="+1", body="Where is my parcel?"))
        for model, batch in ((Stop, stops), (Event, events), (EtaSnapshot, snapshots),
                             (JourneyException, exceptions), (CareSearch, searches), (InboundSms, texts)):
            model.objects.bulk_create(batch, batch_size=5000)
        print(f"  seeded {day}: {len(rows)} deliveries", flush=True)


def timed(label: str, compute, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        compute()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<48} {best * 1000:8.0f} ms  (best of {repeat})", flush=True)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                        or "postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database (its name is printed).")
    args = parser.parse_args()

    name = f"care_kpis_bench_{os.getpid()}"
    _admin(args.database_url, f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = _with_database(args.database_url, name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        today = dt.date(2026, 6, 30)
        started = time.perf_counter()
        seed(deliveries=args.deliveries, today=today)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"Seeded {args.deliveries:,} deliveries in {time.perf_counter() - started:.0f} s into {name}.")

        from zoneinfo import ZoneInfo

        from care.kpi_report import kpi_report
        from care.kpis import KpiScope, kpis
        from dispatch.models import Zone
        from merchants.models import Merchant

        paris = ZoneInfo("Europe/Paris")
        zone = Zone.objects.order_by("code").first()
        merchant = Merchant.objects.order_by("slug").first()
        month = KpiScope(first=today - dt.timedelta(days=DAYS - 1), last=today, tz=paris)
        fortnight = KpiScope(first=today - dt.timedelta(days=13), last=today, tz=paris)
        print(f"KPI page, {args.deliveries:,} deliveries on PostgreSQL:")
        timed("page, last 14 days, every merchant and zone", lambda: kpi_report(scope=fortnight, fleet_figures=True),
              args.repeat)
        timed(f"page, all {DAYS} days ({args.deliveries:,} deliveries)",
              lambda: kpi_report(scope=month, fleet_figures=True), args.repeat)
        timed(f"page, {DAYS} days, one zone", lambda: kpi_report(
            scope=KpiScope(first=month.first, last=month.last, tz=paris, zone_id=zone.pk), fleet_figures=True),
            args.repeat)
        timed(f"page, {DAYS} days, one merchant's staff", lambda: kpi_report(
            scope=KpiScope(first=month.first, last=month.last, tz=paris, merchant_ids=frozenset({merchant.pk})),
            fleet_figures=False), args.repeat)
        timed("care home cards (today, last 7 days)", lambda: kpis(now=dt.datetime.combine(
            today, dt.time(18), paris), tz=paris), args.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"Kept database {name}.")
        else:
            _admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
