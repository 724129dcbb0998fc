"""The KPIs of days that are over, stored once so the KPI page does not aggregate a month of journeys per visit.

1. `kpi_days_refresh` (every few minutes, by Celery beat) stores each closed day not stored yet, and stores the
   last `KPI_SETTLE_DAYS` closed days again, so late news (a carrier's event that arrives tomorrow) lands.
2. Storing a day writes its cells (care.kpi_cells: one row per merchant and zone, every figure additive) and marks
   the day stored (`KpiStoredDay`), in one transaction under that mark's row lock.
3. A change to a stored day's journeys (a milestone, a reschedule, a cancellation, a re-plan) deletes the mark
   after it commits (`kpi_days_forget`): the day is computed live again until the next refresh.
4. The page (`cells`) sums the stored cells of the stored days in its scope and computes the others (today, and
   any day not stored yet) with the same queries, so its figures do not depend on what is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.conf import settings
from django.db import transaction
from django.db.models import Min, Q

from care.kpi_cells import MEASURES, KpiScope, Measure, analytics_queries, fleet_time_zone
from care.models import KpiDay, KpiStoredDay
from core import clock
from dispatch.models import Plan
from scheduling.models import Delivery, Window

# Days stored per transaction: a chunk's queries read a month of journeys at most.
CHUNK_DAYS = 31
# Older days not stored yet, per refresh: a first refresh on years of history catches up over a few runs.
BACKFILL_DAYS_PER_RUN = 186


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs: [1, 2, 3, 7] → (1, 3), (7, 7)."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(first, last) for first, last in runs]


def _stored_q(scope: KpiScope) -> Q:
    """The stored cells of these merchants (every merchant's, and no merchant's, when None) and zone."""
    q = Q() if scope.merchant_ids is None else Q(merchant_id__in=sorted(scope.merchant_ids))
    return q & Q(zone_id=scope.zone_id) if scope.zone_id is not None else q


def cells(measure: Measure, scope: KpiScope, *, today: dt.date | None = None) -> list[tuple]:
    """The measure's cells over the scope: stored days read from their rows, every other day computed."""
    today = today or clock.now().astimezone(scope.tz).date()
    stored = set(KpiStoredDay.objects.filter(day__range=(scope.first, min(scope.last, today - dt.timedelta(days=1))))
                 .values_list("day", flat=True))
    found = []
    if stored:
        found += [tuple(row) for row in KpiDay.objects.filter(_stored_q(scope), day__in=sorted(stored))
                  .values_list("day", "merchant_id", "zone_id", *measure.fields)]
    for first, last in _runs([day for day in scope.days if day not in stored]):
        found += measure.live(replace(scope, first=first, last=last))
    return found


def kpi_days_store(*, first: dt.date, last: dt.date, now: dt.datetime) -> int:
    """Store the days `first`..`last` that are over (before today in the fleet's time zone); how many were stored."""
    last = min(last, now.astimezone(fleet_time_zone()).date() - dt.timedelta(days=1))
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    for run_first in days[::CHUNK_DAYS]:
        _store(KpiScope(first=run_first, last=min(last, run_first + dt.timedelta(days=CHUNK_DAYS - 1))), now)
    return len(days)


def _store(scope: KpiScope, now: dt.datetime) -> None:
    days = scope.days
    with transaction.atomic():
        # The marks first, locked in day order: two refreshes of the same days take turns, and a forget that
        # comes while this one computes waits for it, then deletes the mark it wrote (the day goes live again).
        KpiStoredDay.objects.bulk_create([KpiStoredDay(day=day, stored_at=now) for day in days],
                                         ignore_conflicts=True)
        list(KpiStoredDay.objects.select_for_update().filter(day__in=days).order_by("day").values_list("pk"))
        rows: dict[tuple, KpiDay] = {}
        with analytics_queries():
            for measure in MEASURES:
                for day, merchant_id, zone_id, *figures in measure.live(scope):
                    row = rows.setdefault((day, merchant_id, zone_id),
                                          KpiDay(day=day, merchant_id=merchant_id, zone_id=zone_id))
                    for name, value in zip(measure.fields, figures, strict=True):
                        setattr(row, name, value)
        KpiDay.objects.filter(day__in=days).delete()
        KpiDay.objects.bulk_create(rows.values(), batch_size=1000)
        KpiStoredDay.objects.filter(day__in=days).update(stored_at=now)


def kpi_days_refresh(*, now: dt.datetime) -> int:
    """Store every closed day not stored yet (the newest first, at most BACKFILL_DAYS_PER_RUN of them) and the
    last KPI_SETTLE_DAYS closed days again; how many days were stored."""
    yesterday = now.astimezone(fleet_time_zone()).date() - dt.timedelta(days=1)
    earliest = [d for d in (Window.objects.aggregate(d=Min("date"))["d"], Plan.objects.aggregate(d=Min("date"))["d"])
                if d is not None]
    if not earliest or min(earliest) > yesterday:
        return 0
    first = min(earliest)
    stored = set(KpiStoredDay.objects.filter(day__range=(first, yesterday)).values_list("day", flat=True))
    every = [first + dt.timedelta(days=i) for i in range((yesterday - first).days + 1)]
    settling = set(every[-settings.KPI_SETTLE_DAYS:]) if settings.KPI_SETTLE_DAYS else set()
    missing = sorted((day for day in every if day not in stored and day not in settling), reverse=True)
    todo = sorted(settling | set(missing[:BACKFILL_DAYS_PER_RUN]))
    for run_first, run_last in _runs(todo):
        kpi_days_store(first=run_first, last=run_last, now=now)
    return len(todo)


def kpi_days_forget(*, days) -> None:
    """These days' journeys changed: compute them live until the next refresh stores them again."""
    days = {day for day in days if day is not None}
    if days:
        KpiStoredDay.objects.filter(day__in=sorted(days)).delete()


def kpi_days_forget_for_delivery(*, delivery_id) -> None:
    """A delivery's journey changed: forget its promised day and its job's plan day."""
    found = Delivery.objects.filter(pk=delivery_id).values_list("window__date", "job__date").first()
    if found is not None:
        kpi_days_forget(days=found)
