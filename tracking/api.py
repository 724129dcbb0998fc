"""The driver and carrier API: GPS pings, scans, carrier event feeds, and handing a delivery to a carrier."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core import clock
from core.errors import error_body
from core.openapi import error_response
from scheduling.api import DELIVERY_NOT_FOUND, ServerApi, delivery_for
from scheduling.models import DropChoice
from scheduling.serializers import DeliveryOutputSerializer, delivery_payload
from tracking import services
from tracking.auth import CarrierSecretAuthentication, DriverDeviceAuthentication, IsCarrier, IsDriverDevice
from tracking.driver_route import driver_route_today
from tracking.errors import TrackingError, TrackingErrorCode
from tracking.plausibility import FlagReason
from tracking.services.carriers import Outcome
from tracking.services.vehicles import vehicle_ensure_reporting


class PingPointSerializer(serializers.Serializer):
    client_id = serializers.CharField(max_length=80, help_text="The device's id for this point; replays are ignored.")
    vehicle = serializers.SlugField(help_text="Vehicle code.")
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    speed = serializers.FloatField(min_value=0, required=False, allow_null=True, help_text="Metres per second.")
    heading = serializers.FloatField(min_value=0, max_value=360, required=False, allow_null=True)
    accuracy = serializers.FloatField(min_value=0, required=False, allow_null=True, help_text="Metres.")
    recorded_at = serializers.DateTimeField()


class PingFlaggedSerializer(serializers.Serializer):
    client_id = serializers.CharField()
    reason = serializers.CharField(help_text="poor_accuracy, impossible_speed, impossible_jump or clock_ahead")


class ScanEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    delivery = serializers.UUIDField(source="delivery_id")
    milestone = serializers.CharField()
    reason = serializers.CharField()
    recorded_at = serializers.DateTimeField()


class CarrierEventResultSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    external_code = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=[Outcome.RECORDED, Outcome.DUPLICATE, Outcome.UNMAPPED, Outcome.NOT_ASSIGNED, Outcome.FLAGGED],
        help_text="`not_assigned`: no delivery handed to you has this reference, the event is kept aside. "
                  "`flagged`: the event cannot be true of the delivery (see `reason`); kept for review, not applied.")
    milestone = serializers.CharField(allow_blank=True)
    reason = serializers.ChoiceField(
        choices=["", FlagReason.IN_FUTURE, FlagReason.BEFORE_WINDOW, FlagReason.BEFORE_SCAN_OUT,
                 FlagReason.JOURNEY_CLOSED],
        help_text="For `flagged`: a time later than now, a door milestone half a day or more before the window, "
                  "one before the parcel left a depot, or any event after the delivery was delivered or cancelled.")


class PingBatchApi(APIView):
    """A batch of GPS points from a driver's device, for the vehicle of the driver's shift today.

    A vehicle marked lost is refused whole with 409 `vehicle_lost`.
    """

    authentication_classes = [DriverDeviceAuthentication]
    permission_classes = [IsDriverDevice]

    class PingBatchInputSerializer(serializers.Serializer):
        points = PingPointSerializer(many=True, min_length=1, max_length=500)

    class PingBatchOutputSerializer(serializers.Serializer):
        accepted = serializers.IntegerField()
        duplicates = serializers.IntegerField()
        flagged = PingFlaggedSerializer(many=True)

    @extend_schema(
        operation_id="pings_create",
        request=PingBatchInputSerializer,
        responses={
            200: PingBatchOutputSerializer,
            403: error_response("The driver has no shift today, or a point names another vehicle "
                                "(`vehicle_not_assigned`)."),
            409: error_response("The vehicle is marked lost (`vehicle_lost`)."),
        },
        examples=[OpenApiExample("One point", value={"points": [{
            "client_id": "p-0001", "vehicle": "saint-denis-van-1", "lat": 48.8625, "lng": 2.3364, "speed": 8.2,
            "heading": 90, "accuracy": 6, "recorded_at": "2026-11-23T09:12:15+01:00"}]}, request_only=True)],
        tags=["drivers"],
    )
    def post(self, request):
        serializer = self.PingBatchInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        now = clock.now()
        vehicle = services.driver_shift_vehicle(driver=request.auth.driver, now=now)
        vehicle_ensure_reporting(vehicle=vehicle)
        points = serializer.validated_data["points"]
        others = sorted({p["vehicle"] for p in points} - {vehicle.code})
        if others:
            raise TrackingError(
                TrackingErrorCode.VEHICLE_NOT_ASSIGNED, f"You may only post for {vehicle.code} today.",
                status_code=403, fields={"points.vehicle": [f"Not your vehicle today: {', '.join(others)}."]},
            )
        result = services.ping_record_batch(
            vehicle=vehicle, now=now,
            points=[
                services.PingInput(
                    client_id=p["client_id"], recorded_at=p["recorded_at"], lat=p["lat"], lng=p["lng"],
                    speed_mps=p.get("speed"), heading=p.get("heading"), accuracy_m=p.get("accuracy"),
                )
                for p in points
            ],
        )
        body = {
            "accepted": result.accepted, "duplicates": result.duplicates,
            "flagged": [{"client_id": k, "reason": v} for k, v in sorted(result.flagged.items())],
        }
        return Response(self.PingBatchOutputSerializer(body).data, status=status.HTTP_200_OK)


class ScanApi(APIView):
    """A driver's scan: scan-out at the depot, arrived, attempted (with a reason), delivered (with proof), returned."""

    authentication_classes = [DriverDeviceAuthentication]
    permission_classes = [IsDriverDevice]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class ScanInputSerializer(serializers.Serializer):
        client_id = serializers.CharField(max_length=60, help_text="The device's id for this scan; replays are ignored.")
        kind = serializers.ChoiceField(choices=[k.value for k in services.ScanKind])
        recorded_at = serializers.DateTimeField()
        job = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                       help_text="The job scanned; scan-out and return may leave it out for the whole van.")
        reason = serializers.ChoiceField(choices=[r.value for r in services.AttemptReason], required=False,
                                         allow_blank=True, help_text="Required for attempted.")
        recipient_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
        photo = serializers.ImageField(required=False, allow_null=True)
        signature = serializers.ImageField(required=False, allow_null=True)
        lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
        lng = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)


    class ScanOutputSerializer(serializers.Serializer):
        created = serializers.BooleanField(
            help_text="False when nothing new was recorded: this client_id was already recorded, or the job was "
                      "already delivered (events then holds the first delivered event).")
        events = ScanEventSerializer(many=True)

    @extend_schema(
        operation_id="scans_create",
        request={"application/json": ScanInputSerializer, "multipart/form-data": ScanInputSerializer},
        responses={
            201: ScanOutputSerializer, 200: ScanOutputSerializer,
            400: error_response("Invalid input, a scan that needs a job without one (`unknown_job`), or an attempt "
                                "without a reason (`reason_required`)."),
            403: error_response("The driver has no shift today (`vehicle_not_assigned`)."),
            404: error_response("The job is not on the driver's route today (`job_not_on_route`)."),
            409: error_response("The vehicle has no route in today's plan (`no_route_today`)."),
        },
        tags=["drivers"],
    )
    def post(self, request):
        serializer = self.ScanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = services.scan_record(
            driver=request.auth.driver, kind=data["kind"], client_id=data["client_id"],
            recorded_at=data["recorded_at"], job_id=data.get("job"), reason=data.get("reason", ""),
            recipient_name=data.get("recipient_name", ""), photo=data.get("photo"), signature=data.get("signature"),
            lat=data.get("lat"), lng=data.get("lng"),
        )
        body = {"created": result.created, "events": ScanEventSerializer(result.events, many=True).data}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class CarrierEventsApi(APIView):
    """Events from a third-party carrier in its own format (SwiftPost flat JSON or ParcelNet nested batch).

    Only deliveries handed to this carrier (`PUT /api/v1/deliveries/<id>/carrier/`) take its events. Each
    event is answered in `results`; when none of a post's events names a delivery handed to this carrier,
    the post is answered 404 `delivery_not_assigned`, the same for a delivery that does not exist and one
    another carrier or our own fleet carries. Either way the events are kept for care, never applied.
    An event that cannot be true of its delivery is answered 202 with the outcome `flagged`: the post was
    well formed and is kept, sending it again changes nothing, and a person decides what it means.
    """

    authentication_classes = [CarrierSecretAuthentication]
    permission_classes = [IsCarrier]


    class CarrierEventsOutputSerializer(serializers.Serializer):
        results = CarrierEventResultSerializer(many=True)

    @extend_schema(
        operation_id="carrier_events_create",
        parameters=[OpenApiParameter("code", OpenApiTypes.STR, OpenApiParameter.PATH, pattern=r"^[-a-zA-Z0-9_]+$",
                                     description="The carrier's code (a slug).")],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            202: CarrierEventsOutputSerializer,
            400: error_response("The body is not a valid post in this carrier's format (`invalid_carrier_payload`)."),
            401: error_response("No shared secret, an unknown carrier code, or a secret of another carrier "
                                "(`not_authenticated`, `invalid_api_key`)."),
            404: error_response("No event of the post names a delivery handed to this carrier "
                                "(`delivery_not_assigned`), or the code is not a slug (`route_not_found`)."),
        },
        examples=[
            OpenApiExample("SwiftPost", request_only=True, value={
                "event_id": "SP-000123", "tracking_ref": "2f1c5c9e-8f7a-4d2e-9a51-0c6a4d0f1e2b", "status_code": "OFD",
                "status_text": "Out for delivery", "event_time": "2026-11-23T09:12:00+01:00", "lat": 48.85, "lon": 2.35}),
            OpenApiExample("ParcelNet", request_only=True, value={
                "batch_id": "B-77", "consignments": [{
                    "consignment": {"reference": "2f1c5c9e-8f7a-4d2e-9a51-0c6a4d0f1e2b", "carrier_ref": "PN123"},
                    "events": [{"id": "E1", "code": "40", "subcode": "NH", "occurred_at": "2026-11-23T11:02:00+01:00",
                                "location": {"lat": 48.85, "lng": 2.35}, "description": "Nobody home"}]}]}),
        ],
        tags=["carriers"],
    )
    def post(self, request, code: str):
        outcomes = services.carrier_events_ingest(carrier=request.auth, payload=request.data)
        if outcomes and all(o.outcome == Outcome.NOT_ASSIGNED for o in outcomes):
            # Answered, not raised: the quarantined rows are already saved and must stay whatever wraps the view.
            return Response(error_body(TrackingErrorCode.DELIVERY_NOT_ASSIGNED,
                                       "No delivery handed to you has this reference."),
                            status=status.HTTP_404_NOT_FOUND)
        body = {"results": [CarrierEventResultSerializer(o.__dict__).data for o in outcomes]}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class DeliveryCarrierApi(ServerApi):
    """The carrier a merchant's delivery is handed to: only that carrier's events then move its journey."""

    class CarrierInputSerializer(serializers.Serializer):
        carrier = serializers.SlugField(help_text="The carrier's code, e.g. `swiftpost` or `parcelnet`.")
        tracking_number = serializers.CharField(
            max_length=80, required=False, allow_blank=True, default="",
            help_text="The carrier's own number for the parcel; its events may name the parcel by it.")

    @extend_schema(
        operation_id="deliveries_carrier_update", request=CarrierInputSerializer,
        responses={
            200: DeliveryOutputSerializer,
            400: error_response("Invalid input, or no active carrier has this code (`carrier_not_found`)."),
            404: DELIVERY_NOT_FOUND,
            409: error_response("The delivery is delivered or cancelled (`delivery_closed`), is with another carrier "
                                "(`carrier_already_assigned`: take it back first), or the carrier already has "
                                "another parcel with this tracking number (`carrier_ref_taken`)."),
        },
        examples=[OpenApiExample("Hand to SwiftPost", request_only=True,
                                 value={"carrier": "swiftpost", "tracking_number": "SP123456789FR"})],
        summary="Hand a delivery to a carrier",
    )
    def put(self, request, delivery_id: str):
        delivery = delivery_for(merchant=request.auth.merchant, delivery_id=delivery_id)
        serializer = self.CarrierInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.delivery_carrier_assign(
            delivery=delivery, carrier=services.carrier_for_code(code=data["carrier"]),
            external_ref=data["tracking_number"], actor_label=f"api:{request.auth.merchant.slug}",
        )
        return Response(delivery_payload(delivery))

    @extend_schema(
        operation_id="deliveries_carrier_destroy", request=None,
        responses={
            200: DeliveryOutputSerializer,
            404: DELIVERY_NOT_FOUND,
            409: error_response("The delivery is delivered or cancelled (`delivery_closed`)."),
        },
        summary="Take a delivery back from its carrier",
    )
    def delete(self, request, delivery_id: str):
        delivery = delivery_for(merchant=request.auth.merchant, delivery_id=delivery_id)
        services.delivery_carrier_release(delivery=delivery, actor_label=f"api:{request.auth.merchant.slug}")
        return Response(delivery_payload(delivery))


class DriverStopDropSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=DropChoice.values)
    safe_place = serializers.CharField(allow_blank=True)
    neighbour_name = serializers.CharField(allow_blank=True)
    neighbour_door = serializers.CharField(allow_blank=True)
    instruction = serializers.CharField(help_text="The choice in one line, as the driver reads it.")
    photo_required = serializers.BooleanField(help_text="True for a safe place: photograph where it was left.")


class DriverStopAddressSerializer(serializers.Serializer):
    line1 = serializers.CharField()
    postcode = serializers.CharField()
    city = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()


class DriverStopDeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    order_ref = serializers.CharField()
    merchant = serializers.CharField()
    recipient_name = serializers.CharField()
    address = DriverStopAddressSerializer()
    access_notes = serializers.CharField(allow_blank=True)
    drop = DriverStopDropSerializer()


class DriverStopSerializer(serializers.Serializer):
    sequence = serializers.IntegerField()
    job = serializers.IntegerField(help_text="The job to name in scans.")
    status = serializers.CharField()
    planned_arrival = serializers.DateTimeField()
    delivery = DriverStopDeliverySerializer(allow_null=True)


class DriverRouteApi(APIView):
    """The driver's route today: each stop in sequence with its address, access notes and the customer's drop
    choice (`drop.instruction` reads "Safe place: behind the side gate" or "Neighbour: M. Martin, no. 12"; a safe
    place asks for a photo). Choices are locked once the delivery is out for delivery, so what the device reads
    after scan-out stays true."""

    authentication_classes = [DriverDeviceAuthentication]
    permission_classes = [IsDriverDevice]

    class DriverRouteOutputSerializer(serializers.Serializer):
        vehicle = serializers.CharField()
        date = serializers.DateField()
        stops = DriverStopSerializer(many=True)

    @extend_schema(
        operation_id="driver_route_retrieve",
        responses={
            200: DriverRouteOutputSerializer,
            403: error_response("The driver has no shift today (`vehicle_not_assigned`)."),
        },
        tags=["drivers"],
    )
    def get(self, request):
        return Response(driver_route_today(driver=request.auth.driver, now=clock.now()))
