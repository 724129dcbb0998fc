"""The disruptions API: a weather or traffic feed (or a platform dispatcher) slows a zone for a period."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from core.openapi import error_response
from dispatch import disruptions
from dispatch.auth import DisruptionFeedAuthentication, IsFeedOrFleetDispatcher
from dispatch.errors import DispatchError, DispatchErrorCode
from dispatch.models import Disruption, DisruptionFeed, Zone


class DisruptionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    zone = serializers.SlugField(source="zone.code")
    depot = serializers.SlugField(source="zone.depot.code")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    speed_factor = serializers.FloatField(help_text="Travel into the zone takes this many times as long.")
    slowdown_percent = serializers.IntegerField(help_text="The same as a percentage: 30 means 30 % slower.")
    reason = serializers.CharField()
    source = serializers.ChoiceField(choices=Disruption.Source.choices)
    external_id = serializers.CharField(help_text="The feed's own id for the event; empty for a dispatcher's.")
    ended_early_at = serializers.DateTimeField(allow_null=True)


class _SlowdownFields(serializers.Serializer):
    speed_factor = serializers.FloatField(
        required=False, help_text=f"Travel time multiplier, {disruptions.MIN_FACTOR:g} to {disruptions.MAX_FACTOR:g}. "
                                  "Send this or `slowdown_percent`.")
    slowdown_percent = serializers.IntegerField(
        required=False, help_text="How much slower, in percent (30 = 30 % slower). Send this or `speed_factor`.")

    def validate(self, attrs):
        if "speed_factor" in attrs and "slowdown_percent" in attrs:
            raise serializers.ValidationError({"speed_factor": ["Send either speed_factor or slowdown_percent, not both."]})
        if "slowdown_percent" in attrs:
            attrs["speed_factor"] = 1 + attrs.pop("slowdown_percent") / 100
        return attrs


class DisruptionCreateInputSerializer(_SlowdownFields):
    zone = serializers.SlugField(help_text="The zone's code.")
    starts_at = serializers.DateTimeField(help_text="ISO 8601 with an offset.")
    ends_at = serializers.DateTimeField(help_text="ISO 8601 with an offset; after `starts_at`, at most 7 days later.")
    reason = serializers.CharField(max_length=200, help_text="Why, for dispatchers and care: 'Snow', 'Marathon'.")
    external_id = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True,
        help_text="Feeds: your id for the event. Sending the same id again updates that disruption.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "speed_factor" not in attrs:
            raise serializers.ValidationError({"speed_factor": ["Send speed_factor or slowdown_percent."]})
        return attrs


class DisruptionUpdateInputSerializer(_SlowdownFields):
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False)
    reason = serializers.CharField(max_length=200, required=False)


class _DisruptionApi(APIView):
    authentication_classes = [DisruptionFeedAuthentication, SessionAuthentication]
    permission_classes = [IsFeedOrFleetDispatcher]

    @staticmethod
    def feed(request) -> DisruptionFeed | None:
        return request.auth if isinstance(request.auth, DisruptionFeed) else None

    def disruption(self, request, disruption_id: int) -> Disruption:
        """The disruption asked for; a feed sees only its own (another's answers 404 like a missing one)."""
        rows = Disruption.objects.select_related("zone__depot")
        feed = self.feed(request)
        if feed is not None:
            rows = rows.filter(feed=feed)
        found = rows.filter(pk=disruption_id).first()
        if found is None:
            raise DispatchError(DispatchErrorCode.DISRUPTION_NOT_FOUND, "No disruption of yours has this id.",
                                status_code=404)
        return found


class DisruptionCollectionApi(_DisruptionApi):
    """Slow a zone for a period. Travel into the zone takes `speed_factor` times as long while it is in force, for
    the planner, checkout's window offers and the ETAs alike; every day it touches that already has a plan
    re-plans at once, and customers whom the new plan brings after their window are warned (once).

    A feed that sends an `external_id` it already sent updates that disruption (200) instead of adding one.
    """

    class DisruptionListOutputSerializer(serializers.Serializer):
        results = DisruptionOutputSerializer(many=True)

    @extend_schema(
        operation_id="disruptions_list",
        parameters=[OpenApiParameter("zone", str, OpenApiParameter.QUERY, required=False,
                                     description="Only this zone's (its code).")],
        responses={200: DisruptionListOutputSerializer},
        summary="The disruptions not over yet", tags=["disruptions"],
    )
    def get(self, request):
        """The disruptions in force or to come, by start: a feed's own, or every one for a dispatcher."""
        rows = disruptions.disruptions_current(feed=self.feed(request), zone_code=request.query_params.get("zone"))
        return Response({"results": DisruptionOutputSerializer(rows, many=True).data})

    @extend_schema(
        operation_id="disruptions_create", request=DisruptionCreateInputSerializer,
        responses={
            201: DisruptionOutputSerializer,
            200: DisruptionOutputSerializer,
            400: error_response("Invalid input (`invalid_request`), the end not after the start or already past "
                                "(`invalid_period`), a factor out of range (`invalid_speed_factor`), an unknown zone "
                                "(`zone_not_found`)."),
            403: error_response("Neither a feed nor a platform dispatcher (`permission_denied`), or a zone of "
                                "a depot this feed may not slow (`zone_not_in_depot`)."),
            409: error_response("This feed already sent this `external_id` for another zone (`disruption_exists`)."),
        },
        examples=[OpenApiExample("Snow this afternoon", request_only=True, value={
            "zone": "paris-centre", "starts_at": "2026-12-01T13:00:00+01:00", "ends_at": "2026-12-01T19:00:00+01:00",
            "slowdown_percent": 40, "reason": "Snow", "external_id": "meteo-2026-12-01-75"})],
        summary="Slow a zone for a period", tags=["disruptions"],
    )
    def post(self, request):
        serializer = DisruptionCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        zone = Zone.objects.select_related("depot").filter(code=data["zone"]).first()
        if zone is None:
            raise DispatchError(DispatchErrorCode.ZONE_NOT_FOUND, f"No zone has the code {data['zone']!r}.",
                                fields={"zone": ["Unknown zone code."]})
        feed = self.feed(request)
        if feed is not None and feed.depot_id is not None and zone.depot_id != feed.depot_id:
            raise DispatchError(DispatchErrorCode.ZONE_NOT_IN_DEPOT,
                                f"This feed may only slow zones of {feed.depot.name}.", status_code=403)
        external_id = data["external_id"] if feed is not None else ""
        existing = Disruption.objects.filter(feed=feed, external_id=external_id).select_related(
            "zone__depot").first() if external_id else None
        if existing is not None and existing.zone_id == zone.pk:
            disruption = disruptions.disruption_update(
                disruption=existing, starts_at=data["starts_at"], ends_at=data["ends_at"],
                speed_factor=data["speed_factor"], reason=data["reason"])
            return Response(DisruptionOutputSerializer(disruption).data, status=status.HTTP_200_OK)
        if existing is not None:
            raise DispatchError(DispatchErrorCode.DISRUPTION_EXISTS,
                                f"Event {external_id!r} is already set for zone {existing.zone.code}; send it with "
                                "that zone, or a new id.", status_code=409)
        disruption = disruptions.disruption_create(
            zone=zone, starts_at=data["starts_at"], ends_at=data["ends_at"], speed_factor=data["speed_factor"],
            reason=data["reason"], external_id=external_id, feed=feed,
            source=Disruption.Source.FEED if feed is not None else Disruption.Source.DISPATCHER,
            created_by=None if feed is not None else request.user,
        )
        return Response(DisruptionOutputSerializer(disruption).data, status=status.HTTP_201_CREATED)


ID_PARAMETER = OpenApiParameter("disruption_id", int, OpenApiParameter.PATH, description="The disruption's id.")


class DisruptionDetailApi(_DisruptionApi):
    """Change a disruption's period, factor or reason: the days it touched and touches re-plan."""

    @extend_schema(
        operation_id="disruptions_update", request=DisruptionUpdateInputSerializer, parameters=[ID_PARAMETER],
        responses={
            200: DisruptionOutputSerializer,
            400: error_response("Invalid input (`invalid_request`, `invalid_period`, `invalid_speed_factor`)."),
            404: error_response("No disruption of yours has this id (`disruption_not_found`)."),
        },
        summary="Change a disruption", tags=["disruptions"],
    )
    def patch(self, request, disruption_id: int):
        disruption = self.disruption(request, disruption_id)
        serializer = DisruptionUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        disruption = disruptions.disruption_update(
            disruption=disruption, starts_at=data.get("starts_at"), ends_at=data.get("ends_at"),
            speed_factor=data.get("speed_factor"), reason=data.get("reason"))
        return Response(DisruptionOutputSerializer(disruption).data)


class DisruptionEndApi(_DisruptionApi):
    """End a disruption now (or withdraw one that has not begun): the zone drives at its own pace again and the
    days it touched re-plan."""

    class EndOutputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=["ended", "withdrawn"])

    @extend_schema(
        operation_id="disruptions_end", request=None, parameters=[ID_PARAMETER],
        responses={
            200: EndOutputSerializer,
            404: error_response("No disruption of yours has this id (`disruption_not_found`)."),
            409: error_response("The disruption is already over (`disruption_over`)."),
        },
        summary="End a disruption", tags=["disruptions"],
    )
    def post(self, request, disruption_id: int):
        disruption = self.disruption(request, disruption_id)
        ended = disruptions.disruption_end(disruption=disruption)
        return Response({"outcome": "ended" if ended else "withdrawn"})
