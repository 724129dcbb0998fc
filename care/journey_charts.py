"""The journey's two pictures, drawn on the server as SVG geometry (no script, no tiles, nothing fetched):

- the ETA chart: the promised window, every ETA published over the day (with its band) and the actual arrival;
- the track: the van's GPS pings on its route, thinned, with the depot, the customer's door and the van now.

These functions only compute coordinates and labels; `templates/care/_eta_chart.html` and `_track_map.html`
draw them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tracking.models import EtaSnapshot, Ping

# The chart's drawing box (viewBox units) and its margins for the axes' labels.
CHART_W, CHART_H = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 14, 30
# Pings drawn at most: enough for a smooth line, few enough for a light page.
TRACK_MAX_POINTS = 240
ETA_MAX_POINTS = 120
MAP_W, MAP_H, MAP_PAD = 640, 360, 34
# Merchant staff see the van's way rounded to about 100 m: it passes other merchants' customers.
COARSE_DECIMALS = 3


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class EtaChart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    label_x: float  # where the time axis' labels are written
    label_y: float
    window_top: float  # the promised window, as a band across the chart
    window_bottom: float
    eta_points: str  # "x,y x,y ..." of the predicted arrival at each computation
    band_points: str  # the polygon of the ETA's band around it
    dots: list[tuple[float, float]]
    actual: tuple[float, float] | None  # the arrival: x when it happened, y the time it happened
    now_x: float | None  # where "now" stands on the time axis, while the van has not come
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    summary: str  # the chart in one sentence, for screen readers and the caption
    rows: list[tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime]]  # computed, eta, band start, band end


def _hour_ticks(start: float, end: float, tz: ZoneInfo) -> list[float]:
    """Whole hours (or half hours on a short span) between two epoch seconds."""
    span = end - start
    step = 1800 if span <= 3 * 3600 else 3600 if span <= 10 * 3600 else 3 * 3600
    first = math.ceil(start / step) * step
    # Align to the local clock, not to UTC (a +05:30 zone must tick on its own hours).
    offset = dt.datetime.fromtimestamp(first, tz).utcoffset().total_seconds() % step
    values, value = [], first - offset
    while value <= end:
        if value >= start:
            values.append(value)
        value += step
    return values


def eta_chart(*, snapshots: list[EtaSnapshot], window_start: dt.datetime, window_end: dt.datetime,
              actual_arrival: dt.datetime | None, tz: ZoneInfo, now: dt.datetime | None = None) -> EtaChart | None:
    """x: when each ETA was computed; y: the arrival it predicted. None without a single ETA to draw.

    Later arrivals are drawn higher; a line that stays inside the window's band kept its promise. While the
    van has not come, `now` is marked too, so the time since the last ETA shows.
    """
    if not snapshots:
        return None
    # The engine republishes every few minutes: a day's worth is thinned, the first and the last kept.
    published = len(snapshots)
    snapshots = _thin(snapshots, ETA_MAX_POINTS)
    ts = [s.computed_at.timestamp() for s in snapshots]
    x_lo, x_hi = min(ts), max(ts)
    if actual_arrival is not None:
        x_hi = max(x_hi, actual_arrival.timestamp())
    show_now = actual_arrival is None and now is not None and x_lo < now.timestamp() <= window_end.timestamp() + 7200
    if show_now:
        x_hi = max(x_hi, now.timestamp())
    if x_hi - x_lo < 1800:
        x_hi = x_lo + 1800
    ys = [window_start.timestamp(), window_end.timestamp()]
    ys += [s.band_start.timestamp() for s in snapshots] + [s.band_end.timestamp() for s in snapshots]
    if actual_arrival is not None:
        ys.append(actual_arrival.timestamp())
    y_lo, y_hi = min(ys), max(ys)
    pad = max((y_hi - y_lo) * 0.08, 600)
    y_lo, y_hi = y_lo - pad, y_hi + pad
    left, right, top, bottom = LEFT, CHART_W - RIGHT, TOP, CHART_H - BOTTOM

    def x(value: float) -> float:
        return round(left + (value - x_lo) / (x_hi - x_lo) * (right - left), 1)

    def y(value: float) -> float:
        return round(bottom - (value - y_lo) / (y_hi - y_lo) * (bottom - top), 1)

    eta = [(x(s.computed_at.timestamp()), y(s.eta.timestamp())) for s in snapshots]
    upper = [(x(s.computed_at.timestamp()), y(s.band_end.timestamp())) for s in snapshots]
    lower = [(x(s.computed_at.timestamp()), y(s.band_start.timestamp())) for s in snapshots]

    def label(value: float) -> str:
        return dt.datetime.fromtimestamp(value, tz).strftime("%H:%M")

    last = snapshots[-1]
    local = f"{window_start.astimezone(tz):%H:%M}–{window_end.astimezone(tz):%H:%M}"
    summary = (f"Promised {local}. {published} ETA{'s' if published != 1 else ''} published, "
               f"from {label(ts[0])} to {label(ts[-1])}; the last said {last.eta.astimezone(tz):%H:%M}.")
    if actual_arrival is not None:
        inside = window_start <= actual_arrival <= window_end
        summary += f" Arrived {actual_arrival.astimezone(tz):%H:%M}, {'inside' if inside else 'outside'} the window."
    return EtaChart(
        width=CHART_W, height=CHART_H, plot_left=left, plot_right=right, plot_top=top, plot_bottom=bottom,
        label_x=left - 6, label_y=bottom + 18,
        window_top=y(window_end.timestamp()), window_bottom=y(window_start.timestamp()),
        eta_points=" ".join(f"{a},{b}" for a, b in eta),
        band_points=" ".join(f"{a},{b}" for a, b in upper + lower[::-1]),
        dots=eta,
        actual=(x(actual_arrival.timestamp()), y(actual_arrival.timestamp())) if actual_arrival else None,
        now_x=x(now.timestamp()) if show_now else None,
        x_ticks=[Tick(x(v), label(v)) for v in _hour_ticks(x_lo, x_hi, tz)],
        y_ticks=[Tick(y(v), label(v)) for v in _hour_ticks(y_lo, y_hi, tz)],
        summary=summary,
        rows=[(s.computed_at, s.eta, s.band_start, s.band_end) for s in snapshots],
    )


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class TrackMap:
    width: int
    height: int
    path: str  # "x,y x,y ..." of the van's way
    depot: Marker | None
    door: Marker
    van: Marker | None  # the last ping drawn
    pings: int  # how many pings the track summarises
    first_at: dt.datetime
    last_at: dt.datetime
    km: float
    scale_px: float  # the length of the scale bar, in viewBox units, for `scale_label`
    scale_label: str
    summary: str


def _thin(points: list, limit: int) -> list:
    if len(points) <= limit:
        return points
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def track_map(*, pings: list[Ping], door: tuple[float, float], depot: tuple[float, float] | None,
              tz: ZoneInfo, coarse: bool) -> TrackMap | None:
    """The pings as one line on a plain projection (metres east and north), the door and depot marked.

    None without two pings: a single point is not a track.
    """
    if len(pings) < 2:
        return None
    total_km = sum(_km((a.lat, a.lng), (b.lat, b.lng)) for a, b in zip(pings, pings[1:], strict=False))
    shown = _thin(pings, TRACK_MAX_POINTS)
    decimals = COARSE_DECIMALS if coarse else 6
    coords = [(round(p.lat, decimals), round(p.lng, decimals)) for p in shown]
    every = coords + [door] + ([depot] if depot else [])
    lat0 = sum(c[0] for c in every) / len(every)
    kx = math.cos(math.radians(lat0)) * 111.32  # km per degree of longitude here
    ky = 110.57
    xs = [c[1] * kx for c in every]
    ys = [c[0] * ky for c in every]
    # px per km: the whole track fits inside the padding both ways (labels sit above the markers).
    scale = min((MAP_W - 2 * MAP_PAD) / max(max(xs) - min(xs), 0.5), (MAP_H - 2 * MAP_PAD) / max(max(ys) - min(ys), 0.3))
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def project(point: tuple[float, float]) -> tuple[float, float]:
        return (round(MAP_W / 2 + (point[1] * kx - cx) * scale, 1), round(MAP_H / 2 - (point[0] * ky - cy) * scale, 1))

    line = [project(c) for c in coords]
    first, last = pings[0].recorded_at, pings[-1].recorded_at
    bar_km = next((k for k in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if k * scale >= 60), 50)
    van_x, van_y = line[-1]
    door_x, door_y = project(door)
    summary = (f"{len(pings)} GPS pings from {first.astimezone(tz):%H:%M} to {last.astimezone(tz):%H:%M}, "
               f"{total_km:.1f} km; the last one {_km(coords[-1], door):.1f} km from the customer's door.")
    return TrackMap(
        width=MAP_W, height=MAP_H, path=" ".join(f"{a},{b}" for a, b in line),
        depot=Marker(*project(depot), "Depot") if depot else None,
        door=Marker(door_x, door_y, "Customer"), van=Marker(van_x, van_y, f"{last.astimezone(tz):%H:%M}"),
        pings=len(pings), first_at=first, last_at=last, km=round(total_km, 1),
        scale_px=round(bar_km * scale, 1), scale_label=f"{bar_km:g} km" if bar_km >= 1 else f"{int(bar_km * 1000)} m",
        summary=summary,
    )
