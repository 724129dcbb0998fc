"""Pages: the customer's reschedule link, the embeddable picker's iframe, the demo checkout."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.exceptions import ValidationError

from merchants.demo import demo_key
from merchants.models import ApiKey, Merchant
from merchants.services import api_key_authenticate, merchant_allowed_origins
from portal import clock
from portal.errors import DomainError, flatten_field_errors
from scheduling import services
from scheduling.api import delivery_create_idempotent
from scheduling.models import Delivery, Window
from scheduling.windows import merchant_local_today, merchant_sample_address, safe_drop_offered, window_offers

LANGS = {code for code, _name in settings.LANGUAGES}


def _language(request, fallback: str) -> str:
    wanted = request.GET.get("lang") or request.POST.get("lang") or fallback
    return wanted if wanted in LANGS else "en"


def _delivery_by_token(token: str) -> Delivery | None:
    delivery = (
        Delivery.objects.filter(tracking_token=token)
        .select_related("merchant", "window__template", "window__zone__depot", "window__merchant").first()
    )
    if delivery is None:
        return None
    if delivery.tracking_expires_at is not None and delivery.tracking_expires_at < clock.now():
        return None
    return delivery


def _expired(request, merchant: Merchant | None = None):
    return render(request, "scheduling/expired.html", {"merchant": merchant}, status=404)


@require_http_methods(["GET", "POST"])
def reschedule(request, token: str):
    """The customer's self-service page: another feasible window and drop instructions, in one step."""
    delivery = _delivery_by_token(token)
    if delivery is None:
        with translation.override(_language(request, translation.get_language() or "en")):
            return _expired(request)
    merchant = delivery.merchant
    with translation.override(_language(request, delivery.language)):
        now = clock.now()
        closes_at = services.reschedule_closes_at(delivery=delivery)
        closed = not services.reschedule_open(delivery=delivery, now=now)
        offered = safe_drop_offered(merchant=merchant, window=delivery.window)
        error = None
        if request.method == "POST" and not closed:
            try:
                window_id = request.POST.get("window_id", "")
                if window_id:
                    window = Window.objects.filter(pk=window_id if window_id.isdigit() else 0,
                                                   merchant=merchant).select_related("template", "zone__depot").first()
                    if window is None:
                        raise DomainError("window_not_found", _("That window is no longer offered."))
                    services.delivery_reschedule(delivery=delivery, window=window, now=now,
                                                 closes_before_minutes=settings.RESCHEDULE_CLOSES_MINUTES)
                services.delivery_update_instructions(
                    delivery=delivery, access_notes=request.POST.get("access_notes", "")[:500],
                    safe_drop=offered and request.POST.get("safe_drop") == "on",
                    leave_with_neighbour=request.POST.get("leave_with_neighbour") == "on",
                )
                return redirect(f"{reverse('scheduling:reschedule', args=[token])}?done=1&lang={translation.get_language()}")
            except DomainError as exc:
                error = _message_for(exc)
        offers = []
        if not closed:
            today = merchant_local_today(merchant, now)
            offers = [
                o for o in window_offers(
                    merchant=merchant, zone=delivery.window.zone, lat=delivery.lat, lng=delivery.lng, start=today,
                    days=7, skills=tuple(delivery.skills or ()), size=services._size_of(delivery), now=now,
                )
                if o.available and o.window.pk != delivery.window_id
            ]
        return render(request, "scheduling/reschedule.html", {
            "delivery": delivery, "merchant": merchant, "tz": merchant.time_zone, "offers": offers,
            "days": _group_by_day(offers, merchant), "closed": closed, "closes_at": closes_at,
            "safe_drop_offered": offered, "error": error, "done": request.GET.get("done") == "1",
            "lang": translation.get_language(),
        })


def _message_for(exc: DomainError) -> str:
    messages = {
        "window_full": _("Sorry, that window has just filled up. Please pick another one."),
        "cutoff_passed": _("Sorry, that window is no longer open for booking. Please pick another one."),
        "reschedule_closed": _("It is too late to change this delivery online."),
        "not_reschedulable": _("This delivery can no longer be changed."),
        "window_not_found": _("That window is no longer offered."),
    }
    return messages.get(exc.code, exc.message)


def _group_by_day(offers, merchant: Merchant) -> list[tuple]:
    tz = merchant.zone_info
    days: dict = {}
    for offer in offers:
        days.setdefault(offer.window.starts_at.astimezone(tz).date(), []).append(offer)
    return sorted(days.items())


def _frame_ancestors(merchant: Merchant) -> str:
    origins = " ".join(merchant_allowed_origins(merchant=merchant))
    return f"frame-ancestors 'self' {origins}".strip()


@xframe_options_exempt
def embed_windows(request):
    """The picker as an iframe; only the merchant's registered origins may frame it (CSP frame-ancestors)."""
    raw = request.GET.get("key", "")
    key = api_key_authenticate(raw_key=raw, kind=ApiKey.Kind.PUBLISHABLE) if raw else None
    if key is None:
        response = render(request, "scheduling/embed_invalid.html", status=401)
        response["Content-Security-Policy"] = "frame-ancestors *"
        return response
    merchant = key.merchant
    lang = _language(request, merchant.default_language)
    with translation.override(lang):
        response = render(request, "scheduling/embed.html", {
            "merchant": merchant, "api_key": raw, "lat": request.GET.get("lat", ""), "lng": request.GET.get("lng", ""),
            "postcode": request.GET.get("postcode", ""), "lang": lang,
            "parent_origins": " ".join(merchant_allowed_origins(merchant=merchant)),
        })
    response["Content-Security-Policy"] = _frame_ancestors(merchant)
    return response


def _demo_merchant(slug: str | None) -> Merchant | None:
    merchants = Merchant.objects.all()
    return merchants.filter(slug=slug).first() if slug else merchants.first()


def demo_checkout(request, form: dict | None = None, errors: dict | None = None, error: str | None = None,
                  status: int = 200):
    """The demo shop's checkout: the picker (with the demo publishable key), recipient details, book."""
    merchant = _demo_merchant(request.GET.get("merchant") or request.POST.get("merchant"))
    if merchant is None:
        return render(request, "scheduling/demo_checkout.html", {"merchant": None}, status=404 if request.GET.get("merchant") else 200)
    lang = _language(request, merchant.default_language)
    address = merchant_sample_address(merchant=merchant)
    with translation.override(lang):
        return render(request, "scheduling/demo_checkout.html", {
            "merchant": merchant, "api_key": demo_key(kind="publishable", slug=merchant.slug), "address": address,
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
    lang = _language(request, merchant.default_language)
    body = {
        "order_ref": post.get("order_ref") or f"DEMO-{post.get('idempotency_key', '')[:10].upper()}",
        "hold_id": post.get("hold_id") or None,
        "recipient": {"name": post.get("name", ""), "phone": post.get("phone", ""), "email": post.get("email", ""),
                      "language": lang},
        "address": {"line1": post.get("line1", ""), "city": post.get("city", ""), "postcode": post.get("postcode", ""),
                    "lat": post.get("lat", ""), "lng": post.get("lng", "")},
        "access_notes": post.get("access_notes", ""),
        "preferences": {"safe_drop": post.get("safe_drop") == "on"},
    }
    if not body["hold_id"]:
        body.pop("hold_id")
    with translation.override(lang):
        try:
            code, result, _replayed = delivery_create_idempotent(
                api_key=api_key, idempotency_key=post.get("idempotency_key", ""), body=body)
        except ValidationError as exc:
            errors = flatten_field_errors(exc.detail)
            return demo_checkout(request, form=post.dict(), errors=errors,
                                 error=_("Please check the highlighted fields."), status=400)
        except DomainError as exc:
            return demo_checkout(request, form=post.dict(), errors=exc.fields, error=exc.message, status=exc.status_code)
        if code != 201:
            message = result.get("error", {}).get("message", _("The booking failed."))
            form = post.dict() | {"idempotency_key": uuid.uuid4().hex}
            return demo_checkout(request, form=form, errors=result.get("error", {}).get("fields", {}), error=message,
                                 status=code)
        delivery = Delivery.objects.get(pk=result["id"])
        url = reverse("scheduling:demo-checkout-confirmation", args=[delivery.tracking_token])
        return redirect(f"{url}?lang={lang}")


def demo_checkout_confirmation(request, token: str):
    delivery = _delivery_by_token(token)
    if delivery is None:
        return _expired(request)
    with translation.override(_language(request, delivery.language)):
        return render(request, "scheduling/demo_confirmation.html", {
            "delivery": delivery, "merchant": delivery.merchant, "tz": delivery.merchant.time_zone,
            "tracking_url": f"{settings.PUBLIC_BASE_URL}/t/{delivery.tracking_token}/",
            "tracking_path": f"/t/{delivery.tracking_token}/",
            "reschedule_url": reverse("scheduling:reschedule", args=[delivery.tracking_token]),
        })
