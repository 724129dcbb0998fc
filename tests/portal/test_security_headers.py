"""Every page the site answers runs under one strict Content-Security-Policy, and says how it may be referred
to and which browser features it may use.

The walk below resolves every route from the URL configuration, so a route added tomorrow is walked too;
a route whose path it cannot fill fails the test instead of being skipped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize

from care.models import JourneyException
from dispatch.models import Vehicle
from merchants.models import AllowedOrigin, ApiKey, Merchant, WebhookEndpoint
from merchants.services import api_key_create
from notifications.models import Message, MessageTemplate
from scheduling.models import Delivery
from tests.care.factories import JourneyExceptionFactory
from tests.factories import AllowedOriginFactory
from tracking.models import Carrier

# --- Reading a policy and a page --------------------------------------------------------------------------


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def nonce_of(policy: dict[str, list[str]]) -> str:
    nonces = [s[len("'nonce-"):-1] for s in policy.get("script-src", []) if s.startswith("'nonce-")]
    return nonces[0] if len(nonces) == 1 else ""


class PageScan(HTMLParser):
    """What in a page the policy decides on: scripts, style blocks, inline handlers, style attributes."""

    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []  # {"src": …, "nonce": …, "type": …}
        self.styles: list[dict] = []
        self.handlers: list[str] = []
        self.javascript_urls: list[str] = []
        self.style_attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
        elif tag == "style":
            self.styles.append(attributes)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith("javascript:"):
                self.javascript_urls.append(f"<{tag} {name}={value}>")
            if name == "style":
                self.style_attributes.append(f"<{tag} style={value!r}>")


EXECUTABLE = {"", "text/javascript", "application/javascript", "module"}


def page_problems(response, host: str) -> list[str]:
    """What would let code run that the policy is meant to stop, or what the policy would refuse to run."""
    policy_header = response.get("Content-Security-Policy", "")
    if not policy_header:
        return ["no Content-Security-Policy"]
    policy = directives(policy_header)
    problems = []
    script_src = policy.get("script-src", [])
    nonce = nonce_of(policy)
    if "'self'" not in script_src or not nonce:
        problems.append(f"script-src is not 'self' with a nonce: {script_src}")
    for weak in ("'unsafe-inline'", "'unsafe-eval'", "*", "https:", "http:", "data:"):
        if weak in script_src or weak in policy.get("default-src", []):
            problems.append(f"script-src or default-src allows {weak}")
    if policy.get("object-src") != ["'none'"]:
        problems.append(f"object-src is {policy.get('object-src')}")
    if policy.get("base-uri") != ["'self'"]:
        problems.append(f"base-uri is {policy.get('base-uri')}")
    if not policy.get("frame-ancestors"):
        problems.append("no frame-ancestors")
    if "'unsafe-inline'" in policy.get("style-src", []):
        problems.append("style-src allows 'unsafe-inline'")

    scan = PageScan()
    scan.feed(response.content.decode(response.charset or "utf-8", errors="replace"))
    for script in scan.scripts:
        if script.get("src"):
            where = urlsplit(script["src"])
            if where.netloc and where.netloc != host:
                problems.append(f"script from another site: {script['src']}")
        elif (script.get("type") or "").lower() in EXECUTABLE and script.get("nonce") != nonce:
            problems.append(f"inline script without the page's nonce: {script}")
    for style in scan.styles:
        if style.get("nonce") != nonce:
            problems.append(f"<style> without the page's nonce: {style}")
    problems += [f"inline event handler {h}" for h in scan.handlers]
    problems += [f"javascript: URL {u}" for u in scan.javascript_urls]
    if "'unsafe-inline'" not in policy.get("style-src-attr", []):
        problems += [f"style attribute the policy refuses {s}" for s in scan.style_attributes]
    return problems


# --- Every route, filled from the demo city ----------------------------------------------------------------


def leaf_routes(patterns, prefix: str = ""):
    """(regex of the whole path, route) for every route, nested includes unfolded."""
    for pattern in patterns:
        regex = prefix + pattern.pattern.regex.pattern.lstrip("^")
        if isinstance(pattern, URLResolver):
            yield from leaf_routes(pattern.url_patterns, regex.removesuffix("$").removesuffix(r"\Z"))
        else:
            assert isinstance(pattern, URLPattern)
            yield regex, pattern


class City:
    """The demo city, with one of everything a path names (seeded, or added here when the seed has none)."""

    def __init__(self):
        call_command("seed_demo", stdout=StringIO(), days=2, scale=0.15, plan_seconds=0.5)
        self.merchant = Merchant.objects.order_by("pk").first()
        self.delivery = Delivery.objects.filter(merchant=self.merchant).order_by("pk").first()
        if not AllowedOrigin.objects.filter(merchant=self.merchant).exists():
            AllowedOriginFactory(merchant=self.merchant, origin="https://shop.example.com")
        self.publishable_key = api_key_create(merchant=self.merchant, kind=ApiKey.Kind.PUBLISHABLE)[1]
        if not WebhookEndpoint.objects.filter(merchant=self.merchant).exists():
            WebhookEndpoint.objects.create(merchant=self.merchant, url="https://shop.example.com/hooks",
                                           secret="whsec_" + "A" * 43 + "=")
        if not MessageTemplate.objects.filter(merchant=self.merchant).exists():
            MessageTemplate.objects.create(merchant=self.merchant, trigger="booked", language="en", channel="email",
                                           subject="Booked", body="Your {brand} delivery is booked.")
        if not JourneyException.objects.exists():
            JourneyExceptionFactory(delivery=self.delivery)
        Group.objects.get_or_create(name="Dispatchers")

    def first(self, queryset, what: str):
        row = queryset.order_by("pk").first()
        assert row is not None, f"the demo city has no {what} to put in a path: add one in City"
        return row

    def value(self, name: str, route: URLPattern) -> str:
        merchant = self.merchant
        endpoint = lambda: self.first(WebhookEndpoint.objects.filter(merchant=merchant), "webhook endpoint")  # noqa: E731
        fillers = {
            "slug": lambda: merchant.slug,
            "merchant_slug": lambda: merchant.slug,
            "part": lambda: "photo",
            "token": lambda: self.delivery.tracking_token,
            "delivery_id": lambda: str(self.delivery.pk),
            "origin_id": lambda: self.first(AllowedOrigin.objects.filter(merchant=merchant), "allowed origin").pk,
            "key_id": lambda: self.first(ApiKey.objects.filter(merchant=merchant), "API key").pk,
            "template_id": lambda: self.first(MessageTemplate.objects.filter(merchant=merchant), "message template").pk,
            "endpoint_id": lambda: endpoint().pk,
            "message_id": lambda: self.first(Message.objects.all(), "message").pk,
            "exception_id": lambda: self.first(JourneyException.objects.all(), "journey exception").pk,
            # The disruption routes change state (POST, PATCH): their GET answer is what is checked here.
            "disruption_id": lambda: 999999,
            "action": lambda: "take",
            "vehicle_id": lambda: self.first(Vehicle.objects.all(), "vehicle").pk,
            "code": lambda: self.first(Carrier.objects.all(), "carrier").code,
            "name": lambda: "no-such-logo.png",
            "app_label": lambda: "merchants",
            "url": lambda: "no-such-admin-page/",
            "content_type_id": lambda: ContentType.objects.get_for_model(Merchant).pk,
            "path": lambda: "no-such-upload.png",  # the uploads route, there when DEBUG was on at import
        }
        if name in ("object_id", "id"):
            model_admin = getattr(route.callback, "model_admin", None)
            model = model_admin.model if model_admin else Merchant
            row = model._default_manager.order_by("pk").first()
            # A model the demo never fills (holds, opt-outs…) is still walked: its add page renders the same
            # form as its change page, and the change page answers the admin's "no such row" redirect.
            return str(row.pk) if row else "0"
        assert name in fillers, f"no value for <{name}> in {route.pattern}: teach City.value how to fill it"
        return str(fillers[name]())


# Pages whose real content needs a query string; without it they answer a shorter page.
QUERIES = {
    "scheduling:embed-windows": lambda city: {"key": city.publishable_key, "lat": "48.8566", "lng": "2.3522"},
    "scheduling:embed-docs": lambda city: {"merchant": city.merchant.slug},
}


def route_name(route: URLPattern, regex: str) -> str:
    namespace = {"merchants", "dispatch", "scheduling", "tracking", "notifications", "care", "demo"}
    for app in namespace:  # the apps' page routes are mounted with their app's namespace
        if route.callback.__module__.startswith(f"{app}.") and not regex.startswith("api/"):
            return f"{app}:{route.name}"
    return route.name or ""


@pytest.mark.django_db(transaction=True)
@override_settings(MAP_TILE_URL="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
def test_every_page_runs_only_our_own_and_nonced_scripts(client):
    city = City()
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    assert admin_site._registry, "the admin has models to walk"

    walked, html_pages, problems = 0, {}, []
    for regex, route in leaf_routes(get_resolver().url_patterns):
        template, names = normalize(regex)[0]
        path = "/" + template % {name: city.value(name, route) for name in names}
        # The path fits its route; the route an earlier one shadows (one path, two routes) is answered by that one.
        assert re.match(regex, path.removeprefix("/")), f"{path} does not fit {route.pattern}: fill it better"
        resolve(path)  # and some route takes it (Resolver404 otherwise)
        query = QUERIES.get(route_name(route, regex), lambda city: {})(city)
        response = client.get(path, query)
        walked += 1
        if "text/html" in response.get("Content-Type", ""):
            html_pages[path] = response.status_code
            problems += [f"{path} ({response.status_code}): {p}" for p in page_problems(response, "testserver")]

    assert walked > 100
    assert not problems, "\n".join(problems)
    # The walk reached the pages people use, not only their error pages.
    for page in ("/", f"/t/{city.delivery.tracking_token}/", f"/t/{city.delivery.tracking_token}/reschedule/",
                 f"/care/deliveries/{city.delivery.pk}/", "/care/", "/dispatch/", "/embed/windows/", "/docs/embed/",
                 "/api/docs/", "/api/redoc/", "/admin/", f"/settings/{city.merchant.slug}/brand/",
                 "/demo/checkout/", "/demo/messages/", "/demo/webhook-inbox/", f"/find/{city.merchant.slug}/"):
        assert html_pages.get(page) == 200, f"{page} answered {html_pages.get(page)}"


# --- Headers ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_keep_their_address_from_other_sites_but_not_from_their_own_forms(client):
    response = client.get("/accounts/login/")
    # Same-origin requests (form posts included) carry the referrer and Origin Django's CSRF check reads;
    # other sites, such as the map's tile server, never see a tracking link's token.
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_pages_may_not_use_the_camera_the_microphone_payments_or_the_location(client):
    response = client.get("/accounts/login/")
    features = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "payment", "usb", "geolocation"):
        assert features[feature] == "()", feature


@pytest.mark.django_db
def test_a_page_may_be_framed_by_none_but_the_picker_by_the_merchants_origins(client, merchant, publishable_key):
    AllowedOriginFactory(merchant=merchant, origin="https://shop.example.com")

    page = directives(client.get("/accounts/login/")["Content-Security-Policy"])
    picker = directives(client.get("/embed/windows/", {"key": publishable_key, "lat": 48.86, "lng": 2.35})
                        ["Content-Security-Policy"])

    assert page["frame-ancestors"] == ["'none'"]
    assert picker["frame-ancestors"] == ["'self'", "https://shop.example.com"]
    # Still strict inside the frame: our scripts and the page's nonce, nothing else.
    assert picker["script-src"][0] == "'self'" and picker["script-src"][1].startswith("'nonce-")
    assert len(picker["script-src"]) == 2


@pytest.mark.django_db
def test_the_map_tiles_come_from_the_configured_host_and_nowhere_else(client):
    policy = directives(client.get("/accounts/login/")["Content-Security-Policy"])

    assert "https://tile.openstreetmap.org" in policy["img-src"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


def test_a_tile_url_template_gives_the_origin_its_tiles_come_from():
    from core.origins import map_tile_origin

    assert map_tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert map_tile_origin("http://tiles.internal:8080/{z}/{x}/{y}.png") == "http://tiles.internal:8080"
    assert map_tile_origin("/tiles/{z}/{x}/{y}.png") == ""


@pytest.mark.django_db
def test_a_brands_logo_on_its_own_site_is_allowed_on_its_pages_only(client, delivery_with_logo_url):
    token = delivery_with_logo_url.tracking_token

    tracking = directives(client.get(f"/t/{token}/")["Content-Security-Policy"])
    login = directives(client.get("/accounts/login/")["Content-Security-Policy"])

    assert "https://cdn.freshbasket.example" in tracking["img-src"]
    assert "https://cdn.freshbasket.example" not in login["img-src"]


@pytest.fixture
def delivery_with_logo_url(merchant):
    from tests.factories import DeliveryFactory

    Merchant.objects.filter(pk=merchant.pk).update(logo_url="https://cdn.freshbasket.example/logo.png")
    return DeliveryFactory(merchant=merchant)


def test_a_template_may_widen_a_pages_images_and_styles_but_never_its_scripts(rf):
    from django.template import Context, Template, TemplateSyntaxError

    request = rf.get("/")
    Template('{% load page_policy %}{% page_allows "img-src" "https:" %}').render(Context({"request": request}))
    assert request.page_policy_additions == {"img-src": {"https:"}}
    with pytest.raises(TemplateSyntaxError):
        Template('{% load page_policy %}{% page_allows "script-src" "https:" %}').render(Context({"request": request}))
    with pytest.raises(TemplateSyntaxError):  # a style element only by its hash: 'unsafe-inline' would undo the nonce
        Template('{% load page_policy %}{% page_allows "style-src" "\'unsafe-inline\'" %}').render(
            Context({"request": request}))


def test_no_template_or_script_of_ours_carries_inline_code():
    """The walk renders what the demo city shows; this reads what it cannot reach (error states, partials)."""
    from django.conf import settings

    root = settings.BASE_DIR
    offenders = []
    handler = re.compile(r"""<[a-zA-Z][^>]*\son[a-z]+\s*=""")
    for path in sorted((root / "templates").rglob("*.html")):
        if "notifications/en" in str(path) or "notifications/fr" in str(path) or path.name == "email_base.html":
            continue  # emails: mail clients need inline styles, and they run no script
        text = path.read_text()
        text = re.sub(r"\{% filter force_escape %\}.*?\{% endfilter %\}", "", text, flags=re.S)  # shown, not run
        for match in re.finditer(r"<(script|style)\b([^>]*)>", text):
            if "src=" not in match.group(2) and 'nonce="{{ request.csp_nonce }}"' not in match.group(2):
                offenders.append(f"{path.relative_to(root)}: <{match.group(1)}{match.group(2)}> without the nonce")
        offenders += [f"{path.relative_to(root)}: inline handler {m.group(0)[:60]}" for m in handler.finditer(text)]
        offenders += [f"{path.relative_to(root)}: style attribute" for _ in re.finditer(r"\sstyle=\"", text)]
        offenders += [f"{path.relative_to(root)}: javascript: URL" for _ in
                      re.finditer(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", text, re.I)]
    for path in sorted((root / "static").rglob("*.js")):
        if "vendor" in path.parts:
            continue
        text = re.sub(r"/\*.*?\*/|^\s*//.*$", "", path.read_text(), flags=re.S | re.M)  # comments show, not run
        offenders += [f"{path.relative_to(root)}: {m.group(0)}" for m in
                      re.finditer(r"setAttribute\(\s*[\"'](style|on[a-z]+)[\"']|\bstyle=\\?[\"']|\beval\(|new Function\(", text)]
    assert not offenders, "\n".join(offenders)
