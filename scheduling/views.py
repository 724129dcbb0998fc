"""Pages: the customer's reschedule link, the embeddable picker's iframe and its embedding guide."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core import clock
from core.audit import ActorKind, audit_actor_name
from core.errors import DomainError
from core.throttle import throttle
from merchants.models import ApiKey, Merchant
from merchants.services import api_key_authenticate, merchant_allowed_origins
from scheduling import embedding, services
from scheduling.drop import Drop, drop_from_form, drop_problem
from scheduling.errors import SchedulingError, SchedulingErrorCode
from scheduling.labels import street_without_number
from scheduling.models import Window
from scheduling.selectors import delivery_for_token, delivery_reschedule_offers
from scheduling.windows import WindowOffer, offers_by_day, safe_drop_offered, window_offers_at_address

LANGS = {code for code, _name in settings.LANGUAGES}


def page_language(request, fallback: str) -> str:
    wanted = request.GET.get("lang") or request.POST.get("lang") or fallback
    return wanted if wanted in LANGS else "en"


def expired_page(request, merchant: Merchant | None = None):
    return render(request, "scheduling/expired.html", {"merchant": merchant}, status=404)


@throttle("reschedule")
@require_http_methods(["GET", "POST"])
def reschedule(request, token: str):
    """The customer's self-service page: another feasible window and drop instructions, in one step."""
    delivery = delivery_for_token(token=token, now=clock.now())
    if delivery is None:
        with translation.override(page_language(request, translation.get_language() or "en")):
            return expired_page(request)
    audit_actor_name(label="customer (tracking link)", kind=ActorKind.CUSTOMER)
    merchant = delivery.merchant
    with translation.override(page_language(request, delivery.language)):
        now = clock.now()
        closes_at = services.reschedule_closes_at(delivery=delivery)
        closed = not services.reschedule_open(delivery=delivery, now=now)
        # On the van and expected after the window: only the time can change (the van's stop is set).
        from_van = services.delivery_running_late(delivery)
        offered = safe_drop_offered(merchant=merchant, window=delivery.window)
        error, drop, drop_errors = None, Drop.of(delivery), {}
        if request.method == "POST" and not closed:
            drop = drop_from_form(posted=request.POST, current=drop)
            try:
                # Checked before a move, so a refused choice does not leave the window moved behind the error.
                problem = drop_problem(drop.normalised(), before=Drop.of(delivery), safe_place_offered=offered)
                if problem is not None:
                    raise SchedulingError(problem.code, problem.message, fields=problem.fields)
                window_id = request.POST.get("window_id", "")
                if from_van and not window_id:
                    raise DomainError(SchedulingErrorCode.INVALID_REQUEST, _("Pick the new time you would like."),
                                      fields={"window_id": [_("Pick the new time you would like.")]})
                if window_id:
                    window = Window.objects.filter(pk=window_id if window_id.isdigit() else 0,
                                                   merchant=merchant).select_related("template", "zone__depot").first()
                    if window is None:
                        raise DomainError(SchedulingErrorCode.WINDOW_NOT_FOUND, _("That window is no longer offered."))
                    services.delivery_reschedule(delivery=delivery, window=window, now=now,
                                                 closes_before_minutes=settings.RESCHEDULE_CLOSES_MINUTES)
                if from_van:
                    return redirect(f"{reverse('scheduling:reschedule', args=[token])}?done=1&lang={translation.get_language()}")
                services.delivery_update_instructions(
                    delivery=delivery, access_notes=services.access_notes_from_form(
                        posted=request.POST.get("access_notes", ""), clear=request.POST.get("access_notes_clear") == "on",
                        current=delivery.access_notes),
                    drop=drop,
                )
                return redirect(f"{reverse('scheduling:reschedule', args=[token])}?done=1&lang={translation.get_language()}")
            except DomainError as exc:
                error, drop_errors = _message_for(exc), exc.fields
        offers = [] if closed else delivery_reschedule_offers(delivery=delivery, now=now)
        return render(request, "scheduling/reschedule.html", {
            "delivery": delivery, "merchant": merchant, "tz": merchant.time_zone, "offers": offers,
            "days": offers_by_day(offers, merchant), "closed": closed, "closes_at": closes_at,
            "safe_drop_offered": offered, "drop": drop, "drop_errors": drop_errors, "error": error,
            "done": request.GET.get("done") == "1", "from_van": from_van,
            "lang": translation.get_language(), "street": street_without_number(delivery.address_line1),
        })


def _message_for(exc: DomainError) -> str:
    messages = {
        SchedulingErrorCode.WINDOW_FULL: _("Sorry, that window has just filled up. Please pick another one."),
        SchedulingErrorCode.CUTOFF_PASSED: _("Sorry, that window is no longer open for booking. Please pick another one."),
        SchedulingErrorCode.RESCHEDULE_CLOSED: _("It is too late to change this delivery online."),
        SchedulingErrorCode.NOT_RESCHEDULABLE: _("This delivery can no longer be changed."),
        SchedulingErrorCode.WINDOW_NOT_FOUND: _("That window is no longer offered."),
    }
    return messages.get(exc.code, exc.message)


def _float(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def offers_for_fallback(*, merchant: Merchant, lat: str, lng: str, postcode: str) -> list[WindowOffer]:
    """The windows a page lists for browsers without JavaScript; none when the address is not served."""
    try:
        return window_offers_at_address(merchant=merchant, lat=_float(lat), lng=_float(lng), postcode=postcode[:16],
                                        now=clock.now())
    except DomainError:
        return []


def _own_origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@throttle("embed")
@xframe_options_exempt
def embed_windows(request):
    """The picker as an iframe; only the merchant's registered origins may frame it (CSP frame-ancestors)."""
    raw = request.GET.get("key", "")
    key = api_key_authenticate(raw_key=raw, kind=ApiKey.Kind.PUBLISHABLE) if raw else None
    if key is None:
        # Any page may frame this one, so a mistyped key reads as a sentence rather than a broken frame.
        with translation.override(page_language(request, translation.get_language() or "en")):
            problem = embedding.embed_problem(status=embedding.EmbedStatus.UNKNOWN_KEY, origin="")
            response = render(request, "scheduling/embed_invalid.html", {
                "problem": problem, "lang": translation.get_language()}, status=401)
        # django-csp's per-response override (what its csp_replace decorator sets): the site's policy otherwise.
        response._csp_replace = {"frame-ancestors": ["*"]}
        return response
    merchant = key.merchant
    lang = page_language(request, merchant.default_language)
    lat, lng, postcode = request.GET.get("lat", ""), request.GET.get("lng", ""), request.GET.get("postcode", "")
    with translation.override(lang):
        offers = [o for o in offers_for_fallback(merchant=merchant, lat=lat, lng=lng, postcode=postcode) if o.available]
        response = render(request, "scheduling/embed.html", {
            "merchant": merchant, "api_key": raw, "lat": lat, "lng": lng, "postcode": postcode, "lang": lang,
            "parent_origins": " ".join(merchant_allowed_origins(merchant=merchant)),
            "days": offers_by_day(offers, merchant), "tz": merchant.time_zone,
        })
    response._csp_replace = {"frame-ancestors": embedding.frame_ancestors(merchant=merchant)}
    return response


@throttle("embed", as_json=True)
@never_cache
@require_GET
def embed_check(request):
    """May the calling page show the picker with this key? Readable by every origin, so the picker can explain
    what the browser's CORS error hides (and the iframe loader what frame-ancestors hides)."""
    check = embedding.embed_check(raw_key=request.GET.get("key", "").strip(), origin=request.headers.get("Origin", ""),
                                  own_origin=_own_origin(request))
    body: dict = {"status": check.status.value, "origin": check.origin}
    with translation.override(page_language(request, "en")):
        problem = embedding.embed_problem(status=check.status, origin=check.origin)
    if problem is not None:
        body |= {"title": problem.title, "message": problem.message, "hint": problem.hint,
                 "settings_url": request.build_absolute_uri(reverse("merchants:settings"))}
    response = JsonResponse(body)
    response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Origin"
    return response


def _settings_path(guide, name: str) -> str:
    """The guide's merchant's settings page of that name, or the settings home when no merchant is known."""
    return reverse(name, args=[guide.merchant.slug]) if guide.merchant else reverse("merchants:settings")


@require_GET
def embed_docs(request):
    """The embedding guide: snippets with the reader's own publishable key, attributes, events, theming, origins."""
    guide = embedding.embed_guide(user=request.user, merchant_slug=request.GET.get("merchant", ""))
    example_origin = guide.origins[0] if guide.origins else "https://shop.example.com"
    problems = []
    for lang, name in settings.LANGUAGES:
        with translation.override(lang):
            problems.append((lang, name, embedding.embed_problem(
                status=embedding.EmbedStatus.ORIGIN_NOT_REGISTERED, origin="https://unregistered.example")))
    base = _own_origin(request)
    return render(request, "scheduling/embed_docs.html", {
        "guide": guide, "base": base, "problems": problems, "example_origin": example_origin,
        "picker_src": base + static("scheduling/picker.js"), "loader_src": base + static("scheduling/embed.js"),
        "embed_url": base + reverse("scheduling:embed-windows"), "settings_origins_path": _settings_path(guide, "merchants:settings-origins"),
        "settings_keys_path": _settings_path(guide, "merchants:settings-keys"),
        "login_url": f"{settings.LOGIN_URL}?next={request.path}",
    })
