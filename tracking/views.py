"""The customer's tracking page, its JSON twin, and the two forms on it."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.audit import ActorKind, audit_actor_name
from core.errors import DomainError
from core.throttle import throttle
from scheduling.drop import Drop, drop_from_form
from scheduling.errors import SchedulingErrorCode
from scheduling.models import Delivery
from scheduling.selectors import delivery_for_token
from scheduling.services import access_notes_from_form
from scheduling.windows import safe_drop_offered
from tracking import selectors, services
from tracking.calendar import delivery_calendar


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
