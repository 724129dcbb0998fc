"""Twilio's calls to us: the status callback of the SMS we sent."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.throttle import throttle
from notifications import services
from notifications.inbound import twilio_signature_valid


@throttle("inbound_webhooks", as_json=True)
@csrf_exempt
@require_POST
def twilio_status(request):
    # Twilio signs the URL we gave it with each message (under PUBLIC_BASE_URL) and the POSTed fields.
    if not twilio_signature_valid(url=f"{settings.PUBLIC_BASE_URL}{request.get_full_path()}", params=request.POST.dict(),
                                  signature=request.headers.get("X-Twilio-Signature", ""),
                                  auth_token=settings.TWILIO_AUTH_TOKEN):
        return HttpResponseForbidden("Invalid Twilio signature.")
    sid, status = request.POST.get("MessageSid", ""), request.POST.get("MessageStatus", "")
    if not sid or status not in services.TWILIO_STATUSES.keys() | services.TWILIO_STATUSES_BEFORE_SENT:
        return HttpResponseBadRequest("MessageSid and a known MessageStatus are required.")
    message = services.sms_status_record(provider_id=sid, provider_status=status,
                                         error_code=request.POST.get("ErrorCode", ""))
    if message is None:
        return HttpResponseNotFound("No message with this MessageSid.")
    return HttpResponse(status=204)
