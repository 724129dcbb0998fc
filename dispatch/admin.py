from django.contrib import admin

from dispatch.models import (
    Depot,
    Disruption,
    DisruptionFeed,
    Driver,
    Job,
    Plan,
    Route,
    Shift,
    Stop,
    Vehicle,
    Zone,
)


@admin.register(Depot)
class DepotAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "lat", "lng", "time_zone"]


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "depot", "speed_factor", "learned_service_seconds"]
    list_filter = ["depot"]


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "depot", "capacity_parcels", "capacity_weight_kg", "is_electric", "range_km", "status"]
    list_filter = ["depot", "status", "is_electric"]


@admin.register(Driver)
class DriverAdmin(admin.ModelAdmin):
    list_display = ["first_name", "last_name", "phone", "active"]
    exclude = ["device_key_digest"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["date", "vehicle", "driver", "depot", "starts_at", "ends_at"]
    list_filter = ["date", "depot"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "reference", "depot", "zone", "date", "window_start", "window_end", "status"]
    list_filter = ["status", "depot", "date"]
    search_fields = ["reference"]


class StopInline(admin.TabularInline):
    model = Stop
    extra = 0
    raw_id_fields = ["job"]


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["plan", "vehicle", "starts_at", "ends_at", "distance_m"]
    inlines = [StopInline]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["depot", "date", "version", "status", "trigger", "distance_m", "solve_seconds", "created_at"]
    list_filter = ["status", "depot", "date"]


@admin.register(Disruption)
class DisruptionAdmin(admin.ModelAdmin):
    """Read-only here: setting, changing and ending a disruption re-plans, which the console and the API do."""

    list_display = ["zone", "starts_at", "ends_at", "speed_factor", "reason", "source", "feed"]
    list_filter = ["source", "zone__depot"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DisruptionFeed)
class DisruptionFeedAdmin(admin.ModelAdmin):
    """Feeds are created with `manage.py disruption_feed_create`, which prints the key once; here they are
    switched off or tied to a depot."""

    list_display = ["code", "name", "depot", "active"]
    fields = ["code", "name", "depot", "active"]

    def has_add_permission(self, request):
        return False
