"""The merchant API for webhook endpoints: manage them, read their delivery log, replay, test, rotate secrets.

Secret-key routes only; every lookup is scoped to the calling key's merchant (another merchant's endpoint
is a 404, never a 403, so ids are not confirmed). Thin views: parse, call one service, render.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as ModelValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DomainError
from core.openapi import error_response
from merchants.auth import HasSecretKey, SecretKeyAuthentication
from merchants.models import WEBHOOK_EVENT_TYPES, WebhookEndpoint
from merchants.services import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_turn_off,
    webhook_endpoint_update,
    webhook_secret_rotate,
)
from notifications.models import Channel, Message
from notifications.webhooks import endpoint_log, webhook_endpoint_resume, webhook_replay, webhook_send_test

# 401, 403 and the other statuses every keyed route can answer are added by core.openapi.ApiAutoSchema.
NOT_FOUND = error_response("No webhook endpoint of yours has this id (`webhook_not_found`), or no event with "
                           "this id was sent to it (`message_not_found`).")
INVALID = error_response("Invalid input (`invalid_request` with `fields`): a URL that is not https, or an "
                         "unknown event type.")


class EndpointOutput(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField(), help_text="Event types sent; empty means all.")
    active = serializers.BooleanField(help_text="The merchant's switch.")
    disabled_at = serializers.DateTimeField(allow_null=True, help_text="Set when a day of failures disabled it.")
    failing_since = serializers.DateTimeField(allow_null=True)
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="Until then the previous secret signs too (after a rotation).")
    created_at = serializers.DateTimeField()


class EndpointWithSecret(EndpointOutput):
    secret = serializers.CharField(help_text="whsec_… — verify the webhook-signature header with it.")


class EndpointInput(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    description = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    events = serializers.ListField(child=serializers.ChoiceField(choices=sorted(WEBHOOK_EVENT_TYPES)),
                                   required=False, default=list)


class EndpointPatch(serializers.Serializer):
    url = serializers.URLField(max_length=500, required=False)
    description = serializers.CharField(max_length=120, required=False, allow_blank=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=sorted(WEBHOOK_EVENT_TYPES)),
                                   required=False)
    active = serializers.BooleanField(
        required=False, help_text="false turns it off; true turns it on again and resends what failed meanwhile.")


class AttemptOutput(serializers.Serializer):
    number = serializers.IntegerField()
    attempted_at = serializers.DateTimeField()
    response_status = serializers.IntegerField(allow_null=True)
    response_body = serializers.CharField()
    duration_ms = serializers.IntegerField()
    error = serializers.CharField()


class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    event_id = serializers.CharField()
    event_type = serializers.CharField()
    status = serializers.CharField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    send_after = serializers.DateTimeField(allow_null=True, help_text="The next call, when one is waiting.")
    body = serializers.CharField(help_text="The JSON sent.")
    attempts = AttemptOutput(many=True, source="webhook_attempts.all")


def _endpoint(request, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, merchant=request.auth.merchant).first()
    if endpoint is None:
        raise DomainError("webhook_not_found", "No webhook endpoint with this id.", status_code=404)
    return endpoint


def _saved(call):
    """Run a service that validates the model; its errors become a 400 with the fields named."""
    try:
        return call()
    except ModelValidationError as error:
        raise ValidationError(error.message_dict) from error


class WebhookApi(APIView):
    authentication_classes = [SecretKeyAuthentication]
    permission_classes = [HasSecretKey]


class WebhookListApi(WebhookApi):
    @extend_schema(operation_id="webhooks_list", responses={200: EndpointOutput(many=True)},
                   summary="Your webhook endpoints", tags=["webhooks"])
    def get(self, request):
        endpoints = WebhookEndpoint.objects.filter(merchant=request.auth.merchant)
        return Response(EndpointOutput(endpoints, many=True).data)

    @extend_schema(operation_id="webhooks_create", request=EndpointInput,
                   responses={201: EndpointWithSecret, 400: INVALID},
                   summary="Add an endpoint (its secret is in the answer)", tags=["webhooks"])
    def post(self, request):
        payload = EndpointInput(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint = _saved(lambda: webhook_endpoint_create(merchant=request.auth.merchant, **payload.validated_data))
        return Response(EndpointWithSecret(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(WebhookApi):
    @extend_schema(operation_id="webhooks_retrieve", responses={200: EndpointOutput, 404: NOT_FOUND},
                   tags=["webhooks"])
    def get(self, request, endpoint_id: int):
        return Response(EndpointOutput(_endpoint(request, endpoint_id)).data)

    @extend_schema(operation_id="webhooks_update", request=EndpointPatch,
                   responses={200: EndpointOutput, 400: INVALID, 404: NOT_FOUND},
                   summary="Change the URL, events or description, or turn it off or on", tags=["webhooks"])
    def patch(self, request, endpoint_id: int):
        endpoint = _endpoint(request, endpoint_id)
        payload = EndpointPatch(data=request.data)
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        active = changes.pop("active", None)
        if changes:
            endpoint = _saved(lambda: webhook_endpoint_update(endpoint=endpoint, **changes))
        if active is False:
            endpoint = webhook_endpoint_turn_off(endpoint=endpoint)
        elif active is True and not endpoint.sending:
            webhook_endpoint_resume(endpoint=endpoint)
            endpoint.refresh_from_db()
        return Response(EndpointOutput(endpoint).data)

    @extend_schema(operation_id="webhooks_destroy", responses={204: None, 404: NOT_FOUND},
                   tags=["webhooks"])
    def delete(self, request, endpoint_id: int):
        webhook_endpoint_delete(endpoint=_endpoint(request, endpoint_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateApi(WebhookApi):
    @extend_schema(operation_id="webhooks_rotate_secret", request=None,
                   responses={200: EndpointWithSecret, 404: NOT_FOUND},
                   summary="A new secret; the old one keeps signing beside it for 24 hours", tags=["webhooks"])
    def post(self, request, endpoint_id: int):
        endpoint = webhook_secret_rotate(endpoint=_endpoint(request, endpoint_id))
        return Response(EndpointWithSecret(endpoint).data)


class WebhookTestApi(WebhookApi):
    @extend_schema(operation_id="webhooks_send_test", request=None,
                   responses={202: MessageOutput, 404: NOT_FOUND},
                   summary="Send a webhook.test event to this endpoint", tags=["webhooks"])
    def post(self, request, endpoint_id: int):
        message = webhook_send_test(endpoint=_endpoint(request, endpoint_id))
        return Response(MessageOutput(message).data, status=status.HTTP_202_ACCEPTED)


class WebhookMessagesApi(WebhookApi):
    @extend_schema(operation_id="webhooks_messages_list",
                   responses={200: MessageOutput(many=True), 404: NOT_FOUND},
                   summary="The endpoint's delivery log: the latest 50 events with every call", tags=["webhooks"])
    def get(self, request, endpoint_id: int):
        return Response(MessageOutput(endpoint_log(endpoint=_endpoint(request, endpoint_id)), many=True).data)


class WebhookReplayApi(WebhookApi):
    @extend_schema(operation_id="webhooks_messages_replay", request=None,
                   responses={202: MessageOutput, 404: NOT_FOUND},
                   summary="Send this event again (same id and body)", tags=["webhooks"])
    def post(self, request, endpoint_id: int, message_id: int):
        endpoint = _endpoint(request, endpoint_id)
        message = Message.objects.filter(pk=message_id, endpoint=endpoint, channel=Channel.WEBHOOK).first()
        if message is None:
            raise DomainError("message_not_found", "No event with this id was sent to this endpoint.", status_code=404)
        return Response(MessageOutput(webhook_replay(message=message)).data, status=status.HTTP_202_ACCEPTED)
