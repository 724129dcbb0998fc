"""Background work of the tracking app: fresh ETAs when a plan changes."""

from celery import shared_task

from dispatch.models import Plan
from tracking import services


@shared_task(name="tracking.tasks.eta_refresh_plan")
def eta_refresh_plan(plan_id: int) -> int:
    """Recompute and publish the ETAs of every route of a plan; returns how many snapshots were stored."""
    plan = Plan.objects.filter(pk=plan_id, status=Plan.Status.ACTIVE).first()
    if plan is None:
        return 0
    return services.eta_refresh_plan(plan=plan)
