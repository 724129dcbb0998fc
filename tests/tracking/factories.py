"""Plans, routes and stops for tracking tests: a vehicle with a driver's shift today and a route of deliveries."""

import datetime as dt
import hashlib
from types import SimpleNamespace

import factory
from django.utils import timezone

from dispatch.models import Plan, Route, Stop
from tests.factories import (
    PARIS,
    DeliveryFactory,
    DepotFactory,
    DriverFactory,
    JobFactory,
    ShiftFactory,
    VehicleFactory,
    WindowFactory,
    WindowTemplateFactory,
    ZoneFactory,
    local,
)


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    depot = factory.SubFactory(DepotFactory)
    date = factory.LazyFunction(lambda: timezone.localdate(timezone=PARIS))
    version = factory.Sequence(lambda n: n + 1)


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route

    plan = factory.SubFactory(PlanFactory)
    vehicle = factory.SubFactory(VehicleFactory)
    starts_at = factory.LazyAttribute(lambda o: local(o.plan.date, 8))
    ends_at = factory.LazyAttribute(lambda o: local(o.plan.date, 18))


def send_out(world: SimpleNamespace, *, at: dt.datetime, van: tuple[float, float] | None = None,
             scanned_at: dt.datetime | None = None) -> dt.datetime:
    """The driver scans the route's parcels out (at 08:00 unless `scanned_at`) and, given `van`, the van reports
    its first fix from there at `at`. Returns `at`, also kept as `world.now`."""
    from tracking.services import PingInput, ping_record_batch, scan_record

    scan_record(driver=world.driver, kind="scanned_out", client_id="out",
                recorded_at=scanned_at or local(world.day, 8, 0), now=at)
    if van is not None:
        ping_record_batch(vehicle=world.vehicle, now=at, points=[
            PingInput(client_id="p1", recorded_at=at, lat=van[0], lng=van[1], accuracy_m=5)])
    world.now = at
    return at


def device_key_for(driver, raw: str) -> str:
    driver.device_key_digest = hashlib.sha256(raw.encode()).hexdigest()
    driver.save(update_fields=["device_key_digest"])
    return raw


def build_route(
    *,
    day: dt.date | None = None,
    points: list[tuple[float, float]] | None = None,
    start_hour: int = 8,
    leg_minutes: int = 15,
    merchant=None,
    window_hours: tuple[int, int] = (8, 12),
):
    """A depot in central Paris, one zone, a van with a driver's shift on `day`, and a route of deliveries.

    Returns a simple namespace with depot, zone, vehicle, driver, shift, plan, route, stops and deliveries.
    """
    day = day or timezone.localdate(timezone=PARIS)
    points = points or [(48.8600, 2.3400), (48.8650, 2.3500), (48.8700, 2.3600), (48.8750, 2.3700)]
    depot = DepotFactory(lat=48.8500, lng=2.3300)
    zone = ZoneFactory(depot=depot)
    vehicle = VehicleFactory(depot=depot)
    driver = DriverFactory(first_name="Amélie", last_name="Bernardini", phone="+33610009999")
    shift = ShiftFactory(driver=driver, vehicle=vehicle, depot=depot, date=day,
                         starts_at=local(day, start_hour), ends_at=local(day, 20))
    plan = PlanFactory(depot=depot, date=day)
    route = RouteFactory(plan=plan, vehicle=vehicle, shift=shift, starts_at=local(day, start_hour),
                         ends_at=local(day, 18))
    template_kwargs = {"zone": zone, "start_time": dt.time(window_hours[0]), "end_time": dt.time(window_hours[1])}
    if merchant is not None:
        template_kwargs["merchant"] = merchant
    template = WindowTemplateFactory(**template_kwargs)
    window = WindowFactory(template=template, date=day)
    stops, deliveries = [], []
    for index, (lat, lng) in enumerate(points):
        job = JobFactory(zone=zone, depot=depot, date=day, lat=lat, lng=lng, status="planned",
                         window_start=window.starts_at, window_end=window.ends_at)
        delivery = DeliveryFactory(window=window, merchant=window.merchant, job=job, lat=lat, lng=lng,
                                   status="scheduled", recipient_name=f"Customer {index} Lastname",
                                   recipient_phone=f"+3361234500{index}", recipient_email=f"c{index}@example.com",
                                   address_line1=f"{10 + index} Rue Secrète")
        arrival = local(day, start_hour) + dt.timedelta(minutes=leg_minutes * (index + 1))
        stops.append(Stop.objects.create(route=route, job=job, sequence=index + 1, planned_arrival=arrival,
                                         planned_departure=arrival + dt.timedelta(minutes=4)))
        deliveries.append(delivery)
    return SimpleNamespace(
        depot=depot, zone=zone, vehicle=vehicle, driver=driver, shift=shift, plan=plan, route=route, stops=stops,
        deliveries=deliveries, window=window, day=day,
    )
