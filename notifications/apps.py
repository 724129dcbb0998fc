from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from dispatch.signals import plan_changed
        from notifications import receivers
        from scheduling import signals as scheduling_signals
        from tracking.signals import etas_updated, milestone_recorded

        scheduling_signals.delivery_booked.connect(receivers.on_delivery_booked, dispatch_uid="notifications.booked")
        scheduling_signals.delivery_rescheduled.connect(
            receivers.on_delivery_rescheduled, dispatch_uid="notifications.rescheduled")
        scheduling_signals.delivery_cancelled.connect(
            receivers.on_delivery_cancelled, dispatch_uid="notifications.cancelled")
        milestone_recorded.connect(receivers.on_milestone_recorded, dispatch_uid="notifications.milestone")
        etas_updated.connect(receivers.on_etas_updated, dispatch_uid="notifications.etas_updated")
        plan_changed.connect(receivers.on_plan_changed, dispatch_uid="notifications.plan_changed")
        scheduling_signals.delivery_booked.connect(
            receivers.webhook_on_delivery_booked, dispatch_uid="notifications.webhook_booked")
        scheduling_signals.delivery_rescheduled.connect(
            receivers.webhook_on_delivery_rescheduled, dispatch_uid="notifications.webhook_rescheduled")
        scheduling_signals.delivery_cancelled.connect(
            receivers.webhook_on_delivery_cancelled, dispatch_uid="notifications.webhook_cancelled")
        milestone_recorded.connect(receivers.webhook_on_milestone_recorded, dispatch_uid="notifications.webhook_milestone")
        scheduling_signals.delivery_booked.connect(
            receivers.on_delivery_window_set, dispatch_uid="notifications.reminder_booked")
        scheduling_signals.delivery_rescheduled.connect(
            receivers.on_delivery_window_set, dispatch_uid="notifications.reminder_rescheduled")
        scheduling_signals.delivery_cancelled.connect(
            receivers.on_delivery_cancelled_drop_reminder, dispatch_uid="notifications.reminder_cancelled")
