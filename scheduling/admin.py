from django.contrib import admin

from scheduling.models import BlackoutDate, Delivery, Hold, IdempotencyKey, Window, WindowTemplate


@admin.register(WindowTemplate)
class WindowTemplateAdmin(admin.ModelAdmin):
    list_display = ["merchant", "zone", "label", "start_time", "end_time", "price_amount", "cutoff_days_before", "cutoff_time", "max_stops", "active"]
    list_filter = ["merchant", "label", "active"]


@admin.register(BlackoutDate)
class BlackoutDateAdmin(admin.ModelAdmin):
    list_display = ["merchant", "date", "reason"]


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ["merchant", "zone", "starts_at", "ends_at", "label", "capacity", "booked"]
    list_filter = ["merchant", "label", "date"]
    readonly_fields = ["booked"]


@admin.register(Hold)
class HoldAdmin(admin.ModelAdmin):
    list_display = ["id", "merchant", "window", "status", "expires_at"]
    list_filter = ["status"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["order_ref", "merchant", "status", "window", "recipient_name", "created_at"]
    list_filter = ["merchant", "status"]
    search_fields = ["order_ref", "recipient_name", "recipient_phone", "recipient_email"]
    readonly_fields = ["tracking_token"]
    raw_id_fields = ["window", "job"]


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["merchant", "key", "endpoint", "state", "response_status", "created_at"]
