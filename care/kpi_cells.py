"""The KPIs' database aggregates, one cell per day, merchant and zone.

A cell holds figures that add up: counts and sums, never a mean or a share. Any scope (a run of days, a set of
merchants, a zone) is then the sum of its cells, whether they were just computed here (today, or any day not
stored yet) or stored once the day was over (care.kpi_days, which stores exactly what these queries return).
Each query below is the one truth of its KPI; `care.kpis` folds its cells into the page's days and zones.

A cell is a tuple `(day, merchant_id, zone_id, *figures)`, with the figures in the order of its `Measure.fields`
(the names of care.models.KpiDay's columns). Days are local: a delivery counts on its promised window's date, a
stop on its plan's date; `merchant_id` is None for a job no merchant booked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count, ExpressionWrapper, F, FloatField, Func, Q, Sum

from dispatch.models import Depot, Job, Plan, Route, Stop, Vehicle
from merchants.access import merchant_q
from scheduling.models import Delivery, Window
from tracking.models import EtaSnapshot, Event, Milestone, ProofOfDelivery

# The ETA judged against the arrival is the last one published at least this long before it.
ETA_HORIZON = dt.timedelta(minutes=30)
CLOSED = (Delivery.Status.DELIVERED, Delivery.Status.ATTEMPTED, Delivery.Status.RETURNED)


@dataclass(frozen=True)
class KpiScope:
    """What the figures cover: local days `first`..`last`, merchants (None: every one), a zone (None: all)."""

    first: dt.date
    last: dt.date
    merchant_ids: frozenset[int] | None = None
    zone_id: int | None = None
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(0), tzinfo=self.tz)

    @property
    def ends_at(self) -> dt.datetime:
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), tzinfo=self.tz)

    def deliveries(self, path: str = "") -> Q:
        """Deliveries (reached through `path`) of these merchants and zone."""
        prefix = f"{path}__" if path else ""
        q = merchant_q(self.merchant_ids, path=f"{prefix}merchant")
        return q & Q(**{f"{prefix}window__zone_id": self.zone_id}) if self.zone_id else q

    def stops(self, path: str = "") -> Q:
        """Stops (reached through `path`) of these merchants' jobs in this zone."""
        prefix = f"{path}__" if path else ""
        q = merchant_q(self.merchant_ids, path=f"{prefix}job__merchant")
        return q & Q(**{f"{prefix}job__zone_id": self.zone_id}) if self.zone_id else q

    @property
    def narrowed(self) -> bool:
        return self.merchant_ids is not None or self.zone_id is not None


def fleet_time_zone() -> ZoneInfo:
    """The zone "today" is counted in: the first depot's (the demo city has one), else UTC."""
    depot = Depot.objects.order_by("code").first()
    return ZoneInfo(depot.time_zone) if depot is not None else ZoneInfo("UTC")


class EpochSeconds(Func):
    """A timestamp as seconds since 1970 (a float), so differences of timestamps sum in the database."""

    output_field = FloatField()
    arity = 1

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
                              **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() keeps milliseconds; rounding to them drops the float noise of the day fraction.
        return super().as_sql(compiler, connection, template="ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0, 3)", **extra)


@contextmanager
def analytics_queries():
    """Run the KPI queries with PostgreSQL's JIT compiler off and room to sort in memory.

    On a large table the planner's cost estimate crosses `jit_above_cost`, and compiling the query then takes
    longer than running it; the ETA's window function sorts every judged snapshot, which spilled to disk in the
    default 4 MB. `SET LOCAL` holds for this transaction only; other databases have nothing to set.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL work_mem = '32MB'")
        yield


def seconds_between(start, end):
    return ExpressionWrapper(EpochSeconds(end) - EpochSeconds(start), output_field=FloatField())


def _epoch_sql(column: str) -> str:
    """The SQL that EpochSeconds writes, for the hand-written queries below."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::double precision"
    return f"ROUND((julianday({column}) - 2440587.5) * 86400.0, 3)"


def _minus_seconds(column: str) -> str:
    """`column` less a parameter's seconds, as a timestamp the column's own values compare with."""
    if connection.vendor == "postgresql":
        return f"({column} - make_interval(secs => %s))"
    # SQLite keeps timestamps as ISO text; strftime gives the same shape back, microseconds included.
    return f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {column}, '-' || %s || ' seconds')"


def _scope_sql(scope: KpiScope, *, job: str = "", delivery: str = "", window: str = "") -> tuple[str, list]:
    """`AND …` conditions (and their parameters) for the scope, on a job alias or a delivery and window alias."""
    sql, params = [], []
    if scope.merchant_ids is not None:
        ids = sorted(scope.merchant_ids) or [-1]
        sql.append(f"{job or delivery}.merchant_id IN ({', '.join(['%s'] * len(ids))})")
        params += ids
    if scope.zone_id is not None:
        sql.append(f"{job}.zone_id = %s" if job else f"{window}.zone_id = %s")
        params.append(scope.zone_id)
    return "".join(f" AND {condition}" for condition in sql), params


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _date(value) -> dt.date:
    # SQLite hands back a date column of a raw query as text.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def eta_cells(scope: KpiScope) -> list[tuple]:
    """(plan day, merchant, zone, arrivals judged, sum of absolute errors in seconds, arrivals inside the band), for
    the last ETA published at least 30 min before each arrival recorded on an active plan.

    Written as SQL: the latest snapshot per stop is a window function over one hash join of stops and
    snapshots, which the ORM cannot then group; a correlated subquery per stop took seconds on 100,000 deliveries.
    """
    where, params = _scope_sql(scope, job="j")
    sql = f"""
        WITH judged AS (
            SELECT p.date AS day, j.merchant_id AS merchant_id, j.zone_id AS zone_id, s.actual_arrival AS arrival,
                   e.eta AS eta, e.band_start AS band_start, e.band_end AS band_end,
                   ROW_NUMBER() OVER (PARTITION BY s.id ORDER BY e.computed_at DESC, e.id DESC) AS n
            FROM {_table(Stop)} s
            JOIN {_table(Route)} r ON r.id = s.route_id
            JOIN {_table(Plan)} p ON p.id = r.plan_id
            JOIN {_table(Job)} j ON j.id = s.job_id
            JOIN {_table(Delivery)} d ON d.job_id = s.job_id
            JOIN {_table(EtaSnapshot)} e ON e.delivery_id = d.id
            WHERE p.status = %s AND p.date BETWEEN %s AND %s AND s.actual_arrival IS NOT NULL
              AND e.computed_at <= {_minus_seconds("s.actual_arrival")} {where}
        )
        SELECT day, merchant_id, zone_id, COUNT(*), SUM(ABS({_epoch_sql("eta")} - {_epoch_sql("arrival")})),
               SUM(CASE WHEN band_start <= arrival AND arrival <= band_end THEN 1 ELSE 0 END)
        FROM judged WHERE n = 1 GROUP BY day, merchant_id, zone_id
    """
    rows = _rows(sql, [Plan.Status.ACTIVE, scope.first, scope.last, int(ETA_HORIZON.total_seconds()), *params])
    return [(_date(day), merchant, zone, samples, float(error or 0.0), int(inside or 0))
            for day, merchant, zone, samples, error, inside in rows]


def closing_cells(scope: KpiScope) -> list[tuple]:
    """(promised day, merchant, zone, closed, first attempt, on time, reattempts) over the closed deliveries
    (delivered, attempted or returned):

    - first attempt: delivered with no `attempted` milestone recorded before its first `delivered` one;
    - on time: delivered (the milestone, else the proof) inside the promised window;
    - reattempts: trips beyond the first (every failed attempt, less one when it was never delivered).

    Written as SQL: each delivery's first delivery, first attempt and count of attempts come from one
    grouped pass over the events, joined back, where the ORM would run a subquery per delivery and figure.
    """
    where, params = _scope_sql(scope, delivery="d", window="w")
    closed = ", ".join(["%s"] * len(CLOSED))
    scope_params = [scope.first, scope.last, *CLOSED, *params]
    sql = f"""
        WITH ev AS (
            SELECT e.delivery_id AS delivery_id,
                   MIN(CASE WHEN e.milestone = %s THEN e.recorded_at END) AS delivered_at,
                   MIN(CASE WHEN e.milestone = %s THEN e.recorded_at END) AS attempted_at,
                   SUM(CASE WHEN e.milestone = %s THEN 1 ELSE 0 END) AS failed
            FROM {_table(Event)} e
            JOIN {_table(Delivery)} d ON d.id = e.delivery_id
            JOIN {_table(Window)} w ON w.id = d.window_id
            WHERE w.date BETWEEN %s AND %s AND d.status IN ({closed}) {where} AND e.milestone IN (%s, %s)
            GROUP BY e.delivery_id
        )
        SELECT w.date, d.merchant_id, w.zone_id, COUNT(*),
               SUM(CASE WHEN d.status = %s AND (ev.attempted_at IS NULL
                        OR (ev.delivered_at IS NOT NULL AND ev.attempted_at >= ev.delivered_at)) THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.status = %s AND COALESCE(ev.delivered_at, pod.captured_at) >= w.starts_at
                        AND COALESCE(ev.delivered_at, pod.captured_at) <= w.ends_at THEN 1 ELSE 0 END),
               SUM(CASE WHEN d.status = %s THEN COALESCE(ev.failed, 0)
                        WHEN COALESCE(ev.failed, 0) >= 1 THEN ev.failed - 1 ELSE 0 END)
        FROM {_table(Delivery)} d
        JOIN {_table(Window)} w ON w.id = d.window_id
        LEFT JOIN ev ON ev.delivery_id = d.id
        LEFT JOIN {_table(ProofOfDelivery)} pod ON pod.delivery_id = d.id
        WHERE w.date BETWEEN %s AND %s AND d.status IN ({closed}) {where}
        GROUP BY w.date, d.merchant_id, w.zone_id
    """
    delivered, attempted = Milestone.DELIVERED, Milestone.ATTEMPTED
    status = Delivery.Status.DELIVERED
    rows = _rows(sql, [delivered, attempted, attempted, *scope_params, delivered, attempted,
                       status, status, status, *scope_params])
    return [(_date(day), merchant, zone, count, int(first or 0), int(on_time or 0), int(again or 0))
            for day, merchant, zone, count, first, on_time, again in rows]


def dwell_cells(scope: KpiScope) -> list[tuple]:
    """(plan day, merchant, zone, stops, seconds at the door) over the stops of active plans with an arrival and a
    departure recorded."""
    rows = (
        Stop.objects.filter(scope.stops(), route__plan__status=Plan.Status.ACTIVE,
                            route__plan__date__range=(scope.first, scope.last), actual_arrival__isnull=False,
                            actual_departure__gte=F("actual_arrival"))
        .values_list("route__plan__date", "job__merchant_id", "job__zone_id")
        .annotate(stops=Count("id"), seconds=Sum(seconds_between(F("actual_arrival"), F("actual_departure"))))
        .order_by()
    )
    return [(_date(day), merchant, zone, stops, float(seconds or 0.0)) for day, merchant, zone, stops, seconds in rows]


def cost_cells(scope: KpiScope) -> list[tuple]:
    """(plan day, merchant, zone, stops, metres, cost, measured) over the stops of active plans: each route's
    kilometres and cost (its vehicle's cost per km and per hour) shared equally among its stops, so a merchant's or a
    zone's figure is its stops' share and the whole fleet's is the plans' total. `measured` says whether any of the
    routes had a distance or a duration at all.

    Written as SQL: every route's count of stops comes from one grouped pass over the stops, joined back; the ORM's
    correlated count per route and figure took most of a second on 100,000 stops.
    """
    where, params = _scope_sql(scope, job="j")
    plans = "p.status = %s AND p.date BETWEEN %s AND %s"
    plan_params = [Plan.Status.ACTIVE, scope.first, scope.last]
    sql = f"""
        WITH counted AS (
            SELECT s.route_id AS route_id, COUNT(*) AS stops
            FROM {_table(Stop)} s
            JOIN {_table(Route)} r ON r.id = s.route_id
            JOIN {_table(Plan)} p ON p.id = r.plan_id
            WHERE {plans}
            GROUP BY s.route_id
        )
        SELECT p.date, j.merchant_id, j.zone_id, COUNT(*),
               SUM(r.distance_m * 1.0 / c.stops),
               SUM((r.distance_m / 1000.0 * v.cost_per_km + r.duration_s / 3600.0 * v.cost_per_hour) / c.stops),
               MAX(CASE WHEN r.distance_m + r.duration_s > 0 THEN 1 ELSE 0 END)
        FROM {_table(Stop)} s
        JOIN counted c ON c.route_id = s.route_id
        JOIN {_table(Route)} r ON r.id = s.route_id
        JOIN {_table(Plan)} p ON p.id = r.plan_id
        JOIN {_table(Vehicle)} v ON v.id = r.vehicle_id
        JOIN {_table(Job)} j ON j.id = s.job_id
        WHERE {plans} {where}
        GROUP BY p.date, j.merchant_id, j.zone_id
    """
    rows = _rows(sql, [*plan_params, *plan_params, *params])
    return [(_date(day), merchant, zone, stops, float(metres or 0.0), float(cost or 0.0), bool(measured))
            for day, merchant, zone, stops, metres, cost, measured in rows]


def promised_cells(scope: KpiScope) -> list[tuple]:
    """(promised day, merchant, zone, deliveries promised that day and not cancelled): what contacts are counted per."""
    rows = (
        Delivery.objects.filter(scope.deliveries(), window__date__range=(scope.first, scope.last))
        .exclude(status=Delivery.Status.CANCELLED)
        .values_list("window__date", "merchant_id", "window__zone_id").annotate(n=Count("pk")).order_by()
    )
    return [(_date(day), merchant, zone, n) for day, merchant, zone, n in rows]


@dataclass(frozen=True)
class Measure:
    """One KPI's cells: the KpiDay columns its figures are stored in, and the query that computes them."""

    name: str
    fields: tuple[str, ...]
    live: Callable[[KpiScope], list[tuple]]


ETA = Measure("eta", ("eta_samples", "eta_error_seconds", "eta_inside"), eta_cells)
CLOSING = Measure("closing", ("closed", "first_attempt", "on_time", "reattempts"), closing_cells)
DWELL = Measure("dwell", ("dwell_stops", "dwell_seconds"), dwell_cells)
COST = Measure("cost", ("planned_stops", "metres", "cost", "measured"), cost_cells)
PROMISED = Measure("promised", ("promised",), promised_cells)
MEASURES = (ETA, CLOSING, DWELL, COST, PROMISED)
