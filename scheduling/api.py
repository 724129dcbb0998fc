"""The merchant API: windows, holds, deliveries. Thin views: parse, call one service or selector, render."""

from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core import clock, metrics
from core.openapi import error_response
from core.throttle import client_digest
from merchants.auth import MERCHANT_KEY_AUTH, HasAnyMerchantKey, HasSecretKey, SecretKeyAuthentication
from scheduling import selectors, services
from scheduling.cors import MerchantCorsMixin, browser_origin_required
from scheduling.errors import SchedulingError, SchedulingErrorCode
from scheduling.idempotency import idempotent_run
from scheduling.models import Delivery, Hold, Window
from scheduling.serializers import (
    DeliveryInputSerializer,
    DeliveryListQuerySerializer,
    DeliveryOutputSerializer,
    DeliveryPageSerializer,
    HoldInputSerializer,
    HoldOutputSerializer,
    RescheduleInputSerializer,
    WindowListSerializer,
    WindowQuerySerializer,
    brand_payload,
    delivery_cursor,
    delivery_payload,
    delivery_payloads,
    offer_payload,
    window_payload,
)
from scheduling.windows import address_zone, merchant_local_today, window_offers, zone_centre

DELIVERY_NOT_FOUND = error_response("No delivery of yours has this id (`delivery_not_found`).")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description="Unique per order attempt; retries with the same key and body replay the first answer.",
)


def window_for(*, merchant, window_id: int) -> Window:
    window = (
        Window.objects.filter(pk=window_id, merchant=merchant)
        .select_related("template", "zone__depot", "merchant").first()
    )
    if window is None:
        raise SchedulingError(SchedulingErrorCode.WINDOW_NOT_FOUND, "Unknown window.",
                              fields={"window_id": ["Unknown window."]})
    return window


def delivery_for(*, merchant, delivery_id: str) -> Delivery:
    try:
        pk = uuid.UUID(str(delivery_id))
    except ValueError:
        pk = None
    delivery = (
        Delivery.objects.filter(pk=pk, merchant=merchant)
        .select_related("merchant", "window__template", "window__zone__depot", "window__merchant").first()
        if pk else None
    )
    if delivery is None:
        raise SchedulingError(SchedulingErrorCode.DELIVERY_NOT_FOUND, "No such delivery.", status_code=404)
    return delivery


class BrowserApi(MerchantCorsMixin, APIView):
    authentication_classes = MERCHANT_KEY_AUTH
    permission_classes = [HasAnyMerchantKey]


class ServerApi(APIView):
    authentication_classes = [SecretKeyAuthentication]
    permission_classes = [HasSecretKey]


class WindowListApi(BrowserApi):
    cors_methods = "GET, OPTIONS"

    @extend_schema(
        operation_id="windows_list", parameters=[WindowQuerySerializer],
        responses={
            200: WindowListSerializer,
            400: error_response("Invalid input (`invalid_request`), a past date (`invalid_date`), or an address "
                                "no zone serves (`outside_area`)."),
        },
        summary="Delivery windows at an address, each said available or not",
    )
    def get(self, request):
        query = WindowQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        merchant = request.auth.merchant
        now = clock.now()
        today = merchant_local_today(merchant, now)
        start = data.get("date") or today
        if start < today:
            raise SchedulingError(SchedulingErrorCode.INVALID_DATE, "The date is in the past.",
                                  fields={"date": ["Must be today or later."]})
        zone = address_zone(lat=data.get("lat"), lng=data.get("lng"), postcode=data.get("postcode", ""))
        lat, lng = (data["lat"], data["lng"]) if data.get("lat") is not None else zone_centre(zone)
        offers = window_offers(merchant=merchant, zone=zone, lat=lat, lng=lng, start=start, days=data["days"],
                               skills=data["skills"], size=data["size"], now=now)
        return Response({"windows": [offer_payload(o) for o in offers], "brand": brand_payload(merchant)})


class HoldCreateApi(BrowserApi):
    cors_methods = "POST, OPTIONS"

    @extend_schema(
        operation_id="holds_create", request=HoldInputSerializer,
        responses={
            201: HoldOutputSerializer,
            400: error_response("Invalid input, an unknown window (`window_not_found`), or a window this address, "
                                "size or skills cannot have (its refusal reason as the code)."),
            403: error_response("The key may not do this (`permission_denied`): a publishable key from an origin the "
                                "merchant has not registered, or without an Origin header (`origin_not_allowed`)."),
            409: error_response("The window filled up meanwhile (`window_full`)."),
            429: error_response("Too many requests (`rate_limited`), or a publishable key (or one client behind it) "
                                "already holds as many places of this zone and day as it may at once "
                                "(`hold_limit`); retry after `Retry-After` seconds, or book a held window."),
        },
        summary="Hold a window for a few minutes while the shopper checks out",
    )
    def post(self, request):
        browser_origin_required(request)
        payload = HoldInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        merchant = request.auth.merchant
        window = window_for(merchant=merchant, window_id=data["window_id"])
        hold = services.hold_create(merchant=merchant, window=window, lat=data["lat"], lng=data["lng"],
                                    size=data["size"], skills=data["skills"], api_key=request.auth,
                                    client=client_digest(request))
        return Response(
            {"id": str(hold.pk), "expires_at": hold.expires_at.isoformat(), "window": window_payload(window)},
            status=status.HTTP_201_CREATED,
        )


@metrics.counts_bookings  # the window or hold not found is a refusal too, not only what delivery_book refuses
def _book(*, merchant, data: dict) -> tuple[int, dict]:
    """Resolve the window or hold and book; returns (status, body) for the idempotency store."""
    hold = window = None
    if data.get("hold_id"):
        hold = Hold.objects.filter(pk=data["hold_id"], merchant=merchant).select_related(
            "window__template", "window__zone__depot", "window__merchant").first()
        if hold is None:
            raise SchedulingError(SchedulingErrorCode.HOLD_NOT_FOUND, "Unknown hold.",
                                  fields={"hold_id": ["Unknown hold."]})
    else:
        window = window_for(merchant=merchant, window_id=data["window_id"])
    recipient, address = data["recipient"], data["address"]
    preferences = dict(data.get("preferences") or {})
    extra = preferences.pop("extra", {})
    delivery = services.delivery_book(
        merchant=merchant, order_ref=data["order_ref"], window=window, hold=hold,
        recipient_name=recipient["name"], recipient_phone=recipient["phone"], recipient_email=recipient["email"],
        language=recipient.get("language", ""),
        address_line1=address["line1"], address_city=address["city"], address_postcode=address["postcode"],
        lat=address["lat"], lng=address["lng"], access_notes=data["access_notes"],
        safe_drop=preferences.get("safe_drop", False), leave_with_neighbour=preferences.get("leave_with_neighbour", False),
        preferences=extra, size=data["size"], skills=data["skills"],
    )
    return status.HTTP_201_CREATED, delivery_payload(delivery)


def delivery_create_idempotent(*, api_key, idempotency_key: str, body) -> tuple[int, dict, bool]:
    """Validate a booking body and book it once per idempotency key: (status, body, replayed).

    Shared by the API and the demo checkout's server-side booking.
    """
    merchant = api_key.merchant
    # The merchant's country reads the recipient's phone as people write it ("06 12 34 56 78").
    payload = DeliveryInputSerializer(data=body, context={"merchant": merchant})
    payload.is_valid(raise_exception=True)
    result = idempotent_run(
        merchant=merchant, api_key=api_key, key=idempotency_key, endpoint="deliveries.create", body=body,
        operation=lambda: _book(merchant=merchant, data=payload.validated_data),
    )
    return result.status, result.body, result.replayed


def _page_link(request, cursor: str) -> str:
    """This list's URL with its filters kept and the cursor of the page after."""
    query = request.query_params.copy()
    query.setlist("cursor", [cursor])
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


class DeliveriesApi(ServerApi):
    @extend_schema(
        operation_id="deliveries_list", parameters=[DeliveryListQuerySerializer],
        responses={
            200: DeliveryPageSerializer,
            400: error_response("A filter is invalid (`invalid_request`: an unknown status lists the known ones), "
                                "or the cursor is not one we gave out."),
        },
        summary="Your deliveries, newest booking first, filtered and a page at a time",
    )
    def get(self, request):
        query = DeliveryListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        page = selectors.delivery_list(
            merchant=request.auth.merchant, statuses=data.get("status", ()), window_from=data.get("window_from"),
            window_to=data.get("window_to"), order_ref=data.get("order_ref"), updated_since=data.get("updated_since"),
            after=data.get("cursor"), limit=data["limit"],
        )
        next_link = _page_link(request, delivery_cursor(page.next_after)) if page.next_after is not None else None
        return Response({"results": delivery_payloads(page.deliveries), "next": next_link})

    @extend_schema(
        operation_id="deliveries_create", request=DeliveryInputSerializer, parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: DeliveryOutputSerializer,
            400: error_response("Invalid input, no Idempotency-Key (`idempotency_key_missing`), an unknown window "
                                "or hold, or a window this address, size or skills cannot have."),
            409: error_response("The window is full (`window_full`, with `alternatives`), the order already has a "
                                "delivery (`duplicate_order_ref`), or a request with this Idempotency-Key is still "
                                "running (`idempotency_request_in_progress`)."),
            422: error_response("This Idempotency-Key was used with another body (`idempotency_key_reused`)."),
        },
        summary="Book a delivery (idempotent)",
    )
    def post(self, request):
        code, body, replayed = delivery_create_idempotent(
            api_key=request.auth, idempotency_key=request.headers.get("Idempotency-Key", "").strip(),
            body=request.data,
        )
        response = Response(body, status=code)
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class DeliveryDetailApi(ServerApi):
    @extend_schema(operation_id="deliveries_retrieve",
                   responses={200: DeliveryOutputSerializer, 404: DELIVERY_NOT_FOUND})
    def get(self, request, delivery_id: str):
        return Response(delivery_payload(delivery_for(merchant=request.auth.merchant, delivery_id=delivery_id)))


class DeliveryRescheduleApi(ServerApi):
    @extend_schema(
        operation_id="deliveries_reschedule", request=RescheduleInputSerializer,
        responses={
            200: DeliveryOutputSerializer,
            400: error_response("Invalid input, an unknown window (`window_not_found`), the delivery's own window, "
                                "or a window its address, size or skills cannot have."),
            404: DELIVERY_NOT_FOUND,
            409: error_response("The window is full (`window_full`), or the delivery can no longer move "
                                "(`not_reschedulable`, `reschedule_closed`)."),
        },
    )
    def post(self, request, delivery_id: str):
        delivery = delivery_for(merchant=request.auth.merchant, delivery_id=delivery_id)
        payload = RescheduleInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        window = window_for(merchant=request.auth.merchant, window_id=payload.validated_data["window_id"])
        delivery = services.delivery_reschedule(delivery=delivery, window=window)
        return Response(delivery_payload(delivery))


class DeliveryCancelApi(ServerApi):
    @extend_schema(operation_id="deliveries_cancel", request=None,
                   responses={200: DeliveryOutputSerializer, 404: DELIVERY_NOT_FOUND,
                              409: error_response("The delivery can no longer be cancelled (`not_cancellable`).")})
    def post(self, request, delivery_id: str):
        delivery = delivery_for(merchant=request.auth.merchant, delivery_id=delivery_id)
        delivery = services.delivery_cancel(delivery=delivery)
        return Response(delivery_payload(delivery))


class PingApi(APIView):
    """A trivial endpoint: the baseline the checkout benchmark compares against."""

    authentication_classes: list = []
    permission_classes: list = []

    @extend_schema(operation_id="scheduling_ping", responses={200: inline_serializer("Pong", {"ok": serializers.BooleanField()})})
    def get(self, request):
        return Response({"ok": True})
