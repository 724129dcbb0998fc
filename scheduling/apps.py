from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from core.audit import audit_register
        from scheduling.models import Delivery

        # The audit log (core.audit) is append-only, so it must not keep what a customer may have erased or
        # what least-disclosure hides: who and where the customer is and how to get in are masked (a change
        # reads as "changed"); the tracking token is a key and never logged; timestamps are noise. The drop
        # choice itself is logged; where a parcel is left unattended and who the neighbour is are not.
        audit_register(
            Delivery,
            exclude=("tracking_token", "created_at", "updated_at"),
            mask=("recipient_name", "recipient_phone", "recipient_email", "address_line1", "address_postcode",
                  "address_city", "lat", "lng", "access_notes", "preferences", "safe_place", "neighbour_name",
                  "neighbour_door"),
        )
