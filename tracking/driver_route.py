"""What a driver's device reads: the van's route today and, for each stop, what to do at the door.

The customer's drop choice travels with the stop ("Safe place: behind the side gate", "Neighbour: M. Martin,
no. 12"), read live from the delivery, so a choice made before scan-out is on the stop the driver opens.
"""

from __future__ import annotations

import datetime as dt

from dispatch.models import Driver, Stop
from scheduling.drop import Drop, drop_instruction
from scheduling.models import DropChoice
from tracking.services.routes import driver_shift_vehicle, route_for_vehicle, route_stops, vehicle_local_date


def _stop_payload(stop: Stop) -> dict:
    delivery = getattr(stop.job, "delivery", None)
    body = {
        "sequence": stop.sequence, "job": stop.job_id, "status": stop.status,
        "planned_arrival": stop.planned_arrival.isoformat(), "delivery": None,
    }
    if delivery is not None:
        drop = Drop.of(delivery)
        body["delivery"] = {
            "id": str(delivery.pk), "order_ref": delivery.order_ref, "merchant": delivery.merchant.brand_name,
            "recipient_name": delivery.recipient_name,
            "address": {"line1": delivery.address_line1, "postcode": delivery.address_postcode,
                        "city": delivery.address_city, "lat": delivery.lat, "lng": delivery.lng},
            "access_notes": delivery.access_notes,
            "drop": {
                "choice": drop.choice, "safe_place": drop.safe_place, "neighbour_name": drop.neighbour_name,
                "neighbour_door": drop.neighbour_door, "instruction": drop_instruction(drop),
                "photo_required": drop.choice == DropChoice.SAFE_PLACE,
            },
        }
    return body


def driver_route_today(*, driver: Driver, now: dt.datetime) -> dict:
    """The driver's vehicle today and its route's stops in sequence (none while no plan is active)."""
    vehicle = driver_shift_vehicle(driver=driver, now=now)
    route = route_for_vehicle(vehicle=vehicle, now=now)
    return {
        "vehicle": vehicle.code,
        "date": vehicle_local_date(vehicle=vehicle, now=now).isoformat(),
        "stops": [_stop_payload(stop) for stop in route_stops(route)] if route is not None else [],
    }
