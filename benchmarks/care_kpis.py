"""KPI benchmark: the care KPI page's figures on 100,000 deliveries in a throwaway PostgreSQL database.

Creates a database beside the one `--database-url` names, migrates it, seeds a month of closed
deliveries in bulk (jobs, active plans, routes and stops with arrivals and dwell, canonical events,
three ETA snapshots each, failed attempts, exceptions, care searches and "where is" texts), then
times what the KPI page computes for a few filter choices, twice: with every day computed from the
journeys (as before any refresh has run), then with the closed days read from the rows the periodic
refresh stores (care.kpi_days) and today computed. Each line gives the first run (cold: nothing of it
in PostgreSQL's buffers) and the best and median of --repeat more; the machine's load is printed
before and after, since a shared machine's load changes every figure. The database is dropped at the end.

    python benchmarks/care_kpis.py --deliveries 100000
    python benchmarks/care_kpis.py --database-url postgres://postgres@127.0.0.1:5432/postgres --keep
    python benchmarks/care_kpis.py --reuse care_kpis_bench_1234 --parts    # again, each KPI's query timed too
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
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


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def timed(label: str, compute, repeat: int) -> float:
    """The first run (cold: nothing of this query in PostgreSQL's buffers or plan cache yet) and the best and median
    of `repeat` more (warm); the figure to judge is the warm one, the cold one says what a first visitor waits."""
    started = time.perf_counter()
    compute()
    first = time.perf_counter() - started
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        compute()
        runs.append(time.perf_counter() - started)
    print(f"{label:<52} first {first * 1000:6.0f} ms   best {min(runs) * 1000:6.0f} ms   "
          f"median {statistics.median(runs) * 1000:6.0f} ms", flush=True)
    return min(runs)


def kpi_parts(scope, *, fleet_figures: bool) -> dict:
    """Each database read the KPI page makes, by the KPI it feeds (first-attempt, on-time and reattempts share one)."""
    from care import kpis

    parts = {
        "eta accuracy": lambda: kpis.eta_accuracy_by_day(scope),
        "closing (first attempt, OTIF, reattempts)": lambda: kpis.closing_by_day(scope),
        "dwell by zone": lambda: kpis.dwell_by_zone(scope),
        "cost per stop": lambda: kpis.costs_by_day(scope),
        "wismo contacts": lambda: kpis.contacts_by_day(scope),
        "exceptions by rule": lambda: kpis.exceptions_by_rule(scope),
    }
    if not fleet_figures:
        del parts["cost per stop"]
    return parts


def time_page(label: str, scope, *, fleet_figures: bool, repeat: int, parts: bool) -> float:
    from care import kpis
    from care.kpi_report import kpi_report

    best = timed(f"page: {label}", lambda: kpi_report(scope=scope, fleet_figures=fleet_figures), repeat)
    if parts:
        for name, compute in kpi_parts(scope, fleet_figures=fleet_figures).items():
            def inside(compute=compute):
                with kpis.analytics_queries():
                    compute()
            timed(f"    {name}", inside, repeat)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                        or "postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database (its name is printed).")
    parser.add_argument("--reuse", metavar="NAME", help="Time a database kept by an earlier --keep run (migrated "
                        "to this code first, not seeded again); it is kept.")
    parser.add_argument("--parts", action="store_true", help="Also time each KPI's query on its own.")
    args = parser.parse_args()

    name = args.reuse or f"care_kpis_bench_{os.getpid()}"
    if not args.reuse:
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
        if not args.reuse:
            started = time.perf_counter()
            seed(deliveries=args.deliveries, today=today)
            print(f"Seeded {args.deliveries:,} deliveries in {time.perf_counter() - started:.0f} s into {name}.")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

        from zoneinfo import ZoneInfo

        from care.kpi_days import kpi_days_refresh
        from care.kpis import KpiScope, kpis
        from care.models import KpiStoredDay
        from core import clock
        from dispatch.models import Zone
        from merchants.models import Merchant
        from scheduling.models import Delivery

        paris = ZoneInfo("Europe/Paris")
        now = dt.datetime.combine(today, dt.time(18), paris)
        zone = Zone.objects.order_by("code").first()
        merchant = Merchant.objects.order_by("slug").first()
        month = KpiScope(first=today - dt.timedelta(days=DAYS - 1), last=today, tz=paris)
        fortnight = KpiScope(first=today - dt.timedelta(days=13), last=today, tz=paris)
        scopes = [
            ("last 14 days, every merchant and zone", fortnight, True),
            (f"all {DAYS} days, every merchant and zone", month, True),
            (f"{DAYS} days, one zone", KpiScope(first=month.first, last=month.last, tz=paris, zone_id=zone.pk), True),
            (f"{DAYS} days, one merchant's staff", KpiScope(first=month.first, last=month.last, tz=paris,
                                                            merchant_ids=frozenset({merchant.pk})), False),
        ]

        def pages() -> None:
            for label, scope, fleet in scopes:
                time_page(label, scope, fleet_figures=fleet, repeat=args.repeat, parts=args.parts)
            timed("care home cards (today, last 7 days)", lambda: kpis(now=now, tz=paris), args.repeat)

        with clock.frozen_at(now):  # "today" is the last seeded day, 18:00 in Paris
            print(f"KPI page, {Delivery.objects.count():,} deliveries on PostgreSQL; {load()}")
            KpiStoredDay.objects.all().delete()
            print("\nEvery day computed from the journeys (nothing stored yet):")
            pages()
            started = time.perf_counter()
            stored = kpi_days_refresh(now=now)
            print(f"\nFirst refresh: stored {stored} closed days in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            stored = kpi_days_refresh(now=now)
            print(f"Next refresh (the settling days again): stored {stored} days in "
                  f"{time.perf_counter() - started:.1f} s")
            print("\nClosed days read from their stored rows, today computed:")
            pages()
        print(f"After timing: {load()}")
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep or args.reuse:
            print(f"Kept database {name}.")
        else:
            _admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
