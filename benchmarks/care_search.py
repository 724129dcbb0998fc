"""Care search on 100,000 deliveries: how long an agent waits for each kind of search.

Target: well under a second for every kind on PostgreSQL; p95 in tens of milliseconds with the indexes of
care's migration 0002 (trigram on the folded name and postcode, trigram on the reference, btree on the phone).

1. Create a throwaway database: on PostgreSQL a new database on the server DATABASE_URL points at (dropped at
   the end), on SQLite a file in a temporary directory. Migrate it.
2. Seed three merchants, one zone, 90 days of six windows each and --deliveries deliveries with French names
   (accents and all), phones, emails and 20 Paris postcodes, with bulk_create (no booking service: this
   measures reads).
3. Time `delivery_search` (the function the care page calls, hits built and all) --repeat times per kind, with
   a different query each time, as the platform's staff (every merchant) and as one merchant's staff, and print
   p50/p95 in milliseconds, then the PostgreSQL plan of a name search.

    DATABASE_URL=postgres://user@host:5432/postgres python benchmarks/care_search.py
    python benchmarks/care_search.py --sqlite                    # the embedded default, too
    python benchmarks/care_search.py --deliveries 20000 --repeat 20
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = ["Jade", "Héloïse", "Chloé", "Zoé", "Léa", "Noémie", "Anaïs", "Gaëlle", "Jérôme", "François", "Cécile",
         "Louis", "Gabriel", "Raphaël", "Arthur", "Hugo", "Maël", "Lucas", "Inès", "Camille", "Manon", "Océane",
         "Benoît", "Agnès", "Thaïs", "Yannick", "Joël", "Aurélie", "Clément", "Mathéo"]
LAST = ["Moreau", "Lefèvre", "Dubois", "Bénard", "Durand", "Martin", "Bernard", "Petit", "Robert", "Richard",
        "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Lemaître", "Chevalier", "François", "Girard",
        "Mercier", "Dupont", "Lambert", "Bonnet", "Fontaine", "Roussel", "Vincent", "Lécuyer", "Gauthier", "Perrin",
        "Morel", "Fournier", "Giraud", "André", "Leroy", "Roux", "Noël", "Barbier", "Brun", "Schmitt"]
POSTCODES = [f"750{n:02d}" for n in range(1, 21)]


def seed(count: int) -> None:
    from django.db import connection, transaction

    from dispatch.models import Depot, Zone
    from merchants.models import Merchant
    from scheduling.models import Delivery, Window, WindowTemplate

    rng = random.Random(16)
    tz = dt.timezone(dt.timedelta(hours=1))
    today = dt.date.today()
    with transaction.atomic():
        merchants = [Merchant.objects.create(slug=f"bench-{n}", name=f"Bench shop {n}", brand_name=f"Bench {n}",
                                             languages=["fr"]) for n in range(3)]
        depot = Depot.objects.create(code="bench-depot", name="Bench depot", lat=48.86, lng=2.36)
        zone = Zone.objects.create(code="bench-zone", name="Bench zone", depot=depot)
        windows = []
        for merchant in merchants:
            for start in (8, 10, 12, 14, 16, 18):
                template = WindowTemplate.objects.create(merchant=merchant, zone=zone, start_time=dt.time(start),
                                                         end_time=dt.time(start + 2), cutoff_time=dt.time(22))
                windows += [
                    Window(template=template, merchant=merchant, zone=zone, date=day,
                           starts_at=dt.datetime.combine(day, dt.time(start), tzinfo=tz),
                           ends_at=dt.datetime.combine(day, dt.time(start + 2), tzinfo=tz),
                           cutoff_at=dt.datetime.combine(day, dt.time(0), tzinfo=tz), label="standard",
                           price_amount=0, currency="EUR", capacity=count, booked=0)
                    for day in (today + dt.timedelta(days=offset) for offset in range(-75, 15))
                ]
        windows = Window.objects.bulk_create(windows, batch_size=2000)
        statuses = ["delivered"] * 8 + ["scheduled", "booked", "attempted"]
        rows = []
        for i in range(count):
            window = rng.choice(windows)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            rows.append(Delivery(
                id=uuid.uuid4(), merchant_id=window.merchant_id, window=window, order_ref=f"BN-{i:06d}",
                status=rng.choice(statuses), recipient_name=f"{first} {last}",
                recipient_phone=f"+336{rng.randrange(10**8):08d}", recipient_email=f"client{i}@example.com",
                address_line1=f"{rng.randrange(1, 120)} rue de la Roquette", address_city="Paris",
                address_postcode=rng.choice(POSTCODES), lat=48.85, lng=2.37, tracking_token=uuid.uuid4().hex * 2,
            ))
            if len(rows) == 5000:
                Delivery.objects.bulk_create(rows)
                rows = []
        Delivery.objects.bulk_create(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def queries(rng: random.Random, count: int) -> dict[str, list[str]]:
    from scheduling.models import Delivery

    picked = list(Delivery.objects.order_by("?").values_list(
        "recipient_name", "order_ref", "recipient_phone", "recipient_email", "tracking_token")[:count])

    def plain(text: str) -> str:  # what an agent types: lower case, no accents
        from care.search_key import fold
        return fold(text)

    return {
        "name (full, no accents)": [plain(name) for name, *_ in picked],
        "name (surname only)": [plain(name.split()[-1]) for name, *_ in picked],
        "name (partial: 'helo')": [plain(name.split()[0])[:4] for name, *_ in picked],
        "name + postcode": [f"{plain(name.split()[-1])} {rng.choice(POSTCODES)}" for name, *_ in picked],
        "postcode": [rng.choice(POSTCODES) for _ in picked],
        "reference (exact, any case)": [ref.lower() for _, ref, *_ in picked],
        "reference (partial)": [ref[3:] for _, ref, *_ in picked],
        "phone (read out)": ["0" + " ".join([phone[3:4], phone[4:6], phone[6:8], phone[8:10], phone[10:12]])
                             for _, _, phone, *_ in picked],
        "email": [email.upper() for *_, email, _ in picked],
        "tracking token": [token for *_, token in picked],
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def measure(count: int, repeat: int) -> None:
    """Runs inside Django, on the database DATABASE_URL names."""
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from care.search import delivery_search
    from merchants.models import Merchant

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(count)
    print(f"{connection.vendor}: seeded {count:,} deliveries in {time.perf_counter() - started:.1f} s", flush=True)
    one_merchant = [Merchant.objects.get(slug="bench-1").pk]
    rng = random.Random(7)
    # The figures mean little without the machine's load beside them (a shared 2-core box runs 5x slower at load 10).
    print(f"load average before timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'search':30} {'scope':9} {'p50 ms':>8} {'p95 ms':>8} {'hits (median)':>14}")
    for kind, texts in queries(rng, repeat).items():
        for scope, merchant_ids in (("platform", None), ("merchant", one_merchant)):
            delivery_search(query=texts[0], merchant_ids=merchant_ids)  # warm: connection, caches
            timings, hits = [], []
            for text in texts:
                t0 = time.perf_counter()
                result = delivery_search(query=text, merchant_ids=merchant_ids)
                timings.append((time.perf_counter() - t0) * 1000)
                hits.append(len(result.hits))
            print(f"{kind:30} {scope:9} {percentile(timings, 50):8.1f} {percentile(timings, 95):8.1f} "
                  f"{statistics.median(hits):14g}", flush=True)
    print(f"load average after timing: {os.getloadavg()[0]:.1f}")
    if connection.vendor == "postgresql":
        with CaptureQueriesContext(connection) as captured:
            delivery_search(query="heloise moreau")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN ANALYZE {captured.captured_queries[-1]['sql']}")
            print("\nplan of the rows query for 'heloise moreau':")
            print("\n".join(f"  {row[0]}" for row in cursor.fetchall()))


def run_on(database_url: str, args) -> None:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)  # the search needs no cache; keep the figure about the database
    subprocess.run([sys.executable, __file__, "--worker", "--deliveries", str(args.deliveries),
                    "--repeat", str(args.repeat)], env=env, check=True)


def on_postgresql(server_url: str, args) -> None:
    import psycopg

    name = f"care_search_bench_{os.getpid()}"
    admin = server_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        run_on(admin.rsplit("/", 1)[0] + f"/{name}", args)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40, help="queries per kind and scope")
    parser.add_argument("--sqlite", action="store_true", help="measure the embedded SQLite default too")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        measure(args.deliveries, args.repeat)
        return
    server = os.environ.get("DATABASE_URL", "")
    if server.startswith(("postgres://", "postgresql://")):
        on_postgresql(server, args)
    else:
        print("DATABASE_URL names no PostgreSQL server: PostgreSQL skipped.")
    if args.sqlite or not server:
        with tempfile.TemporaryDirectory() as folder:
            run_on(f"sqlite:///{folder}/care_search.sqlite3", args)


if __name__ == "__main__":
    main()
