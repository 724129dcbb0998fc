"""The fleet simulator: today's vans drive their routes, ping and scan through the driver services.

Time is virtual. The simulator keeps its own clock, starts it at a chosen local
time of the plan day and advances it `speed` times faster than the wall clock
(or as fast as it can, for benchmarks). Every ping, scan, geofence decision and
ETA is stamped with that virtual time, passed as `now=` to the same services the
driver API calls, so nothing in the database is re-timed: plans, windows and
promises stay as they were booked. `start_now` starts the virtual clock at the
wall clock's local time when the fleet is working then, else mid-morning of the
plan day, so a demo started at any hour has vans mid-route. While it runs, the
whole process reads that clock (`core.clock`), and ETAs stamped after its
start on another clock are dropped when it loads (see `load`).

What it models, per van:
1. Before its route starts the van waits at the depot; at the start it scans out.
2. Each leg takes the travel-time provider's time for that departure, times the
   zone's speed factor, a per-van daily pace and per-leg noise (log-normal);
   a disruption may slow one zone for a while. A van early for a window waits
   before leaving so it arrives as the window opens.
3. At a stop it dwells a log-normal service time around its zone's own mean
   (which differs from the planner's default; the zone's learned service time
   has to find it), sometimes much longer, then
   scans delivered with a proof (the recipient's name, a photo of the parcel at the door and a
   signature, see demo.proof_images), or (sometimes) attempted with a reason.
4. GPS points every `ping_every_s`, with metre-level noise, the odd jittery point
   and the odd vague one, are posted in batches every `batch_every_s`.
5. After its last stop it drives back to the depot and scans the failed parcels in.

Ground truth (when each van really reached each stop) is kept in `truths` for
measurement.
"""

import datetime as dt
import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max

from core import clock
from demo import proof_images
from dispatch.models import Depot, Plan, Route, Shift, Stop, Vehicle
from dispatch.selectors import zone_slowdowns_load
from dispatch.travel import ZoneSlowdowns, haversine_m, leg_seconds_from_provider, street_model_from_settings
from tracking.geo import offset
from tracking.services import PingInput, eta_snapshots_discard_after, ping_record_batch, scan_record

logger = logging.getLogger(__name__)


# The track of a replayed morning (`FleetSimulator.replay`): sparse, yet a point inside every stop's geofence.
REPLAY_PING_EVERY_S = 60
REPLAY_BATCH_EVERY_S = 600
REPLAY_STEP = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class SimConfig:
    seed: int = 7
    ping_every_s: int = 15
    batch_every_s: int = 60
    day_pace_sigma: float = 0.10  # one van's pace over the whole day
    leg_sigma: float = 0.15  # one leg's traffic
    dwell_sigma: float = 0.35
    zone_dwell_sigma: float = 0.20  # some zones (stairs, no parking) take longer than the default service time
    long_dwell_rate: float = 0.01
    long_dwell_factor: float = 4.0
    fail_rate: float = 0.04
    slow_zone_factor: float = 1.6
    slow_zone_minutes: int = 90
    gps_sigma_m: float = 6.0
    jitter_rate: float = 0.01
    vague_rate: float = 0.005


@dataclass
class StopTruth:
    stop_id: int
    job_id: int
    route_id: int
    vehicle_id: int
    planned_arrival: dt.datetime
    arrival: dt.datetime
    departure: dt.datetime | None = None
    outcome: str = ""


@dataclass
class _Target:
    stop_id: int
    job_id: int
    lat: float
    lng: float
    zone_id: int
    window_start: dt.datetime
    service_s: float
    speed_factor: float
    planned_arrival: dt.datetime
    recipient_name: str = ""


@dataclass
class _Van:
    vehicle: Vehicle
    driver_id: int
    route_id: int
    depot: tuple[float, float]
    starts_at: dt.datetime
    targets: list[_Target]
    pace: float
    phase: str = "before"  # before, waiting, driving, dwelling, returning, done
    position: tuple[float, float] = (0.0, 0.0)
    leg_from: tuple[float, float] = (0.0, 0.0)
    leg_to: tuple[float, float] = (0.0, 0.0)
    leg_start: dt.datetime | None = None
    leg_end: dt.datetime | None = None
    dwell_end: dt.datetime | None = None
    failed_any: bool = False
    points: list[PingInput] = field(default_factory=list)
    next_ping: dt.datetime | None = None
    next_batch: dt.datetime | None = None
    sequence: int = 0


class FleetSimulator:
    def __init__(self, *, config: SimConfig | None = None, day: dt.date | None = None,
                 depots: list[Depot] | None = None, leg_seconds: Callable | None = None) -> None:
        self.config = config or SimConfig()
        self.rng = random.Random(self.config.seed)
        self.day = day
        self.depots = depots
        time_zone = (self.depots[0] if self.depots else Depot.objects.order_by("code").first() or Depot(
            time_zone="Europe/Paris")).time_zone
        self.leg_seconds = leg_seconds or leg_seconds_from_provider(time_zone=time_zone)
        # The planner's streets: a van covers the road distance, not the straight line it is drawn along.
        self.streets = street_model_from_settings()
        self.vans: list[_Van] = []
        self.truths: dict[int, StopTruth] = {}
        self.slow_zone: tuple[int, dt.datetime, dt.datetime] | None = None
        # The disruptions dispatchers and feeds set: the simulated streets are that much slower while they last.
        self.slowdowns = ZoneSlowdowns()
        self.now: dt.datetime | None = None
        self.plan_ids: set[int] = set()
        self.zone_dwell: dict[int, float] = {}
        from dispatch import models as dispatch_models

        self._driver_model = dispatch_models.Driver

    # --- Setting up ------------------------------------------------------------

    def plans(self) -> list[Plan]:
        depots = self.depots or list(Depot.objects.order_by("code"))
        return list(Plan.objects.filter(depot__in=depots, date=self.day, status=Plan.Status.ACTIVE)
                    .select_related("depot"))

    def start_time(self, *, start_now: bool, wall_now: dt.datetime) -> dt.datetime:
        """Where the virtual clock starts (see the module docstring)."""
        routes = list(Route.objects.filter(plan__in=self.plans()).values_list("starts_at", "ends_at"))
        if not routes:
            return wall_now
        first, last = min(r[0] for r in routes), max(r[1] for r in routes)
        start = first - dt.timedelta(minutes=1)
        if start_now:
            tz = ZoneInfo(self.plans()[0].depot.time_zone)
            local = wall_now.astimezone(tz)
            candidate = dt.datetime.combine(self.day, local.time(), tzinfo=tz)
            start = candidate if first <= candidate < last else first + dt.timedelta(hours=2)
        seen = self._last_seen(first, last)
        if seen is not None and seen > start:
            start = seen  # resume where an earlier run of today stopped
        return start

    def _last_seen(self, first: dt.datetime, last: dt.datetime) -> dt.datetime | None:
        seen = Vehicle.objects.filter(routes__plan__in=self.plans()).aggregate(m=Max("last_seen_at"))["m"]
        return seen if seen is not None and first <= seen < last else None

    def replay_from(self, start: dt.datetime) -> dt.datetime:
        """Where to begin so that the fleet has really driven the day up to `start`.

        A demo opened at 13:00 should find the morning delivered (on time or not, as the street decided) and the
        afternoon on the road; started at 13:00 from the depot, every van would carry the whole morning and every
        morning customer would read "running late". So the day is replayed from the routes' start (or where an
        earlier run stopped), flat out, up to `start`.
        """
        routes = list(Route.objects.filter(plan__in=self.plans()).values_list("starts_at", "ends_at"))
        if not routes:
            return start
        first, last = min(r[0] for r in routes), max(r[1] for r in routes)
        return min(start, self._last_seen(first, last) or first - dt.timedelta(minutes=1))

    def _slowdowns_load(self, at: dt.datetime) -> None:
        self.slowdowns = zone_slowdowns_load(starts=at - dt.timedelta(days=1), ends=at + dt.timedelta(days=1),
                                             depot_id=None if self.depots is None or len(self.depots) != 1
                                             else self.depots[0].pk)

    def _zone_factor(self, target: _Target, at: dt.datetime) -> float:
        return self.slowdowns.factor_at(target.zone_id, target.speed_factor, at)

    def _targets(self, route: Route) -> list[_Target]:
        stops = route.stops.select_related("job__zone", "job__delivery").order_by("sequence")
        return [
            _Target(stop_id=s.pk, job_id=s.job_id, lat=s.job.lat, lng=s.job.lng, zone_id=s.job.zone_id,
                    window_start=s.job.window_start, service_s=float(s.job.service_seconds or 240),
                    speed_factor=s.job.zone.speed_factor, planned_arrival=s.planned_arrival,
                    recipient_name=getattr(getattr(s.job, "delivery", None), "recipient_name", ""))
            for s in stops if s.status == Stop.Status.PENDING and s.actual_arrival is None
        ]

    def load(self, start: dt.datetime) -> None:
        """Put every van of today's active plans where it is at `start`."""
        self.now = start
        plans = self.plans()
        self.plan_ids = {p.pk for p in plans}
        self._slowdowns_load(start)
        # The day is replayed from `start`. An ETA stamped later was computed on another clock (the seed plans
        # the day on the real clock, hours ahead of a demo's virtual morning): on the fleet's clock it comes
        # from the future, and the page would show it over every ETA the replayed day computes.
        eta_snapshots_discard_after(plans=plans, after=start)
        shifts = {s.vehicle_id: s for s in Shift.objects.filter(date=self.day)}
        self.vans = []
        for route in Route.objects.filter(plan__in=plans).select_related("vehicle__depot").order_by("vehicle__code"):
            shift = shifts.get(route.vehicle_id)
            if shift is None:
                continue
            depot = (route.vehicle.depot.lat, route.vehicle.depot.lng)
            van = _Van(
                vehicle=route.vehicle, driver_id=shift.driver_id, route_id=route.pk, depot=depot,
                starts_at=route.starts_at, targets=self._targets(route),
                pace=math.exp(self.rng.gauss(0.03, self.config.day_pace_sigma)), position=depot,
            )
            done = route.stops.exclude(status=Stop.Status.PENDING).select_related("job").order_by("-sequence").first()
            if done is not None:
                van.position = (done.job.lat, done.job.lng)
                van.phase = "waiting"
            elif start >= route.starts_at:
                van.phase = "waiting"
                self._scan(van, "scanned_out", start)
            van.next_ping = start
            van.next_batch = start + dt.timedelta(seconds=self.config.batch_every_s)
            self.vans.append(van)
        zones = sorted({t.zone_id for v in self.vans for t in v.targets})
        if zones:
            zone = self.rng.choice(zones)
            begins = start + dt.timedelta(minutes=self.rng.randint(30, 150))
            self.slow_zone = (zone, begins, begins + dt.timedelta(minutes=self.config.slow_zone_minutes))
        logger.info("simulating %d vans from %s", len(self.vans), start.isoformat())

    # --- Services ----------------------------------------------------------------

    def _driver(self, van: _Van):
        return self._driver_model.objects.get(pk=van.driver_id)

    def _flush(self, van: _Van, now: dt.datetime) -> None:
        if van.points:
            ping_record_batch(vehicle=van.vehicle, points=van.points, now=now)
            van.points = []
        van.next_batch = now + dt.timedelta(seconds=self.config.batch_every_s)

    def _scan(self, van: _Van, kind: str, at: dt.datetime, **kwargs) -> None:
        self._flush(van, at)
        van.sequence += 1
        # Short on purpose: the scan service appends a delivery id and a milestone (up to 50 characters) and an
        # event's client id holds 80, so a long vehicle code here made a scan-out's two milestones one event.
        scan_record(driver=self._driver(van), kind=kind, recorded_at=at, now=at,
                    client_id=f"sim-{van.vehicle.pk}-{van.sequence}-{at.timestamp():.0f}", **kwargs)

    # --- Motion ------------------------------------------------------------------

    def _leg_true_seconds(self, van: _Van, origin, target: _Target | None, at: dt.datetime) -> float:
        destination = (target.lat, target.lng) if target else van.depot
        base = self.leg_seconds(origin, destination, at) * (self._zone_factor(target, at) if target else 1.0)
        factor = van.pace * math.exp(self.rng.gauss(0.0, self.config.leg_sigma))
        if target is not None and self.slow_zone and target.zone_id == self.slow_zone[0] \
                and self.slow_zone[1] <= at < self.slow_zone[2]:
            factor *= self.config.slow_zone_factor
        return max(base * factor, 20.0)

    def _start_leg(self, van: _Van, at: dt.datetime) -> None:
        target = van.targets[0] if van.targets else None
        if target is not None:
            expected = self.leg_seconds(van.position, (target.lat, target.lng), at) * self._zone_factor(target, at)
            leave = target.window_start - dt.timedelta(seconds=expected)
            if leave > at:
                van.phase, van.leg_start = "waiting", leave
                return
        seconds = self._leg_true_seconds(van, van.position, target, at)
        van.phase = "driving" if target is not None else "returning"
        van.leg_from = van.position
        van.leg_to = (target.lat, target.lng) if target else van.depot
        van.leg_start, van.leg_end = at, at + dt.timedelta(seconds=seconds)

    def _position(self, van: _Van, at: dt.datetime) -> tuple[tuple[float, float], float]:
        if van.phase in ("driving", "returning") and van.leg_start and van.leg_end:
            total = (van.leg_end - van.leg_start).total_seconds()
            share = min(max((at - van.leg_start).total_seconds() / total, 0.0), 1.0)
            lat = van.leg_from[0] + (van.leg_to[0] - van.leg_from[0]) * share
            lng = van.leg_from[1] + (van.leg_to[1] - van.leg_from[1]) * share
            speed = self.streets.road_m(haversine_m(van.leg_from, van.leg_to)) / max(total, 1.0)
            return (lat, lng), speed
        return van.position, 0.0

    def _advance_van(self, van: _Van, until: dt.datetime) -> None:
        """Play one van's transitions and pings up to `until`, in time order."""
        config = self.config
        while True:
            next_change = self._next_change(van)
            next_ping = van.next_ping
            if next_ping is not None and next_ping <= until and (next_change is None or next_ping <= next_change):
                self._ping(van, next_ping)
                van.next_ping = next_ping + dt.timedelta(seconds=config.ping_every_s)
                if van.next_batch is not None and next_ping >= van.next_batch:
                    self._flush(van, next_ping)
                continue
            if next_change is None or next_change > until:
                return
            self._change(van, next_change)

    def _next_change(self, van: _Van) -> dt.datetime | None:
        if van.phase == "before":
            return van.starts_at
        if van.phase == "waiting":
            return van.leg_start or self.now
        if van.phase in ("driving", "returning"):
            return van.leg_end
        if van.phase == "dwelling":
            return van.dwell_end
        return None

    def _change(self, van: _Van, at: dt.datetime) -> None:
        config = self.config
        if van.phase == "before":
            self._scan(van, "scanned_out", at)
            van.phase, van.leg_start = "waiting", None
            self._start_leg(van, at)
        elif van.phase == "waiting":
            van.leg_start = None
            self._start_leg(van, at)
            if van.phase == "waiting" and van.leg_start is not None and van.leg_start <= at:
                van.leg_start = at + dt.timedelta(seconds=1)
        elif van.phase == "driving":
            target = van.targets[0]
            van.position = (target.lat, target.lng)
            self.truths[target.stop_id] = StopTruth(
                stop_id=target.stop_id, job_id=target.job_id, route_id=van.route_id, vehicle_id=van.vehicle.pk,
                planned_arrival=target.planned_arrival, arrival=at,
            )
            if target.zone_id not in self.zone_dwell:
                self.zone_dwell[target.zone_id] = math.exp(random.Random(f"{config.seed}-zone-{target.zone_id}").gauss(
                    0.0, config.zone_dwell_sigma))
            mean = target.service_s * self.zone_dwell[target.zone_id]
            dwell = mean * math.exp(self.rng.gauss(-config.dwell_sigma**2 / 2, config.dwell_sigma))
            if self.rng.random() < config.long_dwell_rate:
                dwell *= config.long_dwell_factor
            van.phase, van.dwell_end = "dwelling", at + dt.timedelta(seconds=max(dwell, 45.0))
        elif van.phase == "dwelling":
            target = van.targets.pop(0)
            failed = self.rng.random() < config.fail_rate
            truth = self.truths.get(target.stop_id)
            if failed:
                van.failed_any = True
                self._scan(van, "attempted", at, job_id=target.job_id, reason="nobody_home",
                           lat=target.lat, lng=target.lng)
            else:
                # The customer signs on the driver's phone, which photographs the parcel at the door. The picture
                # follows from the stop, not from the random stream, so proofs leave the simulated day unchanged.
                variant = target.stop_id % proof_images.VARIANTS
                self._scan(van, "delivered", at, job_id=target.job_id, recipient_name=target.recipient_name,
                           photo=SimpleUploadedFile("photo.png", proof_images.doorstep_photo(variant), "image/png"),
                           signature=SimpleUploadedFile("signature.png", proof_images.signature(variant),
                                                        "image/png"),
                           lat=target.lat, lng=target.lng)
            if truth is not None:
                truth.departure, truth.outcome = at, "attempted" if failed else "delivered"
            self._start_leg(van, at)
        elif van.phase == "returning":
            van.position = van.depot
            if van.failed_any:
                self._scan(van, "returned", at)
            self._flush(van, at)
            van.phase = "done"

    def _ping(self, van: _Van, at: dt.datetime) -> None:
        config = self.config
        (lat, lng), speed = self._position(van, at)
        accuracy = self.rng.uniform(4, 15)
        north, east = self.rng.gauss(0, config.gps_sigma_m), self.rng.gauss(0, config.gps_sigma_m)
        roll = self.rng.random()
        if roll < config.jitter_rate:
            north, east = self.rng.choice((-1, 1)) * 140, self.rng.choice((-1, 1)) * 90
        elif roll < config.jitter_rate + config.vague_rate:
            accuracy = self.rng.uniform(150, 600)
        lat, lng = offset(lat, lng, north, east)
        van.points.append(PingInput(
            client_id=f"sim-{van.vehicle.code}-{at.timestamp():.0f}", recorded_at=at, lat=lat, lng=lng,
            speed_mps=round(speed * self.rng.uniform(0.85, 1.15), 2), heading=None, accuracy_m=round(accuracy, 1),
        ))

    # --- Running -----------------------------------------------------------------

    def _replans(self, at: dt.datetime) -> None:
        """Follow a re-plan: vans pick up their remaining stops from the new active plan."""
        plans = self.plans()
        if {p.pk for p in plans} == self.plan_ids:
            return
        self.plan_ids = {p.pk for p in plans}
        # A disruption set, changed or ended re-plans the day: this is when the streets' speed changes too.
        self._slowdowns_load(at)
        routes = {r.vehicle_id: r for r in Route.objects.filter(plan__in=plans)}
        for van in self.vans:
            route = routes.get(van.vehicle.pk)
            if route is None or van.phase in ("done", "returning"):
                continue
            van.route_id = route.pk
            current = van.targets[0].job_id if van.targets and van.phase in ("driving", "dwelling") else None
            targets = self._targets(route)
            if current is not None and (not targets or targets[0].job_id != current):
                keep = van.targets[0]
                targets = [keep, *[t for t in targets if t.job_id != current]] if van.phase == "dwelling" else targets
                if van.phase == "driving":
                    van.position = self._position(van, at)[0]
                    van.targets = targets
                    self._start_leg(van, at)
                    continue
            van.targets = targets
        logger.info("simulator follows re-plan at %s", at.isoformat())

    def finished(self) -> bool:
        return all(van.phase == "done" for van in self.vans)

    def replay(self, until: dt.datetime, stop: threading.Event | None = None) -> None:
        """Drive the fleet to `until` at once: what the vans did before the demo was opened.

        The hours nobody watched get a sparser GPS track (a point a minute, sent every ten), which costs seconds
        instead of many minutes. It stays dense enough for the geofence to stamp every arrival and departure:
        without those, the first live ping would "leave" the morning's stops all at once, and every zone would
        learn a dwell of hours.
        """
        live = self.config
        self.config = replace(live, ping_every_s=REPLAY_PING_EVERY_S, batch_every_s=REPLAY_BATCH_EVERY_S)
        try:
            # In steps, so a server asked to stop (`stop`) is not kept waiting for the whole morning.
            while self.now < until and not (stop is not None and stop.is_set()):
                self.advance(min(self.now + REPLAY_STEP, until))
        finally:
            self.config = live
            for van in self.vans:
                van.next_batch = self.now + dt.timedelta(seconds=live.batch_every_s)

    def advance(self, until: dt.datetime) -> None:
        """Move the whole fleet forward to `until` (virtual time)."""
        for van in self.vans:
            self._advance_van(van, until)
        self._replans(until)
        self.now = until

    def run(self, *, start: dt.datetime, end: dt.datetime | None = None, speed: float | None = None,
            max_seconds: float | None = None, tick_s: int | None = None,
            on_tick: Callable[[dt.datetime], None] | None = None) -> None:
        """Run from `start` until `end`, the fleet is done, or `max_seconds` of wall time; `speed=None` is flat out."""
        tick = dt.timedelta(seconds=tick_s or self.config.ping_every_s)
        self.load(start)
        wall_start = time.monotonic()
        virtual = start
        # What else this process does meanwhile (ETAs after a re-plan, the status pushed after a scan) is stamped
        # on the fleet's clock too, as in the demo server (`run_live`).
        clock.follow(lambda: self.now)
        try:
            while not self.finished():
                if end is not None and virtual >= end:
                    break
                if max_seconds is not None and time.monotonic() - wall_start >= max_seconds:
                    break
                virtual += tick
                self.advance(virtual)
                if on_tick is not None:
                    on_tick(virtual)
                if speed:
                    due = wall_start + (virtual - start).total_seconds() / speed
                    pause = due - time.monotonic()
                    if pause > 0:
                        time.sleep(pause)
        finally:
            clock.follow(None)


async def run_live(*, speed: float = 10.0, seed: int = 7, start_now: bool = True,
                   stop: threading.Event | None = None, caught_up: threading.Event | None = None) -> None:
    """Drive today's fleet inside a running event loop (the demo server), paced at `speed`, until `stop` is set.

    `caught_up` is set once the fleet stands where it would be now (the morning replayed, or nothing to
    replay): before that, the server's clock is ahead of the vans.

    The server sets `stop` before it shuts down and waits for this to return: a step of the fleet runs in a
    worker thread that publishes through the event loop, and left running it would wait for a loop that is gone
    (the process then hangs at exit, deaf to SIGTERM).
    """
    import asyncio

    from asgiref.sync import sync_to_async

    stop = stop or threading.Event()

    async def pause(seconds: float) -> None:
        end = asyncio.get_running_loop().time() + seconds
        while not stop.is_set() and asyncio.get_running_loop().time() < end:
            await asyncio.sleep(min(0.25, max(end - asyncio.get_running_loop().time(), 0)))
    def prepare() -> FleetSimulator | None:
        wall = clock.now()
        plans = Plan.objects.filter(status=Plan.Status.ACTIVE).select_related("depot")
        day = next((p.date for p in plans if wall.astimezone(ZoneInfo(p.depot.time_zone)).date() == p.date), None)
        if day is None:
            return None
        simulator = FleetSimulator(config=SimConfig(seed=seed), day=day)
        start = simulator.start_time(start_now=start_now, wall_now=wall)
        simulator.load(simulator.replay_from(start))
        return simulator, start

    loop = asyncio.get_running_loop()
    while not stop.is_set():
        simulator, start = await sync_to_async(prepare, thread_sensitive=False)() or (None, None)
        if simulator is None or not simulator.vans:
            if caught_up is not None:
                caught_up.set()  # no fleet to wait for
            logger.warning("simulator: no active plan with vans today; looking again in 30 s")
            await pause(30)
            continue
        tick = dt.timedelta(seconds=simulator.config.ping_every_s)
        if simulator.now < start:
            logger.info("simulator: replaying today from %s to %s", simulator.now.isoformat(), start.isoformat())
            await sync_to_async(simulator.replay, thread_sensitive=False)(start, stop)
            logger.info("simulator: caught up; live from now on")
        if caught_up is not None:
            caught_up.set()
        wall_start, virtual_start, virtual = loop.time(), simulator.now, simulator.now
        # The whole server now lives on the simulation's clock, so the pages agree with the vans.
        clock.follow(lambda origin=virtual_start, began=wall_start: origin + dt.timedelta(
            seconds=(loop.time() - began) * speed))
        while not simulator.finished() and not stop.is_set():
            virtual += tick
            await sync_to_async(simulator.advance, thread_sensitive=False)(virtual)
            due = wall_start + (virtual - virtual_start).total_seconds() / speed
            await pause(max(due - loop.time(), 0))
        if not stop.is_set():
            logger.info("simulator: every van is back at its depot")
        return
