"""Checkout latency: a 7-day window query for one address, against a running server.

Target: p95 <= 50 ms on a 2-core machine with 1,000 bookings a day in the zone.

With no --url, the script builds its own world and server:

1. a fresh SQLite database in a temporary directory, migrated;
2. one merchant, one depot and zone (central Paris), 16 vans with 07:00-21:00 shifts,
   six 2-hour windows a day, and 1,000 deliveries a day for 7 days at random
   addresses in the zone (booked through `delivery_create_for_seed`);
3. daphne serving the portal on a free port.

It then warms up (the first query builds the day's tentative routes), and times
--requests window queries interleaved with as many calls of the trivial
/api/v1/ping/ endpoint of the same server, and prints p50/p95/p99 of both and
their ratio.

    python benchmarks/checkout_latency.py                    # build everything
    python benchmarks/checkout_latency.py --url http://127.0.0.1:8000 --key pk_… --lat 48.86 --lng 2.35
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_SLUG = "bench-shop"
PUBLISHABLE = "pk_bench_0123456789abcdef0123456789"
POLYGON = [[48.83, 2.30], [48.83, 2.40], [48.89, 2.40], [48.89, 2.30]]
ADDRESS = (48.8600, 2.3500)


def prepare(bookings_per_day: int, days: int, vehicles: int) -> None:
    """Build the benchmark world in the configured database (runs inside Django)."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from zoneinfo import ZoneInfo

    from django.db import transaction

    from dispatch.models import Depot, Driver, Shift, Vehicle, Zone
    from merchants.models import ApiKey, Merchant
    from merchants.services import api_key_create
    from scheduling.models import Window, WindowTemplate
    from scheduling.services import delivery_create_for_seed, windows_materialize

    paris = ZoneInfo("Europe/Paris")
    today = dt.datetime.now(paris).date()
    rng = random.Random(7)
    with transaction.atomic():
        merchant = Merchant.objects.create(slug=BENCH_SLUG, name="Bench Shop", brand_name="Bench Shop",
                                           languages=["en"], time_zone="Europe/Paris")
        api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE, raw_key=PUBLISHABLE)
        depot = Depot.objects.create(code="bench-depot", name="Bench depot", lat=48.86, lng=2.36)
        zone = Zone.objects.create(code="bench-zone", name="Bench zone", depot=depot, polygon=POLYGON)
        for number in range(vehicles):
            vehicle = Vehicle.objects.create(code=f"bench-van-{number}", name=f"Van {number}", depot=depot,
                                             capacity_parcels=120, capacity_weight_kg=900)
            driver = Driver.objects.create(first_name=f"Driver{number}")
            for offset in range(days + 1):
                day = today + dt.timedelta(days=offset)
                Shift.objects.create(driver=driver, vehicle=vehicle, depot=depot, date=day,
                                     starts_at=dt.datetime.combine(day, dt.time(7), tzinfo=paris),
                                     ends_at=dt.datetime.combine(day, dt.time(21), tzinfo=paris))
        for start in (8, 10, 12, 14, 16, 18):
            WindowTemplate.objects.create(
                merchant=merchant, zone=zone, label="evening" if start >= 18 else "standard",
                start_time=dt.time(start), end_time=dt.time(start + 2), weekdays=[1, 2, 3, 4, 5, 6, 7],
                price_amount="3.90", cutoff_days_before=1, cutoff_time=dt.time(22), max_stops=bookings_per_day,
            )
        windows_materialize(merchant=merchant, start=today, days=days + 1)
        count = 0
        for offset in range(1, days + 1):
            day_windows = list(Window.objects.filter(merchant=merchant, date=today + dt.timedelta(days=offset))
                               .select_related("template", "zone"))
            for i in range(bookings_per_day):
                lat = rng.uniform(POLYGON[0][0] + 0.002, POLYGON[2][0] - 0.002)
                lng = rng.uniform(POLYGON[0][1] + 0.002, POLYGON[1][1] - 0.002)
                delivery_create_for_seed(
                    merchant=merchant, window=day_windows[i % len(day_windows)], order_ref=f"B{offset}-{i}",
                    recipient_name="Bench", address_line1="1 Rue", address_city="Paris", address_postcode="75001",
                    lat=lat, lng=lng, send_signal=False,
                )
                count += 1
    print(f"prepared {count} deliveries over {days} days, {vehicles} vehicles", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(base: str, key: str, lat: float, lng: float, count: int, warmup: int) -> None:
    session = requests.Session()
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    windows_url = f"{base}/api/v1/windows/"
    params = {"lat": lat, "lng": lng, "date": tomorrow, "days": 7}
    headers = {"X-Api-Key": key}
    started = time.perf_counter()
    first = session.get(windows_url, params=params, headers=headers, timeout=120)
    first.raise_for_status()
    cold = time.perf_counter() - started
    offered = first.json()["windows"]
    print(f"cold first query (builds tentative routes): {cold * 1000:.0f} ms; "
          f"{len(offered)} windows, {sum(w['available'] for w in offered)} available")
    for _ in range(warmup):
        session.get(windows_url, params=params, headers=headers, timeout=30).raise_for_status()
        session.get(f"{base}/api/v1/ping/", timeout=30).raise_for_status()
    window_ms, ping_ms = [], []
    for _ in range(count):
        t0 = time.perf_counter()
        response = session.get(windows_url, params=params, headers=headers, timeout=30)
        window_ms.append((time.perf_counter() - t0) * 1000)
        response.raise_for_status()
        t0 = time.perf_counter()
        session.get(f"{base}/api/v1/ping/", timeout=30).raise_for_status()
        ping_ms.append((time.perf_counter() - t0) * 1000)
    print(f"{count} requests each, sequential, keep-alive")
    print(f"{'endpoint':<28}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}")
    for name, values in (("GET /api/v1/windows/ (7d)", window_ms), ("GET /api/v1/ping/", ping_ms)):
        print(f"{name:<28}{percentile(values, 50):>8.1f}ms{percentile(values, 95):>7.1f}ms"
              f"{percentile(values, 99):>7.1f}ms{statistics.mean(values):>7.1f}ms")
    print(f"ratio windows/ping: p50 {percentile(window_ms, 50) / percentile(ping_ms, 50):.1f}x, "
          f"p95 {percentile(window_ms, 95) / percentile(ping_ms, 95):.1f}x")
    verdict = "meets" if percentile(window_ms, 95) <= 50 else "MISSES"
    print(f"p95 {percentile(window_ms, 95):.1f} ms {verdict} the 50 ms target")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server; without it the script builds its own")
    parser.add_argument("--key", default=PUBLISHABLE, help="publishable key for --url")
    parser.add_argument("--lat", type=float, default=ADDRESS[0])
    parser.add_argument("--lng", type=float, default=ADDRESS[1])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--bookings-per-day", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--vehicles", type=int, default=16)
    parser.add_argument("--prepare-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.prepare_only:
        prepare(args.bookings_per_day, args.days, args.vehicles)
        return
    if args.url:
        measure(args.url.rstrip("/"), args.key, args.lat, args.lng, args.requests, args.warmup)
        return

    with tempfile.TemporaryDirectory(prefix="checkout-bench-") as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env |= {"SQLITE_PATH": str(Path(tmp) / "bench.sqlite3"), "DJANGO_SETTINGS_MODULE": "portal.settings",
                "DEBUG": "false", "LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT),
                # One client asking hundreds of times in a row would spend a shopper's budget: no limits here.
                "THROTTLE_ENABLED": "0"}
        subprocess.run([PYTHON, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        started = time.perf_counter()
        subprocess.run([PYTHON, __file__, "--prepare-only", "--bookings-per-day", str(args.bookings_per_day),
                        "--days", str(args.days), "--vehicles", str(args.vehicles)], cwd=ROOT, env=env, check=True)
        print(f"seeding took {time.perf_counter() - started:.1f} s")
        port = free_port()
        server = subprocess.Popen([PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "portal.asgi:application"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    requests.get(f"{base}/api/v1/ping/", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            measure(base, PUBLISHABLE, args.lat, args.lng, args.requests, args.warmup)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
