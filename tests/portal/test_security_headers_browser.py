"""The pages people use work in Chromium under the site's Content-Security-Policy, and the browser refuses nothing.

A policy that looks right in a header can still break a page: a forgotten inline style, a script that builds
a <style>, a form that posts where form-action forbids. Chromium reports each refusal as a
`securitypolicyviolation` event (and a "Refused to …" console message); every test here fails on either.
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from demo.seeding import demo_seed
from merchants.models import AllowedOrigin, Merchant
from scheduling.models import Delivery
from tests.browser import BROWSER_MARKS
from tracking.models import Rating

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

# Chromium reports a refusal to the page as an event, in every frame, before the page's own scripts run.
LISTEN_FOR_REFUSALS = """
window.__refused = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__refused.push(event.effectiveDirective + " refused " + (event.blockedURI || "inline") +
                        " at " + event.documentURI.split("?")[0]);
});
"""


@pytest.fixture
def city(db):
    """The demo city from tomorrow on, so every delivery can still be changed whatever the hour of the run."""
    # No history: its days reach today, whose windows are all closed by evening, and the picker opens on them.
    report = demo_seed(today=timezone.localdate() + dt.timedelta(days=1), days=2, scale=0.15, plan_seconds=0.5,
                       history_days=0, log=lambda *args: None)
    return report


@pytest.fixture
def browser(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.add_init_script(LISTEN_FOR_REFUSALS)
    console: list[str] = []
    context.on("console", lambda message: console.append(message.text))
    context.console = console
    yield context
    context.close()


def refusals(context) -> list[str]:
    """Every refusal the pages of this context saw: console messages of every page so far, and the events of
    every frame of the pages open now (read them before leaving a page: see `visit`)."""
    # A Permissions-Policy feature Chromium does not know is reported on every page too.
    seen = [text for text in context.console
            if "Content Security Policy" in text or text.startswith("Refused to") or "Permissions-Policy" in text]
    for page in context.pages:
        for frame in page.frames:
            seen += frame.evaluate("window.__refused || []")
    return seen


def visit(page, url: str, ready: str) -> list[str]:
    """Open a page, wait until it has done its work, and say what the browser refused on it."""
    page.goto(url)
    page.wait_for_selector(ready, timeout=15_000)
    page.wait_for_load_state("networkidle")
    return [f"{url}: {r}" for frame in page.frames for r in frame.evaluate("window.__refused || []")]


def signed_in(context, live_server) -> None:
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])


def a_booked_delivery() -> Delivery:
    delivery = (Delivery.objects.filter(status__in=[Delivery.Status.BOOKED, Delivery.Status.SCHEDULED])
                .order_by("window__starts_at", "pk").first())
    assert delivery is not None, "the demo city booked no delivery"
    return delivery


def test_the_customer_saves_instructions_rates_and_reschedules_under_the_policy(city, browser, live_server):
    from playwright.sync_api import expect

    delivery = a_booked_delivery()
    page = browser.new_page()
    page.goto(f"{live_server.url}/t/{delivery.tracking_token}/?lang=en")
    page.get_by_label("Notes for the driver").fill("Code 4521B, 3rd floor")
    page.get_by_role("button", name="Save instructions").click()
    expect(page.get_by_role("status")).to_have_text("Your delivery instructions are saved.")
    assert Delivery.objects.get(pk=delivery.pk).access_notes == "Code 4521B, 3rd floor"

    page.get_by_role("link", name="Choose another delivery time").click()
    another = page.locator("input[name=window_id]:not([value=''])").first
    chosen = int(another.get_attribute("value"))
    another.check()
    page.get_by_role("button", name="Confirm changes").click()
    expect(page.get_by_role("status")).to_have_text("Done. Your delivery has been updated.")
    assert Delivery.objects.get(pk=delivery.pk).window_id == chosen

    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.DELIVERED)
    page.goto(f"{live_server.url}/t/{delivery.tracking_token}/?lang=en")
    page.locator("label[for=star5]").click()
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_role("status")).to_have_text("Thank you for your rating.")
    assert Rating.objects.get(delivery=delivery).stars == 5

    assert refusals(browser) == []


def test_the_staff_pages_and_the_api_docs_run_under_the_policy(city, browser, live_server):
    from playwright.sync_api import expect

    signed_in(browser, live_server)
    delivery = a_booked_delivery()
    merchant = delivery.merchant
    page = browser.new_page()
    refused = []

    refused += visit(page, f"{live_server.url}/care/deliveries/{delivery.pk}/", "h1")
    expect(page.get_by_role("heading", level=1)).to_contain_text(delivery.order_ref)

    refused += visit(page, f"{live_server.url}/dispatch/?date={delivery.window.date.isoformat()}",
                     "#dc-map[data-ready=true]")
    # The timeline's geometry now comes from a nonced style block: the bars still stand where the plan says.
    first_bar = page.locator(".dc-window").first
    assert first_bar.evaluate("bar => getComputedStyle(bar).position") == "absolute"
    assert first_bar.bounding_box()["width"] > 0

    refused += visit(page, f"{live_server.url}/settings/{merchant.slug}/brand/", "#brand-preview")
    preview = page.locator("#brand-preview")
    assert preview.evaluate("el => getComputedStyle(el).getPropertyValue('--preview-primary').trim()") == \
        merchant.primary_colour.lower()

    # A visible slot: in the evening the first day's windows are past their cut-off and the picker opens on the next.
    refused += visit(page, f"{live_server.url}/demo/checkout/", "delivery-window-picker >> .slot >> visible=true")
    refused += visit(page, f"{live_server.url}/demo/messages/", "h1")
    refused += visit(page, f"{live_server.url}/api/docs/", ".opblock")
    refused += visit(page, f"{live_server.url}/api/redoc/", "[role=menuitem]")
    refused += visit(page, f"{live_server.url}/docs/embed/?merchant={merchant.slug}", "#preview-picker >> .slot >> visible=true")
    refused += visit(page, f"{live_server.url}/admin/notifications/messagetemplate/add/", "#content")
    # The admin's own scripts: calendars and clocks beside the date fields, related-object links.
    refused += visit(page, f"{live_server.url}/admin/scheduling/delivery/{delivery.pk}/change/", "#content")

    assert refused == []
    assert refusals(browser) == []


class ShopPage:
    """A shop's checkout on its own origin, framing the picker with the loader as the guide says."""

    def __init__(self, html: str) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(html.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_the_picker_framed_by_a_registered_shop_runs_under_the_policy(city, browser, live_server):
    merchant = Merchant.objects.get(slug=city.merchants[0]["slug"])
    address = city.merchants[0]["sample_address"]
    key = city.merchants[0]["publishable_key"]
    shop = ShopPage(f"""<!doctype html><title>Checkout</title>
<iframe data-delivery-window-picker title="Delivery windows" style="width: 100%; min-height: 420px; border: 0"
  src="{live_server.url}/embed/windows/?key={key}&lat={address['lat']}&lng={address['lng']}&lang=en"></iframe>
<script src="{live_server.url}/static/scheduling/embed.js" async></script>""")
    AllowedOrigin.objects.create(merchant=merchant, origin=shop.origin)
    try:
        page = browser.new_page()
        page.goto(shop.origin)
        picker = page.frame_locator("iframe[data-delivery-window-picker]")
        picker.locator("delivery-window-picker >> .slot >> visible=true").first.wait_for(timeout=15_000)
        assert page.locator(".delivery-window-picker-problem").count() == 0
        assert refusals(browser) == []
    finally:
        shop.server.shutdown()
