"""The care KPIs, per period: ETA accuracy, on-time and first-attempt rates, dwell by zone, plan cost."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import DateTimeField, ExpressionWrapper, F, Min, OuterRef, Q, Subquery, Sum, Value

from dispatch.models import Depot, Plan, Route, Stop
from merchants.access import merchant_q
from scheduling.models import Delivery
from tracking.models import EtaSnapshot, Milestone

# The ETA judged against the arrival is the last one published at least this long before it.
ETA_HORIZON = dt.timedelta(minutes=30)
CLOSED = (Delivery.Status.DELIVERED, Delivery.Status.ATTEMPTED, Delivery.Status.RETURNED)


@dataclass(frozen=True)
class ZoneDwell:
    zone: str
    mean_seconds: float
    stops: int

    @property
    def mean_label(self) -> str:
        minutes, seconds = divmod(round(self.mean_seconds), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


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


def fleet_time_zone() -> ZoneInfo:
    """The zone "today" is counted in: the first depot's (the demo city has one), else UTC."""
    depot = Depot.objects.order_by("code").first()
    return ZoneInfo(depot.time_zone) if depot is not None else ZoneInfo("UTC")


def _eta_accuracy(first: dt.date, last: dt.date, scope: Q) -> tuple[float | None, float | None, int]:
    """Mean absolute error (minutes) and share inside the band, for the last ETA published ≥ 30 min before
    each arrival recorded on the period's active plans."""
    stops = (
        Stop.objects.filter(scope, route__plan__status=Plan.Status.ACTIVE, route__plan__date__range=(first, last),
                            actual_arrival__isnull=False)
        .annotate(cutoff=ExpressionWrapper(F("actual_arrival") - Value(ETA_HORIZON), output_field=DateTimeField()))
        .annotate(snapshot_id=Subquery(
            EtaSnapshot.objects.filter(delivery__job_id=OuterRef("job_id"), computed_at__lte=OuterRef("cutoff"))
            .order_by("-computed_at", "-id").values("id")[:1]
        ))
        .filter(snapshot_id__isnull=False)
        .values_list("actual_arrival", "snapshot_id")
    )
    pairs = list(stops)
    if not pairs:
        return None, None, 0
    snapshots = EtaSnapshot.objects.in_bulk([snapshot_id for _, snapshot_id in pairs])
    errors, inside = [], 0
    for arrival, snapshot_id in pairs:
        snapshot = snapshots[snapshot_id]
        errors.append(abs((snapshot.eta - arrival).total_seconds()) / 60)
        inside += snapshot.band_start <= arrival <= snapshot.band_end
    return sum(errors) / len(errors), inside / len(pairs), len(pairs)


def _closing(first: dt.date, last: dt.date, scope: Q) -> tuple[int, float | None, float | None]:
    """Closed deliveries of the period (by promised day), first-attempt rate and on-time-in-full rate.

    A delivery is first-attempt when it was delivered with no `attempted` milestone recorded before its
    first `delivered` one; on time when that delivery (or, without the milestone, the proof) falls inside
    the promised window. Both are shares of all closed deliveries (delivered, attempted or returned).
    """
    rows = list(
        Delivery.objects.filter(scope, window__date__range=(first, last), status__in=CLOSED)
        .annotate(
            delivered_at=Min("events__recorded_at", filter=Q(events__milestone=Milestone.DELIVERED)),
            attempted_at=Min("events__recorded_at", filter=Q(events__milestone=Milestone.ATTEMPTED)),
        )
        .values_list("status", "delivered_at", "attempted_at", "proof__captured_at", "window__starts_at",
                     "window__ends_at")
    )
    if not rows:
        return 0, None, None
    first_attempt = on_time = 0
    for status, delivered_at, attempted_at, proof_at, starts_at, ends_at in rows:
        if status != Delivery.Status.DELIVERED:
            continue
        if attempted_at is None or (delivered_at is not None and attempted_at >= delivered_at):
            first_attempt += 1
        at = delivered_at or proof_at
        if at is not None and starts_at <= at <= ends_at:
            on_time += 1
    return len(rows), first_attempt / len(rows), on_time / len(rows)


def _dwell(first: dt.date, last: dt.date, scope: Q) -> list[ZoneDwell]:
    times: dict[str, list[float]] = defaultdict(list)
    stops = Stop.objects.filter(
        scope, route__plan__status=Plan.Status.ACTIVE, route__plan__date__range=(first, last),
        actual_arrival__isnull=False, actual_departure__isnull=False,
    ).values_list("job__zone__name", "actual_arrival", "actual_departure")
    for zone, arrival, departure in stops:
        if departure >= arrival:
            times[zone].append((departure - arrival).total_seconds())
    return [ZoneDwell(zone, sum(values) / len(values), len(values)) for zone, values in sorted(times.items())]


def _plan_costs(first: dt.date, last: dt.date, merchant_ids) -> tuple[int, float | None, Decimal | None]:
    """Stops on the period's active plans, km per stop and cost per stop (each vehicle's cost per km and per
    hour on its route). A plan saved without distances (or durations) gives no figure rather than zero.

    Merchant staff see their own stops' count only: the fleet's distances and costs are the platform's."""
    plans = Plan.objects.filter(status=Plan.Status.ACTIVE, date__range=(first, last))
    stops = Stop.objects.filter(merchant_q(merchant_ids, path="job__merchant"), route__plan__in=plans).count()
    if merchant_ids is not None:
        return stops, None, None
    if not stops:
        return 0, None, None
    metres = plans.aggregate(total=Sum("distance_m"))["total"] or 0
    cost, measured = Decimal(0), False
    for distance_m, duration_s, per_km, per_hour in Route.objects.filter(plan__in=plans).values_list(
        "distance_m", "duration_s", "vehicle__cost_per_km", "vehicle__cost_per_hour"
    ):
        measured = measured or bool(distance_m or duration_s)
        cost += Decimal(distance_m) / 1000 * per_km + Decimal(duration_s) / 3600 * per_hour
    return (
        stops,
        metres / 1000 / stops if metres else None,
        (cost / stops).quantize(Decimal("0.01")) if measured else None,
    )


def _period(label: str, first: dt.date, last: dt.date, merchant_ids) -> PeriodKpis:
    stop_scope = merchant_q(merchant_ids, path="job__merchant")
    mae, in_band, samples = _eta_accuracy(first, last, stop_scope)
    closed, first_attempt, otif = _closing(first, last, merchant_q(merchant_ids))
    stops, km, cost = _plan_costs(first, last, merchant_ids)
    return PeriodKpis(
        label=label, first_day=first, last_day=last, eta_mae_minutes=mae, eta_in_band_share=in_band,
        eta_samples=samples, closed=closed, first_attempt_rate=first_attempt, otif=otif,
        dwell_by_zone=_dwell(first, last, stop_scope), planned_stops=stops, km_per_stop=km, cost_per_stop=cost,
        fleet_figures=merchant_ids is None,
    )


def kpis(*, now: dt.datetime, tz: ZoneInfo | None = None, merchant_ids=None) -> list[PeriodKpis]:
    """Today's figures and the last seven days' (today included), from stored rows only, for these merchants
    (every merchant when None).

    Days are local: deliveries count on their promised window's date, plans on their own date.
    """
    today = now.astimezone(tz or fleet_time_zone()).date()
    return [
        _period("Today", today, today, merchant_ids),
        _period("Last 7 days", today - dt.timedelta(days=6), today, merchant_ids),
    ]
