from django.contrib import admin

from tracking.models import (
    Carrier,
    CarrierCodeMapping,
    EtaSnapshot,
    Event,
    Ping,
    ProofOfDelivery,
    Rating,
    RawCarrierEvent,
)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["delivery", "milestone", "reason", "source", "recorded_at", "received_at"]
    list_filter = ["milestone", "source"]
    raw_id_fields = ["delivery", "raw"]


class MappingInline(admin.TabularInline):
    model = CarrierCodeMapping
    extra = 1


@admin.register(Carrier)
class CarrierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "format", "active"]
    exclude = ["secret_digest"]
    inlines = [MappingInline]


@admin.register(RawCarrierEvent)
class RawCarrierEventAdmin(admin.ModelAdmin):
    list_display = ["carrier", "external_id", "external_code", "mapped", "problem", "received_at"]
    list_filter = ["carrier", "mapped"]


@admin.register(Ping)
class PingAdmin(admin.ModelAdmin):
    list_display = ["vehicle", "recorded_at", "lat", "lng", "speed_mps", "accuracy_m", "flagged"]
    list_filter = ["vehicle"]


@admin.register(EtaSnapshot)
class EtaSnapshotAdmin(admin.ModelAdmin):
    list_display = ["delivery", "computed_at", "eta", "band_start", "band_end", "stops_away"]


@admin.register(ProofOfDelivery)
class ProofAdmin(admin.ModelAdmin):
    list_display = ["delivery", "recipient_name", "captured_at"]


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["delivery", "stars", "created_at"]
