"""Distances on the earth's surface, good to a metre at city scale.

The haversine itself is dispatch's (`dispatch.travel.haversine_m`), so a geofence, a GPS
check and the planner measure the same metre; this module takes it in tracking's
(lat, lng, lat, lng) form and adds the offsets the geofence and the tests need.
"""

import math

from dispatch import travel


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    return travel.haversine_m((lat1, lng1), (lat2, lng2))


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point `north_m` metres north and `east_m` metres east of (lat, lng)."""
    dlat = north_m / travel.EARTH_RADIUS_M
    dlng = east_m / (travel.EARTH_RADIUS_M * math.cos(math.radians(lat)))
    return lat + math.degrees(dlat), lng + math.degrees(dlng)
