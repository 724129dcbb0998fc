from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "Tracking"

    def ready(self) -> None:
        from dispatch.signals import plan_changed
        from scheduling import signals as scheduling_signals
        from tracking import receivers

        scheduling_signals.delivery_booked.connect(receivers.on_delivery_booked, dispatch_uid="tracking.booked")
        scheduling_signals.delivery_rescheduled.connect(
            receivers.on_delivery_rescheduled, dispatch_uid="tracking.rescheduled")
        scheduling_signals.delivery_cancelled.connect(receivers.on_delivery_cancelled, dispatch_uid="tracking.cancelled")
        plan_changed.connect(receivers.on_plan_changed, dispatch_uid="tracking.plan_changed")
