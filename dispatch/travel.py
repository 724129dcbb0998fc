"""The one model of the street, and the travel-time providers built on it.

The street model (`haversine_m`, `StreetModel`, `zone_slowed_s`, `ZoneSlowdowns`,
`day_departure_s`): great-circle distance times a road factor, driven at a speed that
depends on the time of day, slower into a zone by its speed factor times the factor of
every disruption of the zone in force at the time. The planner, the capacity oracle and
the fleet simulator all read it here, so what checkout promises and what the plan
does are judged on the same streets.

Providers give distance (m) and duration (s) matrices between points.
`HaversineProvider` is the street model and needs no services. `OsrmProvider` asks an
OSRM-compatible table service. Both cache the matrices of the last few point sets, so
one plan (and the re-plans right after it) do not recompute them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
import requests
from django.core.cache import cache

Point = tuple[float, float]  # (lat, lng)
Matrix = tuple[tuple[int, ...], ...]

EARTH_RADIUS_M = 6_371_000.0
CACHE_SIZE = 8
DAY_S = 24 * 3600
# When nothing says when the vans leave, travel is timed at midday.
DEFAULT_DEPARTURE_S = 12 * 3600
# Streets are longer than the straight line by this much unless `settings.ROAD_FACTOR` says otherwise.
DEFAULT_ROAD_FACTOR = 1.3


class TravelTimeError(Exception):
    """The travel-time service failed; `retryable` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class TravelTimeProvider(Protocol):
    # Whether durations change with `departure_s`. A provider blind to it can answer a whole
    # route's legs from one table, asked once; one with a time-of-day profile is asked per departure.
    depends_on_departure: bool
    # The most points one `matrices` call may hold.
    max_table_points: int
    # Names the provider and its settings, for keys of cached answers.
    identity: str

    def matrices(self, points: list[Point], departure_s: int = 0) -> tuple[Matrix, Matrix]:
        """(distance_m, duration_s) matrices; `departure_s` is seconds since local midnight."""
        ...


# --- The model of the street ---------------------------------------------------------------
#
# Written once and read by the planner (through `HaversineProvider`), the capacity oracle
# (over numpy arrays, through the same functions) and the fleet simulator.


def _haversine(xp, lat1, lng1, lat2, lng2):
    """Great-circle metres by the haversine formula, over `xp`: `math` for numbers, numpy for arrays."""
    phi1, phi2 = xp.radians(lat1), xp.radians(lat2)
    h = xp.sin((phi2 - phi1) / 2) ** 2 + xp.cos(phi1) * xp.cos(phi2) * xp.sin(xp.radians(lng2 - lng1) / 2) ** 2
    root = xp.sqrt(h)
    # Rounding can push the root a hair past 1 for points nearly opposite on the globe.
    root = min(root, 1.0) if xp is math else np.minimum(root, 1.0)
    return 2 * EARTH_RADIUS_M * xp.asin(root)


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle metres between two (lat, lng) points."""
    return _haversine(math, a[0], a[1], b[0], b[1])


def haversine_m_arrays(lat1, lng1, lat2, lng2) -> np.ndarray:
    """`haversine_m` between arrays of latitudes and longitudes (or a point and arrays), element by element."""
    return _haversine(np, np.asarray(lat1, dtype=float), np.asarray(lng1, dtype=float),
                      np.asarray(lat2, dtype=float), np.asarray(lng2, dtype=float))


def _round(value):
    return np.round(value) if isinstance(value, np.ndarray) else round(value)


@dataclass(frozen=True)
class SpeedProfile:
    """Average urban driving speed by time of day; `slow_periods` are (from_hour, to_hour, km/h)."""

    default_kmh: float = 30.0
    slow_periods: tuple[tuple[int, int, float], ...] = ((7, 9, 18.0), (16, 19, 18.0))

    def speed_kmh(self, departure_s: int) -> float:
        hour = (departure_s % DAY_S) / 3600
        for start, end, kmh in self.slow_periods:
            if start <= hour < end:
                return kmh
        return self.default_kmh

    def speed_ms(self, departure_s: int) -> float:
        return self.speed_kmh(departure_s) / 3.6


@dataclass(frozen=True)
class StreetModel:
    """How long a van takes without a routing service: the straight line times a road factor, driven at
    the speed profile's speed for the time of day. Every function takes a number or a numpy array."""

    road_factor: float = DEFAULT_ROAD_FACTOR
    speed_profile: SpeedProfile = SpeedProfile()

    def __post_init__(self) -> None:
        if self.road_factor < 1.0:
            raise ValueError("road_factor must be at least 1.0")

    def road_m(self, straight_m):
        """Metres by road for `straight_m` as the crow flies, rounded to the metre."""
        return _round(straight_m * self.road_factor)

    def drive_s(self, road_m, departure_s: int):
        """Seconds to drive `road_m` metres leaving at `departure_s` after local midnight, rounded to the second."""
        return _round(road_m / self.speed_profile.speed_ms(departure_s))

    def seconds_per_km(self, departure_s: int) -> float:
        return 1000.0 * self.road_factor / self.speed_profile.speed_ms(departure_s)


def zone_slowed_s(seconds, speed_factor: float):
    """Driving seconds into a zone slowed (congestion, weather) by its `speed_factor`, rounded up."""
    if speed_factor == 1.0:
        return seconds
    if isinstance(seconds, np.ndarray):
        return np.ceil(seconds * speed_factor)
    return int(math.ceil(seconds * speed_factor))


@dataclass(frozen=True)
class Slowdown:
    """A zone driving slower for a period (a disruption, as the travel model sees it): travel into the zone
    between `starts_at` (included) and `ends_at` (excluded) takes `factor` times as long."""

    zone_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    factor: float


class ZoneSlowdowns:
    """Every slowdown that may matter to one computation, answering each zone's effective speed factor.

    The effective factor of a zone at a moment is its own `speed_factor` times the factor of every
    slowdown of the zone in force then. The planner, the capacity oracle, the ETA engine and the
    simulator all ask here, so a slowdown reaches them at once.
    """

    def __init__(self, slowdowns: Iterable[Slowdown] = ()) -> None:
        self._by_zone: dict[int, tuple[Slowdown, ...]] = {}
        for slowdown in sorted(slowdowns, key=lambda s: (s.zone_id, s.starts_at)):
            self._by_zone[slowdown.zone_id] = (*self._by_zone.get(slowdown.zone_id, ()), slowdown)

    def __bool__(self) -> bool:
        return bool(self._by_zone)

    def of_zone(self, zone_id: int) -> tuple[Slowdown, ...]:
        return self._by_zone.get(zone_id, ())

    def factor_at(self, zone_id: int, base: float, at: dt.datetime) -> float:
        """The zone's effective speed factor at `at`."""
        factor = base
        for slowdown in self.of_zone(zone_id):
            if slowdown.starts_at <= at < slowdown.ends_at:
                factor *= slowdown.factor
        return factor

    def factor_during(self, zone_id: int, base: float, starts: dt.datetime, ends: dt.datetime) -> float:
        """The zone's largest effective factor at any moment of [starts, ends): what a stop whose time in the
        zone may fall anywhere in that span must plan for. A span of no length is the moment `starts`."""
        slowdowns = self.of_zone(zone_id)
        if not slowdowns:
            return base
        if ends <= starts:
            return self.factor_at(zone_id, base, starts)
        # The product only changes where a slowdown starts: look at the span's start and at each of those.
        moments = [starts] + [s.starts_at for s in slowdowns if starts < s.starts_at < ends]
        return max(self.factor_at(zone_id, base, moment) for moment in moments)

    def signature(self) -> tuple:
        """A value that changes whenever a slowdown does: part of the keys of cached travel times."""
        return tuple((s.zone_id, s.starts_at.timestamp(), s.ends_at.timestamp(), s.factor)
                     for zone_id in sorted(self._by_zone) for s in self._by_zone[zone_id])


NO_SLOWDOWNS = ZoneSlowdowns()


def day_departure_s(*, epoch: dt.datetime, first_start: dt.datetime | None, now: dt.datetime | None = None) -> int:
    """When a day's travel is timed, in seconds after its local midnight `epoch`: the first shift's start,
    or `now` once the day is under way. The planner times every leg of the day at that one moment."""
    if first_start is None:
        return DEFAULT_DEPARTURE_S
    moment = first_start if now is None else max(first_start, now)
    return max(int((moment - epoch).total_seconds()), 0)


def street_model_from_settings() -> StreetModel:
    """The street model with `settings.ROAD_FACTOR`."""
    from django.conf import settings

    return StreetModel(road_factor=getattr(settings, "ROAD_FACTOR", DEFAULT_ROAD_FACTOR))


class _MatrixCache:
    def __init__(self) -> None:
        self._entries: OrderedDict[tuple, tuple[Matrix, Matrix]] = OrderedDict()

    def get(self, key: tuple) -> tuple[Matrix, Matrix] | None:
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        return None

    def put(self, key: tuple, value: tuple[Matrix, Matrix]) -> None:
        self._entries[key] = value
        while len(self._entries) > CACHE_SIZE:
            self._entries.popitem(last=False)


class HaversineProvider:
    """The street model as a travel-time provider: local arithmetic, no service."""

    depends_on_departure = True
    max_table_points = 10_000  # local arithmetic: only memory bounds it

    def __init__(self, road_factor: float = DEFAULT_ROAD_FACTOR, speed_profile: SpeedProfile | None = None) -> None:
        self.model = StreetModel(road_factor=road_factor, speed_profile=speed_profile or SpeedProfile())
        self._cache = _MatrixCache()

    @property
    def road_factor(self) -> float:
        return self.model.road_factor

    @property
    def speed_profile(self) -> SpeedProfile:
        return self.model.speed_profile

    @property
    def identity(self) -> str:
        return f"haversine:{self.road_factor}:{self.speed_profile}"

    def matrices(self, points: list[Point], departure_s: int = DEFAULT_DEPARTURE_S) -> tuple[Matrix, Matrix]:
        key = (tuple(points), self.speed_profile.speed_ms(departure_s))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        road_m, drive_s = self.model.road_m, self.model.drive_s
        distances = tuple(tuple(road_m(haversine_m(a, b)) for b in points) for a in points)
        durations = tuple(tuple(drive_s(d, departure_s) for d in row) for row in distances)
        value = (distances, durations)
        self._cache.put(key, value)
        return value


class OsrmProvider:
    """An OSRM-compatible `table` service (OSRM has no time of day: `departure_s` is ignored)."""

    depends_on_departure = False

    def __init__(self, base_url: str, *, timeout_s: float = 10.0, session: requests.Session | None = None,
                 max_table_points: int = 100) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = session or requests.Session()
        # osrm-routed refuses bigger tables unless started with a larger --max-table-size (default
        # 100); bigger tables are asked in blocks of sources and destinations.
        self.max_table_points = max_table_points
        self._cache = _MatrixCache()

    @property
    def identity(self) -> str:
        return f"osrm:{self.base_url}"

    def matrices(self, points: list[Point], departure_s: int = 0) -> tuple[Matrix, Matrix]:
        """The distance and duration tables between `points`.

        More points than `max_table_points` are asked in blocks: each request names at
        most that many points, some as `sources` and the rest as `destinations`, and
        the blocks are assembled into the full square tables.
        """
        key = (tuple(points),)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        size = len(points)
        if size <= self.max_table_points:
            value = self._table(points, size, size)
        else:
            half = max(1, self.max_table_points // 2)
            blocks = [list(range(start, min(size, start + half))) for start in range(0, size, half)]
            distances = [[0] * size for _ in range(size)]
            durations = [[0] * size for _ in range(size)]
            for rows in blocks:
                for columns in blocks:
                    if rows == columns:
                        block = self._table([points[i] for i in rows], len(rows), len(rows))
                    else:
                        block = self._table(
                            [points[i] for i in rows + columns], len(rows), len(columns),
                            sources=range(len(rows)), destinations=range(len(rows), len(rows) + len(columns)),
                        )
                    for r, i in enumerate(rows):
                        for c, j in enumerate(columns):
                            distances[i][j] = block[0][r][c]
                            durations[i][j] = block[1][r][c]
            value = (tuple(map(tuple, distances)), tuple(map(tuple, durations)))
        self._cache.put(key, value)
        return value

    def _table(
        self, points: list[Point], rows: int, columns: int, *, sources: range | None = None,
        destinations: range | None = None,
    ) -> tuple[Matrix, Matrix]:
        coordinates = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
        url = f"{self.base_url}/table/v1/driving/{coordinates}"
        params = {"annotations": "duration,distance"}
        if sources is not None and destinations is not None:
            params["sources"] = ";".join(map(str, sources))
            params["destinations"] = ";".join(map(str, destinations))
        try:
            response = self.session.get(url, params=params, timeout=self.timeout_s)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TravelTimeError(f"travel-time service unreachable: {exc}", retryable=True)
        except requests.RequestException as exc:
            raise TravelTimeError(f"travel-time request failed: {exc}", retryable=False)
        if response.status_code >= 500 or response.status_code == 429:
            raise TravelTimeError(f"travel-time service answered {response.status_code}", retryable=True)
        try:
            body = response.json()
        except ValueError:
            raise TravelTimeError(
                f"travel-time service answered {response.status_code} without JSON", retryable=False
            )
        if response.status_code != 200 or body.get("code") != "Ok":
            message = body.get("message") or body.get("code") or response.status_code
            raise TravelTimeError(f"travel-time service refused the table: {message}", retryable=False)
        return _matrix(body, "distances", rows, columns), _matrix(body, "durations", rows, columns)


def _matrix(body: dict, name: str, rows: int, columns: int) -> Matrix:
    table = body.get(name)
    if (
        not isinstance(table, list)
        or len(table) != rows
        or any(not isinstance(row, list) or len(row) != columns for row in table)
    ):
        raise TravelTimeError(f"travel-time table has no {rows}x{columns} {name}", retryable=False)
    if any(value is None for row in table for value in row):
        raise TravelTimeError(f"travel-time table has unroutable pairs in {name}", retryable=False)
    return tuple(tuple(round(value) for value in row) for row in table)


def provider_from_settings() -> TravelTimeProvider:
    """OSRM when `OSRM_URL` is set, otherwise the street model with `ROAD_FACTOR`."""
    from django.conf import settings

    url = getattr(settings, "OSRM_URL", "") or ""
    if url:
        return OsrmProvider(url)
    model = street_model_from_settings()
    return HaversineProvider(road_factor=model.road_factor, speed_profile=model.speed_profile)


# --- Leg by leg, for ETAs -------------------------------------------------------------------

# A stop-to-stop driving time from a table service does not change during the day; workers share it.
LEG_CACHE_SECONDS = 24 * 3600


class ProviderLegTimes:
    """Driving seconds between two points leaving at a given moment, from the configured travel-time provider.

    Called like `engine.LegSeconds`. A provider with a time-of-day profile
    (haversine) answers leg by leg: it is local arithmetic, and its profile works
    in seconds since local midnight in the depot's time zone. A provider blind
    to the time of day (an OSRM table service) is asked once per refresh:
    `prefetch` takes every leg the refresh needs, takes the legs between stops
    already known from the cache the workers share (a stop-to-stop time does not
    change during the day), and asks one table for the points of the rest.
    """

    def __init__(self, *, provider: TravelTimeProvider, time_zone: str = "Europe/Paris") -> None:
        self.provider = provider
        self.tz = ZoneInfo(time_zone)
        self._by_quarter: dict[tuple, float] = {}
        self._known: dict[tuple[Point, Point], float] = {}

    @property
    def asks_tables(self) -> bool:
        return not self.provider.depends_on_departure

    def _cache_key(self, origin: Point, destination: Point) -> str:
        return (f"travel-leg:{self.provider.identity}:{origin[0]:.6f},{origin[1]:.6f};"
                f"{destination[0]:.6f},{destination[1]:.6f}")

    def prefetch(self, *, stop_legs: Iterable[tuple[Point, Point]], other_legs: Iterable[tuple[Point, Point]] = ()) -> None:
        """Know every leg a refresh will ask for, in one table request when the cache does not already hold them.

        `stop_legs` join two stops (shared through the cache); `other_legs` start
        where the van is now and are asked every time.
        """
        if not self.asks_tables:
            return
        # Ordered sets: legs along a route stay together when they must be split into several tables.
        stop_legs = dict.fromkeys(leg for leg in stop_legs if leg[0] != leg[1] and leg not in self._known)
        other_legs = dict.fromkeys(leg for leg in other_legs
                                   if leg[0] != leg[1] and leg not in self._known and leg not in stop_legs)
        if stop_legs:
            keys = {self._cache_key(*leg): leg for leg in stop_legs}
            for key, seconds in cache.get_many(list(keys)).items():
                self._known[keys[key]] = float(seconds)
        missing = [leg for leg in (*stop_legs, *other_legs) if leg not in self._known]
        for chunk in _legs_in_tables(missing, max_points=self.provider.max_table_points):
            points = list(dict.fromkeys(point for leg in chunk for point in leg))
            index = {point: i for i, point in enumerate(points)}
            _distances, durations = self.provider.matrices(points)
            for origin, destination in chunk:
                self._known[(origin, destination)] = float(durations[index[origin]][index[destination]])
            shared = {self._cache_key(*leg): self._known[leg] for leg in chunk if leg in stop_legs}
            if shared:
                cache.set_many(shared, LEG_CACHE_SECONDS)

    def __call__(self, origin: Point, destination: Point, departure: dt.datetime) -> float:
        if origin == destination:
            return 0.0
        if self.asks_tables:
            if (origin, destination) not in self._known:
                self.prefetch(stop_legs=(), other_legs=[(origin, destination)])
            return self._known[(origin, destination)]
        local = departure.astimezone(self.tz)
        since_midnight = local.hour * 3600 + local.minute * 60 + local.second
        key = (origin, destination, since_midnight // 900)
        if key not in self._by_quarter:
            _distances, durations = self.provider.matrices([origin, destination], departure_s=since_midnight)
            self._by_quarter[key] = float(durations[0][1])
        return self._by_quarter[key]


def _legs_in_tables(legs: Sequence[tuple[Point, Point]], *, max_points: int) -> list[list[tuple[Point, Point]]]:
    """Legs grouped so that no table holds more than `max_points` points (one group when they fit)."""
    chunks: list[list[tuple[Point, Point]]] = []
    points: set[Point] = set()
    for leg in legs:
        if not chunks or len(points | set(leg)) > max_points:
            chunks.append([])
            points = set()
        chunks[-1].append(leg)
        points.update(leg)
    return chunks


def leg_seconds_from_provider(*, time_zone: str = "Europe/Paris") -> ProviderLegTimes:
    """Driving seconds between two points leaving at a given moment, from the configured travel-time provider."""
    return ProviderLegTimes(provider=provider_from_settings(), time_zone=time_zone)
