from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = "Merchants"

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from merchants import schema  # noqa: F401  (registers the OpenAPI auth schemes)
        from merchants.models import AllowedOrigin, ApiKey, Merchant, StaffMembership, WebhookEndpoint

        # The audit log (core.audit): what a change of these looked like. A key's digest and a webhook's
        # secrets never reach it; a secret's rotation reads as "changed", without values.
        auditlog.register(Merchant, exclude_fields=["created_at"])
        auditlog.register(ApiKey, exclude_fields=["digest", "public_value", "last_used_at", "created_at"])
        auditlog.register(AllowedOrigin)
        auditlog.register(WebhookEndpoint, exclude_fields=["failing_since", "created_at"],
                          mask_fields=["secret", "previous_secret"])
        auditlog.register(StaffMembership)
