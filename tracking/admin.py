from django import forms
from django.contrib import admin, messages

from tracking.errors import TrackingError
from tracking.models import (
    Carrier,
    CarrierAssignment,
    CarrierCodeMapping,
    EtaSnapshot,
    Event,
    Ping,
    ProofOfDelivery,
    Rating,
    RawCarrierEvent,
)
from tracking.services.carrier_assignments import (
    HANDOVER_CLOSED,
    delivery_carrier_assign,
    delivery_carrier_refusal,
    delivery_carrier_release,
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
    list_display = ["carrier", "external_id", "external_code", "status", "reason", "delivery", "received_at"]
    list_filter = ["status", "reason", "carrier"]
    search_fields = ["external_id", "reference"]
    raw_id_fields = ["delivery"]
    # What a carrier sent is evidence: it is read here, never edited.
    readonly_fields = ["carrier", "delivery", "external_id", "external_code", "reference", "payload", "received_at",
                       "status", "reason", "problem"]


class CarrierAssignmentForm(forms.ModelForm):
    class Meta:
        model = CarrierAssignment
        fields = ["delivery", "carrier", "external_ref"]

    def clean(self):
        cleaned = super().clean()
        delivery, carrier = cleaned.get("delivery"), cleaned.get("carrier")
        if delivery is not None and carrier is not None:
            # Picking another carrier here is the admin's explicit choice, so it replaces the current one.
            refusal = delivery_carrier_refusal(delivery=delivery, carrier=carrier, replace=True)
            if refusal is not None:
                raise forms.ValidationError(refusal.message)
        return cleaned


@admin.register(CarrierAssignment)
class CarrierAssignmentAdmin(admin.ModelAdmin):
    """Hand a delivery to a carrier or take it back, through the same rules as the merchant API."""

    form = CarrierAssignmentForm
    list_display = ["delivery", "carrier", "external_ref", "handed_over_at", "handed_over_by"]
    list_filter = ["carrier"]
    search_fields = ["delivery__order_ref", "external_ref"]
    raw_id_fields = ["delivery"]
    readonly_fields = ["handed_over_at", "handed_over_by"]

    def get_readonly_fields(self, request, obj=None):
        # The parcel of a hand-over is fixed once made: hand another parcel over in a row of its own.
        return [*self.readonly_fields, "delivery"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        assignment = delivery_carrier_assign(
            delivery=obj.delivery, carrier=obj.carrier, external_ref=obj.external_ref,
            actor_label=f"admin:{request.user.get_username()}", replace=True,
        )
        obj.pk, obj.handed_over_at, obj.handed_over_by = assignment.pk, assignment.handed_over_at, assignment.handed_over_by

    def has_delete_permission(self, request, obj=None):
        # A delivered or cancelled parcel keeps the carrier that carried it.
        if obj is not None and obj.delivery.status in HANDOVER_CLOSED:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        delivery_carrier_release(delivery=obj.delivery, actor_label=f"admin:{request.user.get_username()}")

    def delete_queryset(self, request, queryset):
        for assignment in queryset.select_related("delivery"):
            try:
                self.delete_model(request, assignment)
            except TrackingError as error:
                self.message_user(request, f"{assignment}: {error.message}", level=messages.ERROR)


@admin.register(Ping)
class PingAdmin(admin.ModelAdmin):
    list_display = ["vehicle", "recorded_at", "lat", "lng", "speed_mps", "accuracy_m", "flagged"]
    list_filter = ["vehicle"]


@admin.register(EtaSnapshot)
class EtaSnapshotAdmin(admin.ModelAdmin):
    list_display = ["delivery", "computed_at", "eta", "band_start", "band_end", "stops_away"]


@admin.register(ProofOfDelivery)
class ProofAdmin(admin.ModelAdmin):
    """Evidence, read only. Its files are private (no URL): the care journey shows them to the right staff."""

    list_display = ["delivery", "recipient_name", "captured_at"]
    fields = readonly_fields = ["delivery", "recipient_name", "captured_at", "lat", "lng", "photo_kept",
                                "signature_kept"]

    @admin.display(description="photo")
    def photo_kept(self, proof: ProofOfDelivery) -> str:
        return "kept (shown in the care journey)" if proof.photo else "none"

    @admin.display(description="signature")
    def signature_kept(self, proof: ProofOfDelivery) -> str:
        return "kept (shown in the care journey)" if proof.signature else "none"


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["delivery", "stars", "created_at"]
