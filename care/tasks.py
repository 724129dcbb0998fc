"""Care's periodic work: the playbooks' minute (see care.playbooks.checks.playbooks_sweep)."""

from celery import shared_task

from care.playbooks.checks import playbooks_sweep as sweep
from core import clock


@shared_task(name="care.tasks.playbooks_sweep")
def playbooks_sweep() -> None:
    # The project clock: the demo's fleet runs a virtual day, and its cut-offs and timers are in that time.
    sweep(now=clock.now())
