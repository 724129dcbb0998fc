"""The care KPIs: ETA accuracy, first-attempt and on-time rates, reattempts, dwell by zone, distance and cost per
stop, "where is my order?" contacts, exceptions by rule.

Every figure is read for a `KpiScope` (days, the merchants the user may see or picked, a zone) and
returned per day where a chart draws it over time. The care home's two cards (today, the last seven
days) and the KPI page with its charts and CSV files read the same functions.

The journeys' figures are sums of cells, one per day, merchant and zone (care.kpi_cells computes them by database
aggregates); the days that are over are read from the cells stored for them (care.kpi_days), the others computed.
Contacts and exceptions are counted live: a handful of indexed rows per day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, OuterRef, Q
from django.db.models.functions import TruncDate

from care import kpi_cells
from care.contacts import wismo_sms_q
from care.kpi_cells import (
    CLOSED,
    ETA_HORIZON,
    EpochSeconds,
    KpiScope,
    analytics_queries,
    fleet_time_zone,
    seconds_between,
)
from care.kpi_days import cells
from care.models import CareSearch, JourneyException
from dispatch.models import Zone
from notifications.models import InboundSms
from scheduling.models import Delivery

__all__ = ["CLOSED", "ETA_HORIZON", "EpochSeconds", "KpiScope", "analytics_queries", "fleet_time_zone"]


def _by_day(found: list[tuple], size: int) -> dict[dt.date, list]:
    """Cells summed per day: {day: [figure, …]}."""
    days: dict[dt.date, list] = defaultdict(lambda: [0] * size)
    for day, _merchant, _zone, *figures in found:
        days[day] = [a + b for a, b in zip(days[day], figures, strict=True)]
    return days


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


def eta_accuracy_by_day(scope: KpiScope) -> list[EtaDay]:
    """Per plan day: arrivals judged, mean absolute error (minutes) and how many fell inside the band, for the
    last ETA published at least 30 min before each arrival recorded on an active plan."""
    days = _by_day(cells(kpi_cells.ETA, scope), 3)
    return [EtaDay(day, samples, error / samples / 60, inside)
            for day, (samples, error, inside) in sorted(days.items()) if samples]


# --- Closing: first attempt, on time, reattempts -------------------------------------------------------


@dataclass(frozen=True)
class ClosingDay:
    day: dt.date
    closed: int
    first_attempt: int
    on_time: int
    reattempts: int


def closing_by_day(scope: KpiScope) -> list[ClosingDay]:
    """Per promised day, the closed deliveries (delivered, attempted or returned) and among them the first
    attempts, those on time, and the reattempts (see care.kpi_cells.closing_cells)."""
    days = _by_day(cells(kpi_cells.CLOSING, scope), 4)
    return [ClosingDay(day, *figures) for day, figures in sorted(days.items()) if figures[0]]


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
    """Mean time at the door (arrival to departure) per zone, on the period's active plans, by zone name."""
    zones: dict[int, list] = defaultdict(lambda: [0, 0.0])
    for _day, _merchant, zone_id, stops, seconds in cells(kpi_cells.DWELL, scope):
        zones[zone_id][0] += stops
        zones[zone_id][1] += seconds
    names = dict(Zone.objects.filter(pk__in=list(zones)).values_list("pk", "name"))
    return sorted((ZoneDwell(names[zone_id], seconds / stops, stops)
                   for zone_id, (stops, seconds) in zones.items() if stops), key=lambda z: (z.zone, z.stops))


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
    """Per plan day, the stops in scope and their share of their routes' distance and cost (each route's shared
    equally among its stops: a merchant's or a zone's figure is its stops' share, the fleet's the plans' total)."""
    days: dict[dt.date, list] = defaultdict(lambda: [0, 0.0, 0.0, False])
    for day, _merchant, _zone, stops, metres, cost, measured in cells(kpi_cells.COST, scope):
        total = days[day]
        days[day] = [total[0] + stops, total[1] + metres, total[2] + cost, total[3] or bool(measured)]
    return [CostDay(day, stops, metres, cost, measured)
            for day, (stops, metres, cost, measured) in sorted(days.items()) if stops]


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
    promised = {day: n for day, (n,) in _by_day(cells(kpi_cells.PROMISED, scope), 1).items() if n}
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
                  mean=Avg(seconds_between(F("opened_at"), F("resolved_at")), filter=resolved))
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
