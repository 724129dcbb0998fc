"""The KPI page's sections: for each KPI its headline, its chart(s) and its table, the table being exactly
what its CSV file holds, so the page and the download never disagree.

Cells are strings formatted once here (minutes to one decimal, shares as percentages to one decimal);
the template and the CSV writer only lay them out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.safestring import SafeString

from care import kpis
from care.charts import Series, bar_chart, line_chart


@dataclass(frozen=True)
class Headline:
    value: str
    unit: str
    sub: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    about: str
    headline: Headline | None
    empty: str
    charts: list[SafeString] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    # False where the figures are the fleet's and the user is a merchant's staff: nothing to show or export.
    shown: bool = True


KPI_KEYS = ("eta", "first-attempt", "otif", "reattempts", "dwell", "cost", "wismo", "exceptions")
TOTAL = "All days"


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _pct(part: int, whole: int) -> str:
    return f"{part * 100 / whole:.1f}" if whole else ""


def _one(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _day(day: dt.date) -> str:
    return day.isoformat()


def _short(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def _per_day(scope: kpis.KpiScope, rows, value) -> list[float | None]:
    by_day = {row.day: row for row in rows}
    return [value(by_day[d]) if d in by_day else None for d in scope.days]


def _eta(scope: kpis.KpiScope) -> Section:
    days = kpis.eta_accuracy_by_day(scope)
    total = kpis.eta_total(days)
    rows = [[_day(d.day), str(d.samples), _one(d.mae_minutes), _pct(d.inside, d.samples)] for d in days]
    if total:
        rows.append([TOTAL, str(total.samples), _one(total.mae_minutes), _pct(total.inside, total.samples)])
    labels = [_short(d) for d in scope.days]
    return Section(
        key="eta", title="ETA accuracy",
        about="The last ETA published at least 30 minutes before each arrival, against the arrival.",
        headline=Headline(_one(total.mae_minutes), "min",
                          f"mean absolute error · {_pct(total.inside, total.samples)} % inside the band "
                          f"· {_n(total.samples, 'arrival', 'arrivals')}") if total else None,
        empty="No arrival with an ETA published 30 min before in this period.",
        charts=[
            line_chart(chart_id="chart-eta-error", title="ETA error per day",
                       desc="Mean absolute error in minutes of the ETA published 30 minutes before arrival, per day.",
                       x_labels=labels, series=[Series("Mean absolute error", _per_day(scope, days, lambda d: d.mae_minutes))],
                       y_label="Minutes"),
            line_chart(chart_id="chart-eta-band", title="Arrivals inside the ETA band per day",
                       desc="Share of arrivals that fell inside the band published 30 minutes before, per day.",
                       x_labels=labels, y_label="% inside", y_max=100,
                       series=[Series("Inside the band", _per_day(scope, days, lambda d: d.inside * 100 / d.samples))]),
        ],
        headers=["day", "arrivals", "mean_absolute_error_min", "inside_band_pct"], rows=rows,
    )


def _closing_section(scope: kpis.KpiScope, days: list[kpis.ClosingDay], *, key: str) -> Section:
    total = kpis.closing_total(days)
    labels = [_short(d) for d in scope.days]
    empty = "No delivery closed in this period."
    if key == "first-attempt":
        rows = [[_day(d.day), str(d.closed), str(d.first_attempt), _pct(d.first_attempt, d.closed)] for d in days]
        if total:
            rows.append([TOTAL, str(total.closed), str(total.first_attempt), _pct(total.first_attempt, total.closed)])
        return Section(
            key=key, title="First-attempt delivery",
            about="Closed deliveries delivered with no failed attempt before, by promised day.",
            headline=Headline(_pct(total.first_attempt, total.closed), "%",
                              f"of {_n(total.closed, 'closed delivery', 'closed deliveries')}") if total else None,
            empty=empty, headers=["day", "closed", "first_attempt", "first_attempt_pct"], rows=rows,
            charts=[line_chart(chart_id="chart-first-attempt", title="First-attempt delivery per day",
                               desc="Share of closed deliveries delivered at the first attempt, per promised day.",
                               x_labels=labels, y_label="% of closed", y_max=100,
                               series=[Series("First attempt",
                                              _per_day(scope, days, lambda d: d.first_attempt * 100 / d.closed))])],
        )
    if key == "otif":
        rows = [[_day(d.day), str(d.closed), str(d.on_time), _pct(d.on_time, d.closed)] for d in days]
        if total:
            rows.append([TOTAL, str(total.closed), str(total.on_time), _pct(total.on_time, total.closed)])
        return Section(
            key=key, title="On time in full",
            about="Closed deliveries delivered inside the promised window, by promised day.",
            headline=Headline(_pct(total.on_time, total.closed), "%",
                              f"of {_n(total.closed, 'closed delivery', 'closed deliveries')}") if total else None,
            empty=empty, headers=["day", "closed", "on_time", "otif_pct"], rows=rows,
            charts=[line_chart(chart_id="chart-otif", title="On time in full per day",
                               desc="Share of closed deliveries delivered inside the promised window, per day.",
                               x_labels=labels, y_label="% of closed", y_max=100,
                               series=[Series("On time", _per_day(scope, days, lambda d: d.on_time * 100 / d.closed))])],
        )
    rows = [[_day(d.day), str(d.closed), str(d.reattempts), _pct(d.reattempts, d.closed)] for d in days]
    if total:
        rows.append([TOTAL, str(total.closed), str(total.reattempts), _pct(total.reattempts, total.closed)])
    return Section(
        key=key, title="Reattempts",
        about="Trips beyond the first to closed deliveries: each failed attempt followed by another try.",
        headline=Headline(str(total.reattempts), "",
                          f"{_pct(total.reattempts, total.closed)} per 100 closed deliveries") if total else None,
        empty=empty, headers=["day", "closed", "reattempts", "reattempts_per_100"], rows=rows,
        charts=[line_chart(chart_id="chart-reattempts", title="Reattempts per day",
                           desc="Trips beyond the first to the deliveries closed each day.",
                           x_labels=labels, y_label="Reattempts",
                           series=[Series("Reattempts", _per_day(scope, days, lambda d: d.reattempts))])],
    )


def _dwell(scope: kpis.KpiScope) -> Section:
    zones = kpis.dwell_by_zone(scope)
    stops = sum(z.stops for z in zones)
    mean = sum(z.mean_seconds * z.stops for z in zones) / stops if stops else None
    return Section(
        key="dwell", title="Dwell by zone",
        about="Mean time at the door, from arrival to departure, on the period's active plans.",
        headline=Headline(_one(mean / 60), "min", f"mean over {_n(stops, 'stop', 'stops')} in {_n(len(zones), 'zone', 'zones')}") if mean else None,
        empty="No stop with an arrival and a departure recorded in this period.",
        headers=["zone", "stops", "mean_dwell_min"],
        rows=[[z.zone, str(z.stops), _one(z.mean_seconds / 60)] for z in zones],
        charts=[bar_chart(chart_id="chart-dwell", title="Mean dwell by zone",
                          desc="Mean minutes a driver spent at each stop, per delivery zone.",
                          labels=[z.zone for z in zones], values=[z.mean_seconds / 60 for z in zones],
                          value_labels=[f"{z.mean_seconds / 60:.1f} min" for z in zones], x_label="Minutes per stop")],
    )


def _cost(scope: kpis.KpiScope, fleet_figures: bool) -> Section:
    currency = settings.FLEET_CURRENCY
    if not fleet_figures:
        return Section(key="cost", title="Distance and cost per stop", about="", headline=None,
                       empty="A fleet figure, shown to the platform's staff.", shown=False)
    days = kpis.costs_by_day(scope)
    total = kpis.cost_total(days)
    rows = [[_day(d.day), str(d.stops), _one(d.km_per_stop), str(d.cost_per_stop or "")] for d in days]
    if days:
        rows.append([TOTAL, str(total.stops), _one(total.km_per_stop), str(total.cost_per_stop or "")])
    labels = [_short(d) for d in scope.days]
    return Section(
        key="cost", title="Distance and cost per stop",
        about="Each route's kilometres and cost (its van's cost per km and per hour) shared among its stops.",
        headline=Headline(str(total.cost_per_stop), currency,
                          f"{_one(total.km_per_stop)} km per stop · {_n(total.stops, 'stop', 'stops')}")
        if total.cost_per_stop is not None else None,
        empty="No active plan with distances in this period.",
        headers=["day", "stops", "km_per_stop", f"cost_per_stop_{currency.lower()}"], rows=rows,
        charts=[
            line_chart(chart_id="chart-cost", title="Cost per stop per day",
                       desc=f"Cost per planned stop in {currency}, per day.", x_labels=labels,
                       y_label=currency, series=[Series("Cost per stop", _per_day(
                           scope, days, lambda d: float(d.cost_per_stop) if d.cost_per_stop is not None else None))]),
            line_chart(chart_id="chart-km", title="Distance per stop per day",
                       desc="Kilometres driven per planned stop, per day.", x_labels=labels, y_label="km",
                       series=[Series("km per stop", _per_day(scope, days, lambda d: d.km_per_stop))]),
        ],
    )


def _wismo(scope: kpis.KpiScope) -> Section:
    days = kpis.contacts_by_day(scope)
    searches, texts = sum(d.searches for d in days), sum(d.texts for d in days)
    deliveries = sum(d.deliveries for d in days)
    total = kpis.ContactDay(scope.last, searches, texts, deliveries)
    rows = [[_day(d.day), str(d.searches), str(d.texts), str(d.deliveries), _one(d.per_100)] for d in days]
    if days:
        rows.append([TOTAL, str(searches), str(texts), str(deliveries), _one(total.per_100)])
    return Section(
        key="wismo", title="“Where is my order?” contacts",
        about="Care searches and customers' texts asking where their order is, per 100 deliveries promised.",
        headline=Headline(_one(total.per_100), "per 100", f"{_n(searches, 'care search', 'care searches')} · {_n(texts, 'text', 'texts')} · "
                          f"{_n(deliveries, 'delivery', 'deliveries')}") if total.per_100 is not None else None,
        empty="No delivery promised in this period.",
        headers=["day", "care_searches", "where_is_texts", "deliveries", "contacts_per_100"], rows=rows,
        charts=[line_chart(chart_id="chart-wismo", title="Contacts per 100 deliveries per day",
                           desc="Care searches and where-is texts per 100 deliveries promised that day.",
                           x_labels=[_short(d) for d in scope.days], y_label="Per 100",
                           series=[Series("Contacts per 100", _per_day(scope, days, lambda d: d.per_100))])],
    )


def _exceptions(scope: kpis.KpiScope) -> Section:
    rules = kpis.exceptions_by_rule(scope)
    opened, resolved = sum(r.opened for r in rules), sum(r.resolved for r in rules)
    resolve_seconds = [r.mean_resolve_seconds * r.resolved for r in rules if r.mean_resolve_seconds is not None]
    mean = sum(resolve_seconds) / resolved / 60 if resolved else None
    rows = [[r.code, str(r.opened), str(r.resolved), _one(r.mean_resolve_minutes)] for r in rules]
    if rules:
        rows.append(["All rules", str(opened), str(resolved), _one(mean)])
    return Section(
        key="exceptions", title="Exceptions by rule",
        about="Exceptions opened in the period, per rule, and how long the resolved ones took.",
        headline=Headline(str(opened), "opened", f"{resolved} resolved · mean {_one(mean)} min to resolve"
                          if mean is not None else "none resolved yet") if rules else None,
        empty="No exception opened in this period.",
        headers=["rule", "opened", "resolved", "mean_time_to_resolve_min"], rows=rows,
        charts=[
            bar_chart(chart_id="chart-exceptions", title="Exceptions opened by rule",
                      desc="How many exceptions each rule opened in the period.", labels=[r.code for r in rules],
                      values=[r.opened for r in rules], value_labels=[str(r.opened) for r in rules],
                      x_label="Exceptions opened"),
            bar_chart(chart_id="chart-resolve", title="Mean time to resolve by rule",
                      desc="Mean minutes from opening to resolving, per rule, for the resolved exceptions.",
                      labels=[r.code for r in rules if r.resolved], value_labels=[
                          f"{r.mean_resolve_minutes:.0f} min" for r in rules if r.resolved],
                      values=[r.mean_resolve_minutes for r in rules if r.resolved], x_label="Minutes to resolve"),
        ],
    )


def kpi_section(*, key: str, scope: kpis.KpiScope, fleet_figures: bool) -> Section:
    """One KPI's section; `key` is one of KPI_KEYS."""
    with kpis.analytics_queries():
        return _section(key, scope, fleet_figures)


def _section(key: str, scope: kpis.KpiScope, fleet_figures: bool) -> Section:
    if key in ("first-attempt", "otif", "reattempts"):
        return _closing_section(scope, kpis.closing_by_day(scope), key=key)
    builders = {"eta": _eta, "dwell": _dwell, "wismo": _wismo, "exceptions": _exceptions}
    if key == "cost":
        return _cost(scope, fleet_figures)
    return builders[key](scope)


def kpi_report(*, scope: kpis.KpiScope, fleet_figures: bool) -> list[Section]:
    """Every KPI's section, in the page's order."""
    with kpis.analytics_queries():
        return _sections(scope, fleet_figures)


def _sections(scope: kpis.KpiScope, fleet_figures: bool) -> list[Section]:
    closing = kpis.closing_by_day(scope)
    return [
        _eta(scope),
        _closing_section(scope, closing, key="first-attempt"),
        _closing_section(scope, closing, key="otif"),
        _closing_section(scope, closing, key="reattempts"),
        _dwell(scope),
        _cost(scope, fleet_figures),
        _wismo(scope),
        _exceptions(scope),
    ]


def section_csv(section: Section) -> str:
    """The section's table as CSV text: its header row, then its rows as the page shows them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(section.headers)
    writer.writerows(section.rows)
    return out.getvalue()
