"""Whether a vehicle's device may still report: a van marked lost is off the road."""

from dispatch.models import Vehicle
from tracking.errors import TrackingError, TrackingErrorCode


def vehicle_ensure_reporting(*, vehicle: Vehicle) -> None:
    """Refuse reports from a vehicle that dispatch marked lost.

    Its jobs have gone to other vans in the re-plan; a point from it would still move its
    last position (where the re-planner starts its route from) and could arrive it at a
    stop another van now serves. The device is told plainly, so the driver app stops sending.
    """
    if vehicle.status == Vehicle.Status.LOST:
        raise TrackingError(TrackingErrorCode.VEHICLE_LOST,
                            f"{vehicle.code} is marked lost: its points are no longer taken.", status_code=409)
