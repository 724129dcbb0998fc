"""The merchant settings pages of this app: brand, embed origins, API keys, for the shop's owners.

Every page is under /settings/<merchant slug>/ and goes through `owner_settings_page`: signed in, staff of
that merchant (a merchant a user is not staff of does not exist for them: 404), and allowed to change its
settings (an owner, or a superuser; other roles get a 403 page that says so). Each change is a POST that
calls one service and redirects, so a reload never repeats it. The notifications app mounts its tabs
(messages, webhooks) under the same prefix with the same decorator.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.contrast import WHITE, contrast_ratio
from merchants.brand import (
    CONTRAST_WARNING,
    MIN_TEXT_CONTRAST,
    support_phone_display,
    white_text_contrast_warning,
)
from merchants.errors import MerchantError
from merchants.forms import ApiKeyCreateForm, BrandForm, OriginForm
from merchants.models import AllowedOrigin, ApiKey, Merchant, hex_colour
from merchants.services import (
    allowed_origin_add,
    allowed_origin_remove,
    api_key_create,
    api_key_revoke,
    api_key_roll,
    merchant_brand_update,
)
from merchants.staff import SettingsPlace, settings_place, settings_places

# Where a key just created or rolled waits, in the owner's session, for the one page that shows it.
NEW_KEY_SESSION = "merchants.settings.new_api_key"


def forbidden(request, places: list[SettingsPlace]):
    return render(request, "merchants/settings/forbidden.html", {"places": places}, status=403)


def owner_settings_page(view):
    """Signed in, staff of the merchant in the URL, and allowed to change its settings; never cached.

    The view is called with the merchant in place of its slug.
    """

    @wraps(view)
    def wrapped(request, slug, *args, **kwargs):
        place = settings_place(user=request.user, slug=slug)
        if place is None:
            raise Http404("You are not on the staff of a merchant with this address.")
        if not place.may_edit:
            return forbidden(request, [place])
        request.settings_place = place
        return view(request, place.merchant, *args, **kwargs)

    return login_required(never_cache(wrapped))


def settings_render(request, template: str, context: dict, *, tab: str, status: int = 200):
    """A settings page: the tab bar, the merchant switcher and the page's own context."""
    place: SettingsPlace = request.settings_place
    places = [p for p in settings_places(user=request.user) if p.may_edit]
    return render(request, template, {"merchant": place.merchant, "place": place, "places": places, "tab": tab,
                                      **context}, status=status)


def form_errors_from(form, error: ValidationError) -> None:
    """A service's ValidationError on the form: under the field it names when the form has it, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


@login_required
@never_cache
def settings_home(request):
    """/settings/: straight to the one merchant a user owns; a chooser when there are several."""
    places = settings_places(user=request.user)
    editable = [place for place in places if place.may_edit]
    if not editable:
        return forbidden(request, places)
    if len(places) == 1:
        return redirect("merchants:settings-brand", editable[0].merchant.slug)
    return render(request, "merchants/settings/chooser.html", {"places": places})


@owner_settings_page
def settings_merchant(request, merchant: Merchant):
    return redirect("merchants:settings-brand", merchant.slug)


# --- Brand ------------------------------------------------------------------------------------------------

def _preview_colours(form: BrandForm, merchant: Merchant) -> tuple[str, str]:
    """The colours the preview starts with: what was posted when it is a colour, else what is saved."""
    colours = []
    for name in ("primary_colour", "accent_colour"):
        value = form.data.get(name, "") if form.is_bound else ""
        try:
            hex_colour(value)
        except ValidationError:
            value = getattr(merchant, name)
        colours.append(value.lower())
    return colours[0], colours[1]


@owner_settings_page
@require_http_methods(["GET", "POST"])
def brand(request, merchant: Merchant):
    form = BrandForm(request.POST or None, request.FILES or None, merchant=merchant)
    if form.is_bound and form.is_valid():
        try:
            merchant = merchant_brand_update(merchant=merchant, values=form.brand_values(),
                                             logo=form.cleaned_data["logo"], remove_logo=form.cleaned_data["remove_logo"])
        except ValidationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, "Brand saved. Pages and messages use it from now on.")
            if warning := white_text_contrast_warning(merchant.primary_colour):
                messages.warning(request, warning)
            return redirect("merchants:settings-brand", merchant.slug)
    primary, accent = _preview_colours(form, merchant)
    return settings_render(request, "merchants/settings/brand.html", {
        "form": form, "preview_primary": primary, "preview_accent": accent,
        "contrast_warning": white_text_contrast_warning(primary),
        "contrast_ratio": contrast_ratio(primary, WHITE), "min_contrast": MIN_TEXT_CONTRAST,
        "contrast_message": CONTRAST_WARNING, "support_phone": support_phone_display(merchant.support_phone),
    }, tab="brand", status=400 if form.is_bound else 200)


# --- Embed origins ----------------------------------------------------------------------------------------

@owner_settings_page
@require_http_methods(["GET", "POST"])
def origins(request, merchant: Merchant):
    form = OriginForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            added = allowed_origin_add(merchant=merchant, origin=form.cleaned_data["origin"])
        except MerchantError as error:
            form.add_error("origin", error.fields.get("origin", [error.message]))
        else:
            messages.success(request, f"{added.origin} may now embed the picker and call the browser API.")
            return redirect("merchants:settings-origins", merchant.slug)
    return settings_render(request, "merchants/settings/origins.html", {
        "form": form, "origins": AllowedOrigin.objects.filter(merchant=merchant).order_by("origin"),
    }, tab="origins", status=400 if form.is_bound else 200)


@owner_settings_page
@require_POST
def origin_remove(request, merchant: Merchant, origin_id: int):
    origin = get_object_or_404(AllowedOrigin, pk=origin_id, merchant=merchant)
    allowed_origin_remove(origin=origin)
    messages.success(request, f"{origin.origin} is no longer allowed: pages there cannot show the picker any more.")
    return redirect("merchants:settings-origins", merchant.slug)


# --- API keys ---------------------------------------------------------------------------------------------

def _remember_new_key(request, key: ApiKey, raw: str) -> None:
    request.session[NEW_KEY_SESSION] = {"merchant_id": key.merchant_id, "key_id": key.pk, "raw": raw}


def _take_new_key(request, merchant: Merchant) -> dict | None:
    """The key created a moment ago, once: taken out of the session as it is shown."""
    waiting = request.session.get(NEW_KEY_SESSION)
    if not waiting or waiting.get("merchant_id") != merchant.pk:
        return None
    del request.session[NEW_KEY_SESSION]
    key = ApiKey.objects.filter(pk=waiting["key_id"], merchant=merchant).first()
    return {"key": key, "raw": waiting["raw"]} if key else None


@owner_settings_page
@require_http_methods(["GET", "POST"])
def api_keys(request, merchant: Merchant):
    form = ApiKeyCreateForm(request.POST or None)
    if form.is_bound and form.is_valid():
        key, raw = api_key_create(merchant=merchant, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"])
        _remember_new_key(request, key, raw)
        return redirect("merchants:settings-keys", merchant.slug)
    keys = ApiKey.objects.filter(merchant=merchant).order_by("revoked_at", "kind", "-created_at")
    return settings_render(request, "merchants/settings/keys.html", {
        "form": form, "keys": keys, "new_key": None if form.is_bound else _take_new_key(request, merchant),
    }, tab="keys", status=400 if form.is_bound else 200)


def _active_key(merchant: Merchant, key_id: int) -> ApiKey:
    return get_object_or_404(ApiKey, pk=key_id, merchant=merchant, revoked_at__isnull=True)


@owner_settings_page
@require_http_methods(["GET", "POST"])
def api_key_roll_confirm(request, merchant: Merchant, key_id: int):
    key = _active_key(merchant, key_id)
    if request.method == "POST":
        new_key, raw = api_key_roll(key=key)
        _remember_new_key(request, new_key, raw)
        messages.success(request, f"Key {key.prefix}… is revoked and replaced by {new_key.prefix}…")
        return redirect("merchants:settings-keys", merchant.slug)
    return settings_render(request, "merchants/settings/key_confirm.html", {"key": key, "action": "roll"}, tab="keys")


@owner_settings_page
@require_http_methods(["GET", "POST"])
def api_key_revoke_confirm(request, merchant: Merchant, key_id: int):
    key = _active_key(merchant, key_id)
    if request.method == "POST":
        api_key_revoke(key=key)
        messages.success(request, f"Key {key.prefix}… is revoked: calls with it are refused from now on.")
        return redirect("merchants:settings-keys", merchant.slug)
    return settings_render(request, "merchants/settings/key_confirm.html", {"key": key, "action": "revoke"},
                           tab="keys")
