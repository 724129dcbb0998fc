"""Care's periodic work: the playbooks' minute (care.playbooks.checks.playbooks_sweep) and the KPIs of the days
that are over (care.kpi_days.kpi_days_refresh)."""

from celery import shared_task

from care.kpi_days import kpi_days_refresh as refresh
from care.playbooks.checks import playbooks_sweep as sweep
from core import clock


@shared_task(name="care.tasks.playbooks_sweep")
def playbooks_sweep() -> None:
    # The project clock: the demo's fleet runs a virtual day, and its cut-offs and timers are in that time.
    sweep(now=clock.now())


@shared_task(name="care.tasks.kpi_days_refresh")
def kpi_days_refresh() -> int:
    # The project clock too: the demo's "yesterday" is its virtual one.
    return refresh(now=clock.now())
