"""Receivers for the journey's signals (connected in NotificationsConfig.ready): one service call each.

Each names its event once, so a signal delivered twice queues nothing new: a booking is
booked once, a reschedule is one move (its window and the job booked for it), a milestone
is its event row. The ETA warnings and the reminders name theirs in `eta_alerts` and `reminders`.
"""

from core import clock
from notifications.eta_alerts import etas_notify
from notifications.models import Trigger
from notifications.reminders import reminder_drop, reminder_schedule
from notifications.services import delivery_notify
from tracking.models import Milestone

MILESTONE_TRIGGERS = {
    Milestone.OUT_FOR_DELIVERY: Trigger.OUT_FOR_DELIVERY,
    Milestone.DELIVERED: Trigger.DELIVERED,
    Milestone.ATTEMPTED: Trigger.ATTEMPTED,
}


def on_delivery_booked(sender, delivery, **kwargs) -> None:
    delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key=f"booked:{delivery.pk.hex}")


def on_delivery_rescheduled(sender, delivery, new_window=None, **kwargs) -> None:
    window_id = new_window.pk if new_window is not None else delivery.window_id
    delivery_notify(delivery=delivery, trigger=Trigger.RESCHEDULED,
                    event_key=f"rescheduled:{delivery.pk.hex}:{window_id}:{delivery.job_id}")


def on_delivery_cancelled(sender, delivery, **kwargs) -> None:
    delivery_notify(delivery=delivery, trigger=Trigger.CANCELLED, event_key=f"cancelled:{delivery.pk.hex}")


def on_milestone_recorded(sender, event, **kwargs) -> None:
    trigger = MILESTONE_TRIGGERS.get(event.milestone)
    if trigger is not None:
        delivery_notify(delivery=event.delivery, trigger=trigger, event_key=f"{trigger}:{event.delivery_id.hex}:{event.pk}")


def on_etas_updated(sender, snapshot_ids, now=None, **kwargs) -> None:
    etas_notify(snapshot_ids=snapshot_ids, now=now or clock.now())


def on_delivery_window_set(sender, delivery, **kwargs) -> None:
    """Booked or rescheduled: the day-before reminder follows the window."""
    reminder_schedule(delivery=delivery)


def on_delivery_cancelled_drop_reminder(sender, delivery, **kwargs) -> None:
    reminder_drop(delivery=delivery)
