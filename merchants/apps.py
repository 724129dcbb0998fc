from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "merchants"
    verbose_name = "Merchants"

    def ready(self) -> None:
        from core.audit import audit_register
        from merchants import schema  # noqa: F401  (registers the OpenAPI auth schemes)
        from merchants.models import (
            AllowedOrigin,
            ApiKey,
            Merchant,
            PlatformRole,
            StaffMembership,
            WebhookEndpoint,
        )

        # The audit log (core.audit): what a change of these looked like. A key's digest and a webhook's
        # secrets never reach it; a secret's rotation reads as "changed", without values.
        audit_register(Merchant, exclude=("created_at",))
        audit_register(ApiKey, exclude=("digest", "public_value", "last_used_at", "created_at"))
        audit_register(AllowedOrigin)
        audit_register(WebhookEndpoint, exclude=("failing_since", "created_at"), mask=("secret", "previous_secret"))
        audit_register(StaffMembership)
        audit_register(PlatformRole)
