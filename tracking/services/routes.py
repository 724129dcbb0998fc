"""Where a driver's and a van's day stands: the vehicle of the driver's shift, its route in today's active plan."""

import datetime as dt
from zoneinfo import ZoneInfo

from dispatch.models import Driver, Plan, Route, Shift, Stop, Vehicle
from tracking.errors import TrackingError, TrackingErrorCode


def vehicle_local_date(*, vehicle: Vehicle, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(vehicle.depot.time_zone)).date()


def driver_shift_vehicle(*, driver: Driver, now: dt.datetime) -> Vehicle:
    """The vehicle of the driver's shift today (in the depot's time zone)."""
    shifts = Shift.objects.filter(driver=driver, date__in=[(now - dt.timedelta(days=1)).date(), now.date(),
                                                            (now + dt.timedelta(days=1)).date()])
    for shift in shifts.select_related("vehicle__depot"):
        if vehicle_local_date(vehicle=shift.vehicle, now=now) == shift.date:
            return shift.vehicle
    raise TrackingError(
        TrackingErrorCode.VEHICLE_NOT_ASSIGNED, "This driver has no shift today.", status_code=403
    )


def route_for_vehicle(*, vehicle: Vehicle, now: dt.datetime) -> Route | None:
    """The vehicle's route in today's active plan."""
    return (
        Route.objects.filter(
            vehicle=vehicle, plan__status=Plan.Status.ACTIVE, plan__date=vehicle_local_date(vehicle=vehicle, now=now)
        )
        .select_related("vehicle__depot", "plan")
        .first()
    )


def route_stops(route: Route) -> list[Stop]:
    """The route's stops in sequence, with what the geofence, scans and ETAs read of their jobs."""
    return list(route.stops.select_related("job__zone", "job__delivery__merchant").order_by("sequence"))
