"""The care KPIs, computed by database aggregates: ETA accuracy, first-attempt and on-time rates, reattempts,
dwell by zone, distance and cost per stop, "where is my order?" contacts, exceptions by rule.

Every figure is read for a `KpiScope` (days, the merchants the user may see or picked, a zone) and
returned per day where a chart draws it over time. The care home's two cards (today, the last seven
days) and the KPI page with its charts and CSV files read the same functions.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Avg,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate

from care.contacts import wismo_sms_q
from care.models import CareSearch, JourneyException
from dispatch.models import Depot, Job, Plan, Route, Stop
from merchants.access import merchant_q
from notifications.models import InboundSms
from scheduling.models import Delivery, Window
from tracking.models import EtaSnapshot, Event, Milestone, ProofOfDelivery

# The ETA judged against the arrival is the last one published at least this long before it.
ETA_HORIZON = dt.timedelta(minutes=30)
CLOSED = (Delivery.Status.DELIVERED, Delivery.Status.ATTEMPTED, Delivery.Status.RETURNED)


class EpochSeconds(Func):
    """A timestamp as seconds since 1970 (a float), so differences of timestamps average in the database."""

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
    """Run the KPI queries with PostgreSQL's JIT compiler off.

    Their correlated subqueries make the planner's cost estimate cross `jit_above_cost` on a large table,
    and compiling them then takes seconds while running them takes a few hundred milliseconds. `SET LOCAL`
    holds for this transaction only; other databases have nothing to turn off.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def _seconds_between(start, end):
    return ExpressionWrapper(EpochSeconds(end) - EpochSeconds(start), output_field=FloatField())


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


# --- ETA accuracy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class EtaDay:
    day: dt.date
    samples: int
    mae_minutes: float | None
    inside: int

    @property
    def in_band_share(self) -> float | None:
        return self.inside / self.samples if self.samples else None


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


def eta_accuracy_by_day(scope: KpiScope) -> list[EtaDay]:
    """Per plan day: arrivals judged, mean absolute error (minutes) and how many fell inside the band, for the
    last ETA published at least 30 min before each arrival recorded on an active plan.

    Written as SQL: the latest snapshot per stop is a window function over one hash join of stops and
    snapshots, which the ORM cannot then group by day; a correlated subquery per stop took seconds on
    100,000 deliveries.
    """
    where, params = _scope_sql(scope, job="j")
    sql = f"""
        WITH judged AS (
            SELECT p.date AS day, s.actual_arrival AS arrival, e.eta AS eta, e.band_start AS band_start,
                   e.band_end AS band_end,
                   ROW_NUMBER() OVER (PARTITION BY s.id ORDER BY e.computed_at DESC, e.id DESC) AS n
            FROM {_table(Stop)} s
            JOIN {_table(Route)} r ON r.id = s.route_id
            JOIN {_table(Plan)} p ON p.id = r.plan_id
            {f"JOIN {_table(Job)} j ON j.id = s.job_id" if where else ""}
            JOIN {_table(Delivery)} d ON d.job_id = s.job_id
            JOIN {_table(EtaSnapshot)} e ON e.delivery_id = d.id
            WHERE p.status = %s AND p.date BETWEEN %s AND %s AND s.actual_arrival IS NOT NULL
              AND e.computed_at <= {_minus_seconds("s.actual_arrival")} {where}
        )
        SELECT day, COUNT(*), AVG(ABS({_epoch_sql("eta")} - {_epoch_sql("arrival")})),
               SUM(CASE WHEN band_start <= arrival AND arrival <= band_end THEN 1 ELSE 0 END)
        FROM judged WHERE n = 1 GROUP BY day ORDER BY day
    """
    rows = _rows(sql, [Plan.Status.ACTIVE, scope.first, scope.last, int(ETA_HORIZON.total_seconds()), *params])
    return [EtaDay(_date(day), samples, mae / 60, int(inside or 0)) for day, samples, mae, inside in rows]


def _date(value) -> dt.date:
    # SQLite hands back a date column of a raw query as text.
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


# --- Closing: first attempt, on time, reattempts -------------------------------------------------------


@dataclass(frozen=True)
class ClosingDay:
    day: dt.date
    closed: int
    first_attempt: int
    on_time: int
    reattempts: int


def closing_by_day(scope: KpiScope) -> list[ClosingDay]:
    """Per promised day, the closed deliveries (delivered, attempted or returned) and among them:

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
        SELECT w.date, COUNT(*),
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
        GROUP BY w.date ORDER BY w.date
    """
    delivered, attempted = Milestone.DELIVERED, Milestone.ATTEMPTED
    status = Delivery.Status.DELIVERED
    rows = _rows(sql, [delivered, attempted, attempted, *scope_params, delivered, attempted,
                       status, status, status, *scope_params])
    return [ClosingDay(_date(day), closed_, int(first or 0), int(on_time or 0), int(again or 0))
            for day, closed_, first, on_time, again in rows]


# --- Dwell ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneDwell:
    zone: str
    mean_seconds: float
    stops: int

    @property
    def mean_label(self) -> str:
        minutes, seconds = divmod(round(self.mean_seconds), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def dwell_by_zone(scope: KpiScope) -> list[ZoneDwell]:
    """Mean time at the door (arrival to departure) per zone, on the period's active plans."""
    rows = (
        Stop.objects.filter(scope.stops(), route__plan__status=Plan.Status.ACTIVE,
                            route__plan__date__range=(scope.first, scope.last), actual_arrival__isnull=False,
                            actual_departure__gte=F("actual_arrival"))
        .values(zone=F("job__zone__name"))
        .annotate(mean=Avg(_seconds_between(F("actual_arrival"), F("actual_departure"))), stops=Count("id"))
        .order_by("zone")
    )
    return [ZoneDwell(r["zone"], r["mean"], r["stops"]) for r in rows]


# --- Distance and cost per stop ----------------------------------------------------------------------


@dataclass(frozen=True)
class CostDay:
    day: dt.date
    stops: int
    metres: float
    cost: float
    measured: bool

    @property
    def km_per_stop(self) -> float | None:
        return self.metres / 1000 / self.stops if self.stops and self.metres else None

    @property
    def cost_per_stop(self) -> Decimal | None:
        if not self.stops or not self.measured:
            return None
        return Decimal(str(self.cost / self.stops)).quantize(Decimal("0.01"))


def costs_by_day(scope: KpiScope) -> list[CostDay]:
    """Per plan day, the stops in scope and their share of their routes' distance and cost.

    Each route's kilometres and cost (its vehicle's cost per km and per hour) are shared equally among its
    stops, so a merchant's or a zone's figure is its stops' share, and the whole fleet's is the plans' total.
    """
    counted = lambda q: Subquery(  # noqa: E731 - two uses, one shape
        Stop.objects.filter(q, route=OuterRef("pk")).order_by().values("route").annotate(n=Count("id")).values("n"),
        output_field=IntegerField())
    share = ExpressionWrapper(F("in_scope") * 1.0 / F("all_stops"), output_field=FloatField())
    cost = ExpressionWrapper(
        F("distance_m") / 1000.0 * F("vehicle__cost_per_km") + F("duration_s") / 3600.0 * F("vehicle__cost_per_hour"),
        output_field=FloatField())
    rows = (
        Route.objects.filter(plan__status=Plan.Status.ACTIVE, plan__date__range=(scope.first, scope.last))
        .annotate(all_stops=counted(Q()), in_scope=Coalesce(counted(scope.stops()), 0))
        .filter(in_scope__gt=0)
        .values(day=F("plan__date"))
        .annotate(stops=Sum("in_scope"), metres=Sum(F("distance_m") * share), cost=Sum(cost * share),
                  measured=Sum(F("distance_m") + F("duration_s")))
        .order_by("day")
    )
    return [CostDay(r["day"], r["stops"] or 0, r["metres"] or 0.0, float(r["cost"] or 0), bool(r["measured"]))
            for r in rows]


# --- "Where is my order?" contacts -----------------------------------------------------------------


@dataclass(frozen=True)
class ContactDay:
    day: dt.date
    searches: int
    texts: int
    deliveries: int

    @property
    def per_100(self) -> float | None:
        return (self.searches + self.texts) * 100 / self.deliveries if self.deliveries else None


def contacts_by_day(scope: KpiScope) -> list[ContactDay]:
    """Per local day: care searches and customers' "where is…" texts, and the deliveries promised that day.

    With a merchant or zone chosen, a search counts when it found one delivery of theirs, and a text when
    its number is a recipient's of theirs; otherwise every one counts."""
    window = {"range": (scope.starts_at, scope.ends_at)}
    searches = CareSearch.objects.filter(searched_at__gte=window["range"][0], searched_at__lt=window["range"][1])
    if scope.narrowed:
        searches = searches.filter(scope.deliveries("delivery"), delivery__isnull=False)
    texts = InboundSms.objects.filter(wismo_sms_q(), received_at__gte=scope.starts_at, received_at__lt=scope.ends_at)
    if scope.narrowed:
        texts = texts.filter(Exists(Delivery.objects.filter(scope.deliveries(), recipient_phone=OuterRef("from_number"))))
    by_day = lambda qs, at: {  # noqa: E731 - two uses, one shape
        r["day"]: r["n"] for r in qs.annotate(day=TruncDate(at, tzinfo=scope.tz)).values("day")
        .annotate(n=Count("id")).order_by()}
    searched, texted = by_day(searches, "searched_at"), by_day(texts, "received_at")
    promised = {
        r["window__date"]: r["n"] for r in
        Delivery.objects.filter(scope.deliveries(), window__date__range=(scope.first, scope.last))
        .exclude(status=Delivery.Status.CANCELLED).values("window__date").annotate(n=Count("pk")).order_by()
    }
    days = sorted(set(searched) | set(texted) | set(promised))
    return [ContactDay(d, searched.get(d, 0), texted.get(d, 0), promised.get(d, 0)) for d in days]


# --- Exceptions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleExceptions:
    code: str
    opened: int
    resolved: int
    mean_resolve_seconds: float | None

    @property
    def mean_resolve_minutes(self) -> float | None:
        return self.mean_resolve_seconds / 60 if self.mean_resolve_seconds is not None else None


def exceptions_by_rule(scope: KpiScope) -> list[RuleExceptions]:
    """Exceptions opened in the period, per rule (their code), how many are resolved and how long that took."""
    resolved = Q(resolved_at__isnull=False)
    rows = (
        JourneyException.objects.filter(scope.deliveries("delivery"), opened_at__gte=scope.starts_at,
                                        opened_at__lt=scope.ends_at)
        .values("code")
        .annotate(opened=Count("id"), resolved=Count("id", filter=resolved),
                  mean=Avg(_seconds_between(F("opened_at"), F("resolved_at")), filter=resolved))
        .order_by("-opened", "code")
    )
    return [RuleExceptions(r["code"], r["opened"], r["resolved"], r["mean"]) for r in rows]


# --- The home page's two cards -------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodKpis:
    """One period's figures; None wherever there is nothing stored to compute it from."""

    label: str
    first_day: dt.date
    last_day: dt.date
    eta_mae_minutes: float | None
    eta_in_band_share: float | None
    eta_samples: int
    closed: int
    first_attempt_rate: float | None
    otif: float | None
    dwell_by_zone: list[ZoneDwell]
    planned_stops: int
    km_per_stop: float | None
    cost_per_stop: Decimal | None
    cost_currency: str = field(default_factory=lambda: settings.FLEET_CURRENCY)
    # False for a merchant's staff: the fleet's distance and cost per stop are the platform's figures.
    fleet_figures: bool = True


def eta_total(days: list[EtaDay]) -> EtaDay | None:
    samples = sum(d.samples for d in days)
    if not samples:
        return None
    mae = sum(d.mae_minutes * d.samples for d in days) / samples
    return EtaDay(days[-1].day, samples, mae, sum(d.inside for d in days))


def closing_total(days: list[ClosingDay]) -> ClosingDay | None:
    if not days:
        return None
    return ClosingDay(days[-1].day, *(sum(getattr(d, f) for d in days)
                                      for f in ("closed", "first_attempt", "on_time", "reattempts")))


def cost_total(days: list[CostDay]) -> CostDay:
    return CostDay(days[-1].day if days else dt.date.min, sum(d.stops for d in days), sum(d.metres for d in days),
                   sum(d.cost for d in days), any(d.measured for d in days))


def _period(label: str, scope: KpiScope, fleet_figures: bool) -> PeriodKpis:
    eta = eta_total(eta_accuracy_by_day(scope))
    closing = closing_total(closing_by_day(scope))
    costs = cost_total(costs_by_day(scope))
    return PeriodKpis(
        label=label, first_day=scope.first, last_day=scope.last,
        eta_mae_minutes=eta.mae_minutes if eta else None, eta_in_band_share=eta.in_band_share if eta else None,
        eta_samples=eta.samples if eta else 0, closed=closing.closed if closing else 0,
        first_attempt_rate=closing.first_attempt / closing.closed if closing else None,
        otif=closing.on_time / closing.closed if closing else None,
        dwell_by_zone=dwell_by_zone(scope), planned_stops=costs.stops,
        km_per_stop=costs.km_per_stop if fleet_figures else None,
        cost_per_stop=costs.cost_per_stop if fleet_figures else None, fleet_figures=fleet_figures,
    )


def kpis(*, now: dt.datetime, tz: ZoneInfo | None = None, merchant_ids=None) -> list[PeriodKpis]:
    """Today's figures and the last seven days' (today included), from stored rows only, for these merchants
    (every merchant when None).

    Days are local: deliveries count on their promised window's date, plans on their own date.
    """
    tz = tz or fleet_time_zone()
    today = now.astimezone(tz).date()
    ids = frozenset(merchant_ids) if merchant_ids is not None else None
    with analytics_queries():
        return [
            _period("Today", KpiScope(today, today, ids, tz=tz), ids is None),
            _period("Last 7 days", KpiScope(today - dt.timedelta(days=6), today, ids, tz=tz), ids is None),
        ]
