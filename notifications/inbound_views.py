"""Twilio's "a message comes in" webhook: check the signature, hand the text over, answer in TwiML."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from core.audit import ActorKind, audit_actor_name
from core.throttle import throttle
from notifications.inbound import inbound_sms_receive, twilio_signature_valid


def signed_url(request) -> str:
    """The URL Twilio called and signed: the configured public base if any, else the one we were reached at.

    `build_absolute_uri` says https:// behind a TLS-ending proxy when SECURE_PROXY_SSL_HEADER trusts it.
    """
    if settings.TWILIO_WEBHOOK_BASE_URL:
        return settings.TWILIO_WEBHOOK_BASE_URL + request.get_full_path()
    return request.build_absolute_uri()


@throttle("inbound_webhooks", as_json=True)
@csrf_exempt
@require_POST
def twilio_inbound(request):
    if not twilio_signature_valid(url=signed_url(request), params=request.POST,
                                  signature=request.headers.get("X-Twilio-Signature", ""),
                                  auth_token=settings.TWILIO_AUTH_TOKEN):
        return HttpResponseForbidden("The Twilio signature is missing or does not match this request.",
                                     content_type="text/plain")
    message_sid = request.POST.get("MessageSid", "")
    if not message_sid:
        return HttpResponseBadRequest("MessageSid is missing.", content_type="text/plain")
    audit_actor_name(label="customer (SMS reply)", kind=ActorKind.CUSTOMER)
    reply = inbound_sms_receive(provider_id=message_sid, from_number=request.POST.get("From", ""),
                                to_number=request.POST.get("To", ""), body=request.POST.get("Body", ""))
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return HttpResponse(str(twiml), content_type="application/xml")
