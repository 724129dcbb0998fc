"""The demo shop's checkout (the embedded picker, then a server-side booking) and the messages it sends."""

from __future__ import annotations

import uuid

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from rest_framework.exceptions import ValidationError

from core import clock
from core.errors import DomainError, flatten_field_errors
from demo.keys import demo_key
from demo.webhook_inbox import KEEP as INBOX_KEEP
from demo.webhook_inbox import inbox_calls, inbox_receive_in_thread
from merchants.access import Perm, access_for, staff_page
from merchants.models import ApiKey, Merchant
from merchants.services import api_key_authenticate
from notifications.models import PHONE_CHANNELS, Channel
from notifications.selectors import (
    booking_confirmation_sent_to,
    email_sender,
    messages_latest,
    sms_threads,
)
from scheduling.api import delivery_create_idempotent
from scheduling.models import Delivery
from scheduling.selectors import delivery_for_token
from scheduling.views import expired_page, offers_for_fallback, page_language
from scheduling.windows import merchant_sample_address, offers_by_day


def _demo_merchant(slug: str | None) -> Merchant | None:
    merchants = Merchant.objects.all()
    return merchants.filter(slug=slug).first() if slug else merchants.first()


def demo_checkout(request, form: dict | None = None, errors: dict | None = None, error: str | None = None,
                  status: int = 200):
    """The demo shop's checkout: the picker (with the demo publishable key), recipient details, book."""
    merchant = _demo_merchant(request.GET.get("merchant") or request.POST.get("merchant"))
    if merchant is None:
        return render(request, "demo/checkout.html", {"merchant": None}, status=404 if request.GET.get("merchant") else 200)
    lang = page_language(request, merchant.default_language)
    address = merchant_sample_address(merchant=merchant)
    with translation.override(lang):
        # Without JavaScript the page lists the windows itself, as radios of the booking form.
        offers = offers_for_fallback(merchant=merchant, lat=str(address["lat"]), lng=str(address["lng"]),
                                     postcode="") if address else []
        return render(request, "demo/checkout.html", {
            "merchant": merchant, "api_key": demo_key(kind="publishable", slug=merchant.slug), "address": address,
            "days": offers_by_day([o for o in offers if o.available], merchant), "tz": merchant.time_zone,
            "lang": lang, "form": form or {}, "error": error,
            "errors": {name.replace(".", "_"): messages for name, messages in (errors or {}).items()},
            "idempotency_key": (form or {}).get("idempotency_key") or uuid.uuid4().hex,
        }, status=status)


@require_POST
def demo_checkout_book(request):
    """Books server-side with the merchant's demo secret key, through the same idempotent path as the API."""
    merchant = _demo_merchant(request.POST.get("merchant"))
    if merchant is None:
        raise Http404("Unknown merchant")
    api_key = api_key_authenticate(raw_key=demo_key(kind="secret", slug=merchant.slug), kind=ApiKey.Kind.SECRET)
    if api_key is None:
        raise Http404("The demo keys are not installed; run the demo seed.")
    post = request.POST
    lang = page_language(request, merchant.default_language)
    body = {
        "order_ref": post.get("order_ref") or f"DEMO-{post.get('idempotency_key', '')[:10].upper()}",
        "recipient": {"name": post.get("name", ""), "phone": post.get("phone", ""), "email": post.get("email", ""),
                      "language": lang},
        "address": {"line1": post.get("line1", ""), "city": post.get("city", ""), "postcode": post.get("postcode", ""),
                    "lat": post.get("lat", ""), "lng": post.get("lng", "")},
        "access_notes": post.get("access_notes", ""),
        "preferences": {"safe_drop": post.get("safe_drop") == "on"},
    }
    # The picker holds a window (hold_id); without JavaScript the page's own list posts its window_id.
    if post.get("hold_id"):
        body["hold_id"] = post["hold_id"]
    elif post.get("window_id"):
        body["window_id"] = post["window_id"]
    chosen = "hold_id" in body or "window_id" in body
    with translation.override(lang):
        try:
            code, result, _replayed = delivery_create_idempotent(
                api_key=api_key, idempotency_key=post.get("idempotency_key", ""), body=body)
        except ValidationError as exc:
            errors = flatten_field_errors(exc.detail)
            if not chosen:
                # The API's "Give a window_id or a hold_id." is for developers; the shopper just chose nothing.
                errors["window_id"] = [_("Choose a delivery window.")]
            only_window = set(errors) == {"window_id"}
            return demo_checkout(request, form=post.dict(), errors=errors, status=400,
                                 error=errors["window_id"][0] if only_window else _("Please check the highlighted fields."))
        except DomainError as exc:
            return demo_checkout(request, form=post.dict(), errors=exc.fields, error=exc.message, status=exc.status_code)
        if code != 201:
            message = result.get("error", {}).get("message", _("The booking failed."))
            form = post.dict() | {"idempotency_key": uuid.uuid4().hex}
            return demo_checkout(request, form=form, errors=result.get("error", {}).get("fields", {}), error=message,
                                 status=code)
        delivery = Delivery.objects.get(pk=result["id"])
        url = reverse("demo:checkout-confirmation", args=[delivery.tracking_token])
        return redirect(f"{url}?lang={lang}")


def demo_checkout_confirmation(request, token: str):
    delivery = delivery_for_token(token=token, now=clock.now())
    if delivery is None:
        return expired_page(request)
    with translation.override(page_language(request, delivery.language)):
        return render(request, "demo/confirmation.html", {
            "delivery": delivery, "merchant": delivery.merchant, "tz": delivery.merchant.time_zone,
            "tracking_url": f"{settings.PUBLIC_BASE_URL}/t/{delivery.tracking_token}/",
            "tracking_path": f"/t/{delivery.tracking_token}/",
            "reschedule_url": reverse("scheduling:reschedule", args=[delivery.tracking_token]),
            "sent_to": booking_confirmation_sent_to(delivery_id=delivery.pk),
        })


@staff_page(Perm.CARE_VIEW)
@require_GET
def demo_messages(request):
    """The SMS and emails customers were sent, as their phone and their mail client would show them.

    `?channel=sms|email` keeps one channel, `?ref=` one delivery (order reference or id), and
    `?email=<id>` opens that email in the reader (the newest one otherwise).
    """
    channel = request.GET.get("channel", "")
    everything = (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL)
    channels = ((Channel.SMS, Channel.WHATSAPP) if channel == Channel.SMS else (channel,)) if channel in everything \
        else everything
    ref = request.GET.get("ref", "").strip()[:64]
    messages = messages_latest(channels=channels, ref=ref,
                               merchant_ids=access_for(request).merchant_ids(Perm.CARE_VIEW))
    emails = [(message, email_sender(message.merchant)) for message in messages if message.channel == Channel.EMAIL]
    chosen = request.GET.get("email", "")
    selected = next((email for email in emails if str(email[0].pk) == chosen), emails[0] if emails else None)
    return render(request, "demo/messages.html", {
        "messages_shown": messages, "threads": sms_threads(messages), "emails": emails, "selected": selected,
        "channel": channel if channels != everything else "", "ref": ref, "filtered": channels != everything or ref,
        "show_sms": bool(set(channels) & set(PHONE_CHANNELS)), "show_email": Channel.EMAIL in channels,
    })


@csrf_exempt
@require_POST
async def demo_webhook_receive(request, slug: str):
    """The inbox's receiving end. Asynchronous on purpose: in the one-process demo the sender may be the very
    thread that serves synchronous views, and verifying runs in a thread of its own for the same reason."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    call = await sync_to_async(inbox_receive_in_thread, thread_sensitive=False)(
        merchant_slug=slug, body=request.body.decode("utf-8", "replace"), headers=headers)
    if call is None:
        return HttpResponse("No inbox endpoint for this merchant.", status=404, content_type="text/plain")
    if not call.verified:
        return HttpResponse(f"Signature refused: {call.problem}", status=400, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@staff_page(Perm.SETTINGS_EDIT)
@require_GET
def demo_webhook_inbox(request):
    """What the demo merchants' receiver got: each event, whether its signature verified, its JSON; for the
    merchants whose settings (webhooks among them) the user looks after."""
    merchants = list(access_for(request).scoped(Merchant.objects, Perm.SETTINGS_EDIT, path="pk").order_by("name"))
    slug = request.GET.get("merchant", "")
    calls = inbox_calls(merchant_slug=slug, merchant_slugs={merchant.slug for merchant in merchants})
    return render(request, "demo/webhook_inbox.html", {
        "calls": calls, "merchant": slug, "merchants": merchants, "keep": INBOX_KEEP,
    })
