"""Receivers for the journey's signals (connected in NotificationsConfig.ready): one service call each.

Each names its event once, so a signal delivered twice queues nothing new: a booking is
booked once, a reschedule is one move (its window and the job booked for it), a milestone
is its event row. The ETA warnings and the reminders name theirs in `eta_alerts` and `reminders`.
"""

from django.db import transaction

from core import clock
from notifications.eta_alerts import disruption_warnings_send, etas_notify
from notifications.models import Trigger
from notifications.reminders import reminder_drop, reminder_schedule
from notifications.services import delivery_notify
from notifications.webhooks import delivery_event_emit
from scheduling.models import Window
from scheduling.serializers import window_payload
from tracking.models import Milestone, ProofOfDelivery

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


def on_plan_changed(sender, plan, **kwargs) -> None:
    disruption_warnings_send(plan=plan, now=clock.now())


def on_delivery_window_set(sender, delivery, **kwargs) -> None:
    """Booked or rescheduled: the day-before reminder follows the window."""
    reminder_schedule(delivery=delivery)


def on_delivery_cancelled_drop_reminder(sender, delivery, **kwargs) -> None:
    reminder_drop(delivery=delivery)


# --- Merchant webhooks: the same events, to the merchant's systems (separate receivers: a customer message
# that fails to queue never stops the merchant's event, nor the other way round).

def webhook_on_delivery_booked(sender, delivery, **kwargs) -> None:
    delivery_event_emit(delivery=delivery, event_type="delivery.booked", event_key=f"booked:{delivery.pk.hex}")


def webhook_on_delivery_rescheduled(sender, delivery, old_window=None, new_window=None, **kwargs) -> None:
    window_id = new_window.pk if new_window is not None else delivery.window_id
    extra = {}
    if old_window is not None:
        extra["previous_window"] = window_payload(Window.objects.select_related("merchant").get(pk=old_window.pk))
    delivery_event_emit(delivery=delivery, event_type="delivery.rescheduled", extra=extra,
                        event_key=f"rescheduled:{delivery.pk.hex}:{window_id}:{delivery.job_id}")


def webhook_on_delivery_cancelled(sender, delivery, **kwargs) -> None:
    delivery_event_emit(delivery=delivery, event_type="delivery.cancelled", event_key=f"cancelled:{delivery.pk.hex}")


def _milestone_data(event) -> dict:
    # Times in the merchant's zone, as the delivery's own payload gives them.
    at = event.recorded_at.astimezone(event.delivery.merchant.zone_info)
    return {"milestone": {"code": event.milestone, "label": Milestone(event.milestone).label,
                          "at": at.isoformat(), "source": event.source,
                          "reason": event.reason or None}}


def _proof_data(delivery_id) -> dict | None:
    proof = ProofOfDelivery.objects.filter(delivery_id=delivery_id).select_related("delivery__merchant").first()
    if proof is None:
        return None
    captured_at = proof.captured_at.astimezone(proof.delivery.merchant.zone_info)
    return {"recipient_name": proof.recipient_name, "captured_at": captured_at.isoformat(),
            "photo": bool(proof.photo), "signature": bool(proof.signature)}


def webhook_on_milestone_recorded(sender, event, **kwargs) -> None:
    """Every milestone is a `delivery.milestone`; delivered and attempted are also the outcome events."""
    data = _milestone_data(event)
    delivery_event_emit(delivery=event.delivery, event_type="delivery.milestone", extra=data,
                        event_key=f"milestone:{event.pk}")
    if event.milestone == Milestone.DELIVERED:
        # The proof is saved after the milestone, in the same transaction: read it once that has committed.
        transaction.on_commit(lambda: delivery_event_emit(
            delivery=event.delivery, event_type="delivery.delivered",
            extra={**data, "proof": _proof_data(event.delivery_id)}, event_key=f"delivered:{event.pk}"), robust=True)
    elif event.milestone == Milestone.ATTEMPTED:
        delivery_event_emit(delivery=event.delivery, event_type="delivery.failed", extra=data,
                            event_key=f"failed:{event.pk}")
