"""Receivers for the signals of the apps below (connected in TrackingConfig.ready).

Each receiver is one call: record a milestone, or enqueue a task after commit.
"""

from django.db import transaction

from core import clock
from core.audit import ActorKind
from tracking.models import Event, Milestone
from tracking.services.journey import event_record


def on_delivery_booked(sender, delivery, **kwargs) -> None:
    event_record(delivery=delivery, milestone=Milestone.CREATED, source=Event.Source.SYSTEM,
                 recorded_at=delivery.created_at or clock.now(), client_id=f"booked:{delivery.pk.hex}")
    event_record(delivery=delivery, milestone=Milestone.SCHEDULED, source=Event.Source.SYSTEM,
                 recorded_at=delivery.created_at or clock.now(),
                 client_id=f"scheduled:{delivery.pk.hex}:{delivery.window_id}")


# Who moved a delivery (the audit log's kind of actor), as the journey names them.
RESCHEDULED_BY = {ActorKind.USER: Event.Source.AGENT, ActorKind.CUSTOMER: Event.Source.CUSTOMER}


def on_delivery_rescheduled(sender, delivery, new_window=None, by=None, **kwargs) -> None:
    window_id = new_window.pk if new_window is not None else delivery.window_id
    source = RESCHEDULED_BY.get(by, Event.Source.SYSTEM)
    event_record(delivery=delivery, milestone=Milestone.SCHEDULED, source=source,
                 # Each move books a new job, so moving back to a window the delivery once had is not a replay.
                 recorded_at=clock.now(), client_id=f"scheduled:{delivery.pk.hex}:{window_id}:{delivery.job_id}",
                 note="rescheduled")


def on_delivery_cancelled(sender, delivery, **kwargs) -> None:
    event_record(delivery=delivery, milestone=Milestone.EXCEPTION, reason="cancelled", source=Event.Source.SYSTEM,
                 recorded_at=clock.now(), client_id=f"cancelled:{delivery.pk.hex}")


def on_plan_changed(sender, plan, **kwargs) -> None:
    from tracking import tasks

    transaction.on_commit(lambda: tasks.eta_refresh_plan.delay(plan.pk))
