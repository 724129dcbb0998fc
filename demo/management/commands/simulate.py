"""Drive today's fleet along its routes, pinging and scanning through the driver services."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max

from core import clock
from demo.simulator import FleetSimulator, SimConfig
from dispatch.models import Depot, Plan


def _hhmm(value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--until wants HH:MM, not {value!r}")


class Command(BaseCommand):
    help = (
        "Simulate today's fleet on a virtual clock (see demo/simulator.py): vans drive their active routes, "
        "ping and scan through the same services as the driver API, with traffic, dwell and disruptions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--speed", type=float, default=60.0, help="Virtual seconds per wall second (0 = flat out).")
        parser.add_argument("--until", type=_hhmm, help="Stop at this local time of the plan day (HH:MM).")
        parser.add_argument("--max-seconds", type=float, help="Stop after this many wall-clock seconds.")
        parser.add_argument("--start-now", action="store_true",
                            help="Start the virtual clock at the current local time if the fleet works then, "
                                 "else mid-morning, so the vans are mid-route.")
        parser.add_argument("--depot", action="append", help="Only these depot codes (repeatable).")
        parser.add_argument("--date", type=dt.date.fromisoformat, help="Plan day to drive (default today).")

    def handle(self, *args, **options):
        depots = list(Depot.objects.filter(code__in=options["depot"])) if options["depot"] else list(Depot.objects.all())
        if not depots:
            raise CommandError("No depots: seed the demo first (manage.py seed_demo).")
        wall = clock.now()
        day = options["date"] or wall.astimezone(ZoneInfo(depots[0].time_zone)).date()
        if not Plan.objects.filter(depot__in=depots, date=day, status=Plan.Status.ACTIVE).exists():
            raise CommandError(f"No active plan on {day}: plan the day first (dispatch plan_day, or seed_demo).")
        simulator = FleetSimulator(config=SimConfig(seed=options["seed"]), day=day, depots=depots)
        start = simulator.start_time(start_now=options["start_now"], wall_now=wall)
        end = None
        if options["until"]:
            end = dt.datetime.combine(day, options["until"], tzinfo=start.tzinfo)
        self.stdout.write(f"Simulating {day} from {start:%H:%M} (virtual) at speed {options['speed'] or 'max'}…")
        last_report = [start]

        def report(virtual: dt.datetime) -> None:
            if virtual - last_report[0] >= dt.timedelta(minutes=30):
                last_report[0] = virtual
                self.stdout.write(f"  {virtual.astimezone(start.tzinfo):%H:%M}  {len(simulator.truths)} stops reached")

        simulator.run(start=start, end=end, speed=options["speed"] or None, max_seconds=options["max_seconds"],
                      on_tick=report)
        finished = Plan.objects.filter(depot__in=depots, date=day).aggregate(v=Max("version"))["v"]
        self.stdout.write(self.style.SUCCESS(
            f"Done at {simulator.now:%H:%M} (virtual): {len(simulator.truths)} stops reached "
            f"(plan version {finished})."))
