"""The customer's tracking page, its JSON twin, the two forms on it, its proof images, and "find my parcel"."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import clock
from core.audit import ActorKind, audit_actor_name
from core.errors import DomainError
from core.throttle import throttle
from merchants.models import Merchant
from scheduling.drop import Drop, drop_from_form
from scheduling.errors import SchedulingErrorCode
from scheduling.models import Delivery
from scheduling.selectors import delivery_for_token
from scheduling.services import access_notes_from_form
from scheduling.windows import safe_drop_offered
from tracking import selectors, services
from tracking.calendar import delivery_calendar
from tracking.forms import ParcelLookupForm
from tracking.lookup import delivery_find
from tracking.proof_files import proof_image_response, proof_part


def _language(request: HttpRequest, delivery: Delivery) -> str:
    offered = {code for code, _name in settings.LANGUAGES}
    wanted = request.GET.get("lang") or request.POST.get("lang") or delivery.language or delivery.merchant.default_language
    return wanted if wanted in offered else "en"


def _private(response: HttpResponse) -> HttpResponse:
    # The token in the URL is the only key: keep it out of referrers, caches and search engines.
    # "same-origin" rather than "no-referrer": other sites never see the URL, while the page's own forms
    # still carry its origin. With "no-referrer" Chromium posts `Origin: null` and Django's CSRF check
    # refuses every form on the page.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    # Unknown and expired links answer exactly alike.
    return _private(render(request, "tracking/not_found.html", status=404))


@throttle("tracking_page")
@require_GET
@never_cache
def tracking_page(request: HttpRequest, token: str) -> HttpResponse:
    delivery = delivery_for_token(token=token, now=clock.now())
    if delivery is None:
        return _not_found(request)
    language = _language(request, delivery)
    with translation.override(language):
        response = _render_page(request, delivery=delivery, token=token, language=language,
                                saved=request.GET.get("saved", ""), error=request.GET.get("error", ""))
    return _private(response)


def _render_page(request: HttpRequest, *, delivery: Delivery, token: str, language: str, saved: str = "",
                 error: str = "", error_message: str = "", drop: Drop | None = None,
                 drop_errors: dict | None = None, status: int = 200) -> HttpResponse:
    """The page, in the active language; a refused form shows it again with what was posted and why."""
    context = {
        "delivery": delivery, "status": selectors.public_status(delivery=delivery, now=clock.now()), "token": token,
        "language": language, "languages": [(code, name) for code, name in settings.LANGUAGES],
        "safe_drop_offered": safe_drop_offered(merchant=delivery.merchant, window=delivery.window),
        "drop": drop or Drop.of(delivery), "drop_errors": drop_errors or {},
        "saved": saved, "error": error, "error_message": error_message,
        "map_tile_url": settings.MAP_TILE_URL, "map_attribution": settings.MAP_TILE_ATTRIBUTION,
        "status_url": reverse("tracking:status", args=[token]),
        "ws_path": f"/ws/t/{token}/",
    }
    return render(request, "tracking/page.html", context, status=status)


@throttle("tracking_status", as_json=True)
@require_GET
@never_cache
def tracking_status(request: HttpRequest, token: str) -> HttpResponse:
    delivery = delivery_for_token(token=token, now=clock.now())
    if delivery is None:
        return _private(JsonResponse({"error": {"code": "not_found", "message": "Not found."}}, status=404))
    with translation.override(_language(request, delivery)):
        return _private(JsonResponse(selectors.public_status(delivery=delivery, now=clock.now())))


def _back(token: str, language: str, **flags: str) -> HttpResponse:
    query = "&".join(f"{k}={v}" for k, v in {"lang": language, **flags}.items())
    return redirect(f"{reverse('tracking:page', args=[token])}?{query}")


@throttle("tracking_page")
@require_POST
def tracking_instructions(request: HttpRequest, token: str) -> HttpResponse:
    delivery = delivery_for_token(token=token, now=clock.now())
    if delivery is None:
        return _not_found(request)
    audit_actor_name(label="customer (tracking link)", kind=ActorKind.CUSTOMER)
    language = _language(request, delivery)
    drop = drop_from_form(posted=request.POST, current=Drop.of(delivery))
    with translation.override(language):
        try:
            services.delivery_instructions_edit(
                delivery=delivery, access_notes=access_notes_from_form(
                    posted=request.POST.get("access_notes", ""), clear=request.POST.get("access_notes_clear") == "on",
                    current=delivery.access_notes),
                drop=drop,
            )
        except DomainError as error:
            if error.code == SchedulingErrorCode.INSTRUCTIONS_LOCKED:
                delivery.refresh_from_db(fields=["status"])  # a scan-out that landed meanwhile: the page says so
            # Shown again with the choice as posted and the message (a stale form after scan-out: no form).
            return _private(_render_page(
                request, delivery=delivery, token=token, language=language, error=error.code,
                error_message=error.message, drop=drop, drop_errors=error.fields, status=error.status_code))
    return _back(token, language, saved="instructions")


@throttle("tracking_page")
@require_POST
def tracking_rating(request: HttpRequest, token: str) -> HttpResponse:
    delivery = delivery_for_token(token=token, now=clock.now())
    if delivery is None:
        return _not_found(request)
    language = _language(request, delivery)
    try:
        stars = int(request.POST.get("stars", "0"))
    except ValueError:
        stars = 0
    try:
        services.rating_create(delivery=delivery, stars=stars, comment=request.POST.get("comment", ""))
    except DomainError as error:
        return _back(token, language, error=error.code)
    return _back(token, language, saved="rating")


@throttle("tracking_page")
@require_GET
def tracking_proof_image(request: HttpRequest, token: str, part: str) -> HttpResponse:
    """The proof's photo or signature, through the link's token: gone with the link, 404 like the page."""
    delivery = delivery_for_token(token=token, now=clock.now())
    kind = proof_part(part)
    proof = selectors.public_proof(delivery) if delivery is not None and kind is not None else None
    response = proof_image_response(proof=proof, part=kind) if proof is not None else None
    if response is None:
        return _not_found(request)
    _private(response)
    response["Cache-Control"] = "private, no-store"
    return response


# --- Find my parcel ----------------------------------------------------------------------------------


def _merchant_language(request: HttpRequest, merchant: Merchant) -> str:
    offered = {code for code, _name in settings.LANGUAGES}
    wanted = request.GET.get("lang") or merchant.default_language
    return wanted if wanted in offered else "en"


def _lookup_page(request: HttpRequest, *, merchant: Merchant, form: ParcelLookupForm, status: int = 200,
                 not_found: bool = False) -> HttpResponse:
    language = _merchant_language(request, merchant)
    with translation.override(language):
        response = render(request, "tracking/find.html", {
            "brand": selectors.brand_payload(merchant), "merchant": merchant, "form": form, "not_found": not_found,
            "language": language, "languages": list(settings.LANGUAGES),
        }, status=status)
    return _private(response)


def _unknown_shop(request: HttpRequest) -> HttpResponse:
    wanted = request.GET.get("lang", "")
    language = wanted if wanted in {code for code, _name in settings.LANGUAGES} else translation.get_language()
    with translation.override(language):
        return _private(render(request, "tracking/find_unknown_shop.html", status=404))


@require_http_methods(["GET", "POST"])
def parcel_lookup(request: HttpRequest, merchant_slug: str) -> HttpResponse:
    """A merchant's branded "find my parcel" page: order number plus postcode or email lead to the tracking page."""
    if request.method == "POST":
        return _parcel_lookup_post(request, merchant_slug=merchant_slug)
    return _parcel_lookup_form(request, merchant_slug=merchant_slug)


@throttle("tracking_page")
def _parcel_lookup_form(request: HttpRequest, *, merchant_slug: str) -> HttpResponse:
    merchant = Merchant.objects.filter(slug=merchant_slug).first()
    if merchant is None:
        return _unknown_shop(request)
    return _lookup_page(request, merchant=merchant, form=ParcelLookupForm())


@throttle("parcel_lookup")
def _parcel_lookup_post(request: HttpRequest, *, merchant_slug: str) -> HttpResponse:
    # Each try spends the client's small budget, found or not: references cannot be walked through.
    merchant = Merchant.objects.filter(slug=merchant_slug).first()
    if merchant is None:
        return _unknown_shop(request)
    form = ParcelLookupForm(request.POST)
    if not form.is_valid():
        return _lookup_page(request, merchant=merchant, form=form, status=400)
    delivery = delivery_find(merchant=merchant, reference=form.cleaned_data["reference"],
                             contact=form.cleaned_data["contact"], now=clock.now())
    if delivery is None:
        # Unknown reference, wrong postcode or email, expired link: one answer for all.
        return _lookup_page(request, merchant=merchant, form=form, status=404, not_found=True)
    language = _merchant_language(request, merchant)
    response = redirect(f"{reverse('tracking:page', args=[delivery.tracking_token])}?lang={language}")
    response.status_code = 303  # the tracking page is fetched with GET, whatever the form was sent with
    return _private(response)


@throttle("tracking_calendar")
@require_GET
@never_cache
def tracking_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The promised window as an .ics file, through the same token as the page (unknown or expired: 404)."""
    delivery = delivery_for_token(token=token, now=clock.now())
    if delivery is None:
        return _not_found(request)
    tracking_url = f"{settings.PUBLIC_BASE_URL}{reverse('tracking:page', args=[token])}"
    with translation.override(_language(request, delivery)):
        body = delivery_calendar(delivery=delivery, tracking_url=tracking_url, now=clock.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="delivery.ics"'
    return _private(response)
