from django.contrib import admin, messages

from merchants.models import AllowedOrigin, ApiKey, Merchant, PlatformRole, StaffMembership, WebhookEndpoint
from merchants.services import api_key_create, api_key_revoke


class AllowedOriginInline(admin.TabularInline):
    model = AllowedOrigin
    extra = 1


class WebhookInline(admin.TabularInline):
    model = WebhookEndpoint
    extra = 0
    fields = ["url", "description", "events", "active", "failing_since", "disabled_at"]
    readonly_fields = ["failing_since", "disabled_at"]  # health is the sender's; the secret is the merchant's


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "brand_name", "time_zone", "currency"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AllowedOriginInline, WebhookInline]
    actions = ["issue_secret_key", "issue_publishable_key"]

    def _issue(self, request, queryset, kind):
        for merchant in queryset:
            _, raw = api_key_create(merchant=merchant, kind=kind, name="admin")
            self.message_user(request, f"{merchant}: new {kind} key {raw} — copy it now, it is not shown again.", messages.WARNING)

    @admin.action(description="Issue a secret key (sk_)")
    def issue_secret_key(self, request, queryset):
        self._issue(request, queryset, ApiKey.Kind.SECRET)

    @admin.action(description="Issue a publishable key (pk_)")
    def issue_publishable_key(self, request, queryset):
        self._issue(request, queryset, ApiKey.Kind.PUBLISHABLE)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "merchant", "kind", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["kind", "merchant"]
    readonly_fields = ["merchant", "kind", "prefix", "digest", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are issued from the merchant page so the plain key can be shown once

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            api_key_revoke(key=key)


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "merchant", "role"]
    list_filter = ["role", "merchant"]


@admin.register(PlatformRole)
class PlatformRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role"]
    list_filter = ["role"]
