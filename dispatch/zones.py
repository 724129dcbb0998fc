"""Which zone serves a point or a postcode."""

from dispatch.models import Zone


def point_in_polygon(lat: float, lng: float, polygon: list[list[float]]) -> bool:
    """Ray casting on [lat, lng] vertices; fine at city scale where the earth is flat enough."""
    inside = False
    count = len(polygon)
    for i in range(count):
        lat1, lng1 = polygon[i]
        lat2, lng2 = polygon[(i + 1) % count]
        if (lng1 > lng) != (lng2 > lng):
            crossing_lat = lat1 + (lng - lng1) * (lat2 - lat1) / (lng2 - lng1)
            if lat < crossing_lat:
                inside = not inside
    return inside


def zone_for_point(*, lat: float, lng: float) -> Zone | None:
    """The first zone (by code) whose polygon contains the point."""
    for zone in Zone.objects.select_related("depot").exclude(polygon=[]).order_by("code"):
        if point_in_polygon(lat, lng, zone.polygon):
            return zone
    return None


def zone_for_postcode(*, postcode: str) -> Zone | None:
    wanted = postcode.strip().upper().replace(" ", "")
    for zone in Zone.objects.select_related("depot").order_by("code"):
        if wanted in {p.upper().replace(" ", "") for p in zone.postcodes}:
            return zone
    return None
