"""How good is the micro-ETA? Simulate a day and compare it with the naive baseline (the planned arrival).

    python benchmarks/eta_accuracy.py [--vans 15] [--stops 18] [--seed 7] [--diagnose]

The scenario lives in a throwaway SQLite database: one depot in Paris, `--vans`
vans with `--stops` deliveries each, routed greedily (nearest neighbour) and
timed with the travel-time provider, every job in the 2-hour window that holds its
planned arrival. `demo.simulator.FleetSimulator` then drives the day flat out
through the driver services, so the ETAs measured are the product's own, stored
as `EtaSnapshot`s. For each stop reached and each horizon (60, 30, 10 minutes
before the true arrival) we take the ETA the customer was shown at that moment
(the latest snapshot computed no later) and the stop's planned arrival.

`--diagnose` also prints where the error comes from, without changing what is
measured: the signed error at each horizon (by stops away), the geofence's
arrival and departure stamps against the truth, driven legs against the
provider's times, and each zone's dwell against what it learned.
"""

import argparse
import datetime as dt
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PARIS = ZoneInfo("Europe/Paris")
HORIZONS_MIN = (60, 30, 10)


def setup_django(database: Path) -> None:
    os.environ["SQLITE_PATH"] = str(database)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("LOG_LEVEL", "warning")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_scenario(*, vans: int, stops: int, seed: int, day: dt.date):
    from dispatch.models import Depot, Driver, Job, Plan, Route, Shift, Stop, Vehicle, Zone
    from dispatch.travel import leg_seconds_from_provider
    from merchants.models import Merchant
    from scheduling.models import Delivery, Window, WindowTemplate

    rng = random.Random(seed)
    leg = leg_seconds_from_provider(time_zone="Europe/Paris")
    depot = Depot.objects.create(code="bench", name="Bench depot", lat=48.8205, lng=2.3700)
    zones = [
        Zone.objects.create(code=f"bench-{i}", name=f"Zone {i}", depot=depot, default_service_seconds=240)
        for i in range(4)
    ]
    merchant = Merchant.objects.create(slug="bench", name="Bench", brand_name="Bench", languages=["en"])
    templates, windows = {}, {}
    for hour in range(6, 22, 2):
        template = WindowTemplate.objects.create(
            merchant=merchant, zone=zones[0], start_time=dt.time(hour), end_time=dt.time(hour + 2),
            weekdays=[1, 2, 3, 4, 5, 6, 7], cutoff_time=dt.time(22))
        templates[hour] = template
        start = dt.datetime.combine(day, dt.time(hour), tzinfo=PARIS)
        windows[hour] = Window.objects.create(
            template=template, merchant=merchant, zone=zones[0], date=day, starts_at=start,
            ends_at=start + dt.timedelta(hours=2), cutoff_at=start - dt.timedelta(days=1), label="standard",
            price_amount=0, currency="EUR", capacity=10_000)
    for index in range(vans):
        vehicle = Vehicle.objects.create(code=f"bench-van-{index}", name=f"Van {index}", depot=depot,
                                         capacity_parcels=200, capacity_weight_kg=2000)
        driver = Driver.objects.create(first_name=f"Driver{index}", last_name="Bench")
        start = dt.datetime.combine(day, dt.time(8), tzinfo=PARIS) + dt.timedelta(minutes=5 * (index % 6))
        Shift.objects.create(driver=driver, vehicle=vehicle, depot=depot, date=day, starts_at=start,
                             ends_at=start + dt.timedelta(hours=11))
    plan = Plan.objects.create(depot=depot, date=day, version=1)
    order = 0
    for vehicle in Vehicle.objects.filter(depot=depot).order_by("code"):
        shift = Shift.objects.get(vehicle=vehicle, date=day)
        # A van's area: addresses spread over a few arrondissements around a random centre inside Paris.
        centre = (48.835 + rng.uniform(0, 0.06), 2.28 + rng.uniform(0, 0.14))
        points = [(centre[0] + rng.gauss(0, 0.014), centre[1] + rng.gauss(0, 0.021)) for _ in range(stops)]
        route_points, here = [], (depot.lat, depot.lng)
        while points:
            nearest = min(points, key=lambda p: math.dist(p, here))
            points.remove(nearest)
            route_points.append(nearest)
            here = nearest
        route = Route.objects.create(plan=plan, vehicle=vehicle, shift=shift, starts_at=shift.starts_at,
                                     ends_at=shift.ends_at)
        t, here = shift.starts_at, (depot.lat, depot.lng)
        for sequence, point in enumerate(route_points, start=1):
            t += dt.timedelta(seconds=leg(here, point, t))
            hour = min(max(t.astimezone(PARIS).hour // 2 * 2, 6), 20)
            window = windows[hour]
            zone = zones[sequence % len(zones)]
            job = Job.objects.create(depot=depot, zone=zone, date=day, lat=point[0], lng=point[1],
                                     window_start=window.starts_at, window_end=window.ends_at, status="planned")
            order += 1
            Delivery.objects.create(
                merchant=merchant, order_ref=f"B-{order:05d}", window=window, job=job, status="scheduled",
                recipient_name="Bench Customer", address_line1="1 Rue du Banc", address_city="Paris",
                address_postcode="75013", lat=point[0], lng=point[1])
            Stop.objects.create(route=route, job=job, sequence=sequence, planned_arrival=t,
                                planned_departure=t + dt.timedelta(seconds=job.service_seconds))
            t += dt.timedelta(seconds=job.service_seconds)
            here = point
        Route.objects.filter(pk=route.pk).update(ends_at=t + dt.timedelta(seconds=leg(here, (depot.lat, depot.lng), t)))
    return depot


def measure(truths) -> dict:
    from tracking.models import EtaSnapshot

    by_stop: dict[int, list] = {}
    for snap in EtaSnapshot.objects.filter(stop_id__in=list(truths)).order_by("computed_at", "id"):
        by_stop.setdefault(snap.stop_id, []).append(snap)
    results = {}
    for horizon in HORIZONS_MIN:
        ours, baseline, inside, widths = [], [], [], []
        for stop_id, truth in truths.items():
            moment = truth.arrival - dt.timedelta(minutes=horizon)
            shown = [s for s in by_stop.get(stop_id, []) if s.computed_at <= moment]
            if not shown:
                continue  # the van reached it less than `horizon` after the day started
            snap = shown[-1]
            ours.append(abs((snap.eta - truth.arrival).total_seconds()) / 60)
            baseline.append(abs((truth.planned_arrival - truth.arrival).total_seconds()) / 60)
            inside.append(snap.band_start <= truth.arrival <= snap.band_end)
            widths.append((snap.band_end - snap.band_start).total_seconds() / 60)
        results[horizon] = {
            "n": len(ours),
            "mae": statistics.fmean(ours) if ours else float("nan"),
            "baseline_mae": statistics.fmean(baseline) if baseline else float("nan"),
            "inside": sum(inside) / len(inside) if inside else float("nan"),
            "band_width": statistics.median(widths) if widths else float("nan"),
        }
    return results


def diagnose(truths, *, slow_zone) -> None:
    """Where the error comes from (see the module docstring); reads the same snapshots as `measure`."""
    from dispatch.models import Stop, Zone
    from dispatch.travel import leg_seconds_from_provider
    from tracking.models import EtaSnapshot

    def mean(values) -> float:
        return statistics.fmean(values) if values else float("nan")

    snaps: dict[int, list] = {}
    for snap in EtaSnapshot.objects.filter(stop_id__in=list(truths)).order_by("computed_at", "id"):
        snaps.setdefault(snap.stop_id, []).append(snap)
    print("Signed error, ETA shown minus true arrival (negative: the van came later than shown), by stops away:")
    for horizon in HORIZONS_MIN:
        errors: dict[int, list[float]] = {}
        for stop_id, truth in truths.items():
            shown = [s for s in snaps.get(stop_id, []) if s.computed_at <= truth.arrival - dt.timedelta(minutes=horizon)]
            if shown:
                error = (shown[-1].eta - truth.arrival).total_seconds() / 60
                errors.setdefault(min(shown[-1].stops_away, 5), []).append(error)
        every = [e for group in errors.values() for e in group]
        detail = "  ".join(f"{'5+' if away == 5 else away}: {mean(group):+.2f} ({len(group)})"
                           for away, group in sorted(errors.items()))
        print(f"  {horizon:>3} min: {mean(every):+.2f} min   {detail}")

    stops = list(Stop.objects.filter(pk__in=list(truths)).select_related("job__zone").order_by("route_id", "sequence"))
    arrived = [(s.actual_arrival - truths[s.pk].arrival).total_seconds() for s in stops if s.actual_arrival]
    left = [(s.actual_departure - truths[s.pk].departure).total_seconds()
            for s in stops if s.actual_departure and truths[s.pk].departure]
    print(f"Geofence stamps minus truth: arrival {mean(arrived):+.1f} s (mean), departure {mean(left):+.1f} s "
          "(a van waiting for a window leaves after its last scan, which is the truth's departure)")

    leg = leg_seconds_from_provider(time_zone="Europe/Paris")
    sums: dict[str, list[float]] = {}
    for before, after in zip(stops, stops[1:], strict=False):
        t_before, t_after = truths[before.pk], truths[after.pk]
        if before.route_id != after.route_id or t_before.departure is None:
            continue
        predicted = leg((before.job.lat, before.job.lng), (after.job.lat, after.job.lng), t_before.departure) \
            * after.job.zone.speed_factor
        slow = slow_zone is not None and after.job.zone_id == slow_zone[0] \
            and slow_zone[1] <= t_before.departure < slow_zone[2]
        kind = "in the slowed zone" if slow else "elsewhere"
        row = sums.setdefault(kind, [0, 0.0, 0.0, 0.0, 0.0])
        row[0] += 1
        row[1] += predicted
        row[2] += (t_after.arrival - t_before.departure).total_seconds()
        if after.actual_arrival and before.actual_departure:
            row[3] += predicted
            row[4] += (after.actual_arrival - before.actual_departure).total_seconds()
    print("Driven legs against the provider's times (x the zone's speed factor):")
    for kind, (n, predicted, true, measured_predicted, measured) in sums.items():
        print(f"  {kind:>18}: {n:>3} legs, true/predicted {true / predicted:.3f}, "
              f"geofence-measured/predicted {measured / max(measured_predicted, 1):.3f}")

    print("Dwell by zone (s): true mean, geofence-measured mean, learned by the zone")
    for zone in Zone.objects.filter(pk__in={s.job.zone_id for s in stops}).order_by("pk"):
        mine = [s for s in stops if s.job.zone_id == zone.pk]
        true = [(truths[s.pk].departure - truths[s.pk].arrival).total_seconds() for s in mine if truths[s.pk].departure]
        measured = [(s.actual_departure - s.actual_arrival).total_seconds()
                    for s in mine if s.actual_departure and s.actual_arrival]
        print(f"  {zone.code:>10}: {mean(true):.0f}  {mean(measured):.0f}  {zone.learned_service_seconds}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vans", type=int, default=15)
    parser.add_argument("--stops", type=int, default=18)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--diagnose", action="store_true", help="also print where the error comes from")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        setup_django(Path(folder) / "bench.sqlite3")
        from demo.simulator import FleetSimulator, SimConfig

        day = dt.date(2026, 11, 24)
        depot = build_scenario(vans=args.vans, stops=args.stops, seed=args.seed, day=day)
        simulator = FleetSimulator(config=SimConfig(seed=args.seed), day=day, depots=[depot])
        started = time.perf_counter()
        simulator.run(start=dt.datetime.combine(day, dt.time(7, 55), tzinfo=PARIS))
        elapsed = time.perf_counter() - started
        results = measure(simulator.truths)
        if args.diagnose:
            diagnose(simulator.truths, slow_zone=simulator.slow_zone)

    print(f"Simulated {args.vans} vans x {args.stops} stops ({len(simulator.truths)} arrivals) in {elapsed:.0f} s")
    print(f"{'before arrival':>15} {'n':>5} {'micro-ETA MAE':>14} {'baseline MAE':>13} {'inside band':>12} {'band width':>11}")
    for horizon, row in results.items():
        print(f"{horizon:>12} min {row['n']:>5} {row['mae']:>10.2f} min {row['baseline_mae']:>9.2f} min "
              f"{row['inside']:>11.0%} {row['band_width']:>7.1f} min")
    at30 = results[30]
    targets = {
        "MAE at 30 min <= 3 min": at30["mae"] <= 3,
        "MAE at 30 min <= half the baseline's": at30["mae"] <= at30["baseline_mae"] / 2,
        ">= 90 % inside the band shown at 30 min": at30["inside"] >= 0.9,
    }
    for name, met in targets.items():
        print(f"  [{'x' if met else ' '}] {name}")
    return 0 if all(targets.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
