from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    verbose_name = "Tracking"

    def ready(self) -> None:
        from dispatch.signals import plan_changed
        from scheduling import signals as scheduling_signals
        from scheduling.serializers import delivery_payload_part_register
        from tracking import receivers
        from tracking.carrier_selectors import delivery_carrier_payloads

        scheduling_signals.delivery_booked.connect(receivers.on_delivery_booked, dispatch_uid="tracking.booked")
        scheduling_signals.delivery_rescheduled.connect(
            receivers.on_delivery_rescheduled, dispatch_uid="tracking.rescheduled")
        scheduling_signals.delivery_cancelled.connect(receivers.on_delivery_cancelled, dispatch_uid="tracking.cancelled")
        plan_changed.connect(receivers.on_plan_changed, dispatch_uid="tracking.plan_changed")
        # A merchant sees who carries each delivery, in the API and in webhooks alike.
        delivery_payload_part_register(name="tracking.carrier", part=delivery_carrier_payloads)
