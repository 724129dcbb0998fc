import json
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo import seeding
from demo.outbox import messages_to_the_demo_page


class Command(BaseCommand):
    help = "Seed the demo city (Paris): merchants, depots, zones, fleet, shifts, windows, a week of deliveries, plans. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="Print one JSON object: merchants with keys and sample addresses, tracking URLs.")
        parser.add_argument("--days", type=int, default=7, help="Days of windows, shifts and deliveries from today (default 7).")
        parser.add_argument("--scale", type=float, default=1.0, help="Multiply the deliveries per day (default 1.0 ≈ 160 a day).")
        parser.add_argument("--no-plan", action="store_true", help="Do not plan the routes of the seeded days.")
        parser.add_argument("--history-days", type=int, default=14,
                            help="Past days of closed deliveries for the KPIs and exceptions (default 14; 0 for none).")
        parser.add_argument("--plan-seconds", type=float, default=2.0, help="Planner time limit per depot and day (default 2 s).")

    def handle(self, *args, **options):
        if options["days"] < 1 or options["days"] > 31:
            raise CommandError("--days must be between 1 and 31")
        if not 0 <= options["history_days"] <= 60:
            raise CommandError("--history-days must be between 0 and 60")
        if options["scale"] <= 0:
            raise CommandError("--scale must be positive")
        messages_to_the_demo_page()
        started = time.monotonic()
        log = (lambda msg: None) if options["json"] else (lambda msg: self.stdout.write(msg))
        today = timezone.localdate(timezone=seeding.city.PARIS)
        result = seeding.demo_seed(
            today=today, days=options["days"], scale=options["scale"], plan=not options["no_plan"],
            plan_seconds=options["plan_seconds"], history_days=options["history_days"], log=log,
        )
        base = settings.PUBLIC_BASE_URL
        payload = {
            "merchants": result.merchants,
            "tracking_urls": [f"{base}/t/{token}/" for token in result.tracking_tokens],
        }
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        log(self.style.SUCCESS(f"Demo city ready in {time.monotonic() - started:.1f} s."))
        for merchant in result.merchants:
            log(f"  {merchant['name']}: publishable {merchant['publishable_key']}  secret {merchant['secret_key']}")
        for url in payload["tracking_urls"][:3]:
            log(f"  tracking: {url}")
        log(f"  staff login: {seeding.DEMO_USERNAME} / {seeding.DEMO_PASSWORD}")
