"""Load on the production topology: window queries and bookings from 16, 64 and 300 concurrent clients.

The script starts the portal as production runs it (its own PostgreSQL database and
Redis, two daphne processes, a Celery worker and beat, DJANGO_ENV=production, the
seeded demo city), then, for each concurrency level, runs for --seconds:

- clients that each loop: a window query (GET /api/v1/windows/, 5 days at a random
  demo address) and, one time in --booking-every, a booking (POST
  /api/v1/deliveries/) in a random available window of that answer;
- the peer, from the same run: the same number of clients calling the trivial
  /api/v1/ping/ endpoint of the same servers, which shows what daphne and the
  network stack alone cost at that concurrency.

It prints, per level: requests/s, p50/p95/p99 latency, the answers by status (5xx
counted apart), and the peak number of PostgreSQL connections to the portal's
database, sampled every 100 ms. Every loop is bounded in time and sends traffic
to 127.0.0.1 only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \\
        python benchmarks/load.py [--levels 16,64,300] [--seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.shoppers import booking_body, seed_day  # noqa: E402
from tests.e2e.stack import Stack, services_missing  # noqa: E402

# Rate limits off: this measures what the servers serve, not one merchant's fair share.
STACK_SETTINGS = {"PLANNER_TIME_LIMIT_SECONDS": "3", "REPLAN_DEBOUNCE_SECONDS": "20", "THROTTLE_ENABLED": "0"}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class ConnectionSampler(threading.Thread):
    """Counts the PostgreSQL backends connected to the portal's database, keeping the peak."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack, self.peak, self.running = stack, 0, True

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.stack.admin_url, autocommit=True) as conn:
            while self.running:
                count = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                     (self.stack.database,)).fetchone()[0]
                self.peak = max(self.peak, count)
                time.sleep(0.1)


async def _timed(session, method: str, url: str, **kwargs) -> tuple[int, float, dict | None]:
    started = time.perf_counter()
    try:
        async with session.request(method, url, **kwargs) as response:
            body = await response.json(content_type=None) if response.content_type == "application/json" else None
            return response.status, time.perf_counter() - started, body
    except (TimeoutError, aiohttp.ClientError):
        return 0, time.perf_counter() - started, None


async def checkout_client(session, stack: Stack, shops: list[dict], until: float, booking_every: int,
                          results: list) -> None:
    rng = random.Random()
    n = 0
    while time.monotonic() < until:
        shop = rng.choice(shops)
        address = shop["sample_address"]
        base = stack.base_url(n % len(stack.web_ports))
        n += 1
        lat = address["lat"] + rng.uniform(-0.002, 0.002)
        lng = address["lng"] + rng.uniform(-0.002, 0.002)
        status, seconds, body = await _timed(
            session, "GET", f"{base}/api/v1/windows/",
            params={"lat": f"{lat:.5f}", "lng": f"{lng:.5f}", "date": seed_day(stack, 1).isoformat(), "days": 5},
            headers={"Authorization": f"Bearer {shop['secret_key']}"})
        results.append(("windows", status, seconds))
        if body and n % booking_every == 0:
            windows = [w for w in body.get("windows", []) if w["available"]]
            if windows:
                booking = booking_body(shop, rng.choice(windows)["id"])
                booking["address"].update({"lat": round(lat, 5), "lng": round(lng, 5)})
                status, seconds, _ = await _timed(
                    session, "POST", f"{base}/api/v1/deliveries/", json=booking,
                    headers={"Authorization": f"Bearer {shop['secret_key']}", "Idempotency-Key": uuid.uuid4().hex})
                results.append(("booking", status, seconds))


async def ping_client(session, stack: Stack, until: float, results: list) -> None:
    n = 0
    while time.monotonic() < until:
        status, seconds, _ = await _timed(session, "GET", f"{stack.base_url(n % len(stack.web_ports))}/api/v1/ping/")
        n += 1
        results.append(("ping", status, seconds))


async def run_level(stack: Stack, clients: int, seconds: float, booking_every: int, peer: bool) -> dict:
    results: list = []
    sampler = ConnectionSampler(stack)
    sampler.start()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        until = time.monotonic() + seconds
        started = time.monotonic()
        if peer:
            await asyncio.gather(*(ping_client(session, stack, until, results) for _ in range(clients)))
        else:
            shops = stack.seed["merchants"]
            await asyncio.gather(*(checkout_client(session, stack, shops, until, booking_every, results)
                                   for _ in range(clients)))
        elapsed = time.monotonic() - started
    sampler.running = False
    sampler.join()
    return {"results": results, "elapsed": elapsed, "peak_connections": sampler.peak}


def report(label: str, clients: int, run: dict) -> None:
    results = run["results"]
    by_kind = collections.defaultdict(list)
    for kind, status, seconds in results:
        by_kind[kind].append((status, seconds))
    print(f"\n{label}, {clients} clients, {run['elapsed']:.1f} s, peak PostgreSQL connections {run['peak_connections']}")
    print(f"  {'':10} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'5xx':>5}  answers")
    for kind, rows in sorted(by_kind.items()):
        times = [seconds * 1000 for status, seconds in rows]
        statuses = collections.Counter(status for status, _ in rows)
        server_errors = sum(count for status, count in statuses.items() if status >= 500 or status == 0)
        print(f"  {kind:10} {len(rows) / run['elapsed']:8.1f} {statistics.median(times):8.1f} "
              f"{percentile(times, 0.95):8.1f} {percentile(times, 0.99):8.1f} {server_errors:5d}  "
              + ", ".join(f"{status or 'no answer'}: {count}" for status, count in sorted(statuses.items())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="16,64,300", help="comma-separated concurrent clients (default 16,64,300)")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each level (default 20)")
    parser.add_argument("--booking-every", type=int, default=5, help="one booking per this many window queries")
    args = parser.parse_args()
    missing = services_missing()
    if missing:
        sys.exit(missing)
    levels = [int(level) for level in args.levels.split(",")]
    if max(levels) > 1000 or args.seconds > 120:
        sys.exit("at most 1,000 clients and 120 s per level")
    print("Starting the production topology (database, Redis, 2 daphne, worker, beat, demo seed)...", flush=True)
    stack = Stack(settings=STACK_SETTINGS, seed_days=7)
    try:
        stack.start()
        print(f"Ready: daphne on {', '.join(str(p) for p in stack.web_ports)}; "
              f"pool of {stack.env.get('DB_POOL_MAX_SIZE', '8')} connections per process.", flush=True)
        for clients in levels:
            checkout = asyncio.run(run_level(stack, clients, args.seconds, args.booking_every, peer=False))
            report("checkout (window queries + bookings)", clients, checkout)
            peer = asyncio.run(run_level(stack, clients, args.seconds / 2, args.booking_every, peer=True))
            report("peer: trivial /api/v1/ping/ on the same servers", clients, peer)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
