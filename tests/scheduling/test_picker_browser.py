"""The picker in Chromium: one day at a time on a desktop and a phone, readable labels on any brand, a clear
message on a shop's site that is not registered, and a checkout that books without JavaScript."""

import functools
import http.server
import threading

import pytest

from core.contrast import contrast_ratio
from demo.keys import demo_key
from merchants.models import ApiKey, Merchant
from merchants.services import api_key_create
from scheduling.models import Delivery
from tests.browser import BROWSER_MARKS
from tests.factories import AllowedOriginFactory
from tests.scheduling.conftest import ADDRESS, TOMORROW

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Before the day tabs the phone checkout was 3,249 px tall; the form below the picker alone is about 600.
MOST_HEIGHT = {1280: 1300, 390: 1700}


@pytest.fixture
def demo_keys(merchant):
    for kind in ("publishable", "secret"):
        api_key_create(merchant=merchant, kind=ApiKey.Kind(kind), raw_key=demo_key(kind=kind, slug=merchant.slug))


def checkout(chromium, live_server, merchant, viewport, lang="en", **context):
    page = chromium.new_page(viewport=viewport, **context)
    page.goto(f"{live_server.url}/demo/checkout/?merchant={merchant.slug}&lang={lang}")
    page.locator("delivery-window-picker [role=tab]").first.wait_for()
    return page


def shown_panels(page):
    return page.locator("delivery-window-picker [role=tabpanel]:visible")


def selected_day(page):
    return page.locator("delivery-window-picker [role=tab][aria-selected=true]").get_attribute("data-day")


def focused(page, attribute):
    return page.evaluate("""(attribute) => {
        const host = document.activeElement;
        if (!host || host.tagName !== 'DELIVERY-WINDOW-PICKER') return null;
        const el = host.shadowRoot.activeElement;
        return el ? el.getAttribute(attribute) : null;
    }""", attribute)


def rgb(css: str) -> str:
    """'rgb(46, 125, 50)' → '#2e7d32'."""
    values = [int(float(v)) for v in css[css.index("(") + 1:css.index(")")].replace("/", ",").split(",")[:3]]
    return "#" + "".join(f"{v:02x}" for v in values)


def text_contrasts(page, selector):
    """(text, ratio of its colour on its own background) for each element the selector finds in the picker."""
    found = page.evaluate("""(selector) => {
        const root = document.querySelector('delivery-window-picker').shadowRoot;
        return [...root.querySelectorAll(selector)].map(el => {
            const style = getComputedStyle(el);
            return [el.textContent, style.color, style.backgroundColor];
        });
    }""", selector)
    return [(text, contrast_ratio(rgb(colour), rgb(background))) for text, colour, background in found]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_shopper_moves_between_days_by_click_and_keyboard_and_holds_a_window(
        chromium, live_server, merchant, windows, demo_keys, screenshots, viewport):
    page = checkout(chromium, live_server, merchant, viewport)
    width = viewport["width"]
    page.screenshot(path=str(screenshots / f"picker_{width}.png"), full_page=True)

    tabs = page.locator("delivery-window-picker [role=tab]")
    assert tabs.count() == 7
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.documentElement.scrollHeight") < MOST_HEIGHT[width]
    assert shown_panels(page).count() == 1
    # No van works today, so the picker opens on the first day with an open window: tomorrow.
    assert selected_day(page) == TOMORROW.isoformat()
    assert "none left" in tabs.nth(0).get_attribute("aria-label")

    tabs.nth(2).click()
    third_day = tabs.nth(2).get_attribute("data-day")
    assert selected_day(page) == third_day
    assert shown_panels(page).count() == 1
    assert shown_panels(page).get_attribute("aria-labelledby") == tabs.nth(2).get_attribute("id")

    tabs.nth(2).focus()
    page.keyboard.press("ArrowRight")
    assert selected_day(page) == tabs.nth(3).get_attribute("data-day") == focused(page, "data-day")
    page.keyboard.press("Home")
    assert selected_day(page) == tabs.nth(0).get_attribute("data-day") == focused(page, "data-day")
    assert shown_panels(page).locator(".empty").inner_text() == "No window is left on this day."
    page.keyboard.press("ArrowLeft")
    assert selected_day(page) == tabs.nth(6).get_attribute("data-day")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert selected_day(page) == TOMORROW.isoformat()

    page.keyboard.press("Tab")
    first = focused(page, "data-window-id")
    assert first is not None, "Tab did not move from the day tabs into the day's windows"
    page.keyboard.press("ArrowRight")
    chosen = focused(page, "data-window-id")
    assert chosen and chosen != first
    visible_ids = shown_panels(page).locator("[role=radio]").evaluate_all("els => els.map(e => e.dataset.windowId)")
    assert chosen in visible_ids, "the arrow keys left the day on show"
    page.keyboard.press("Enter")
    page.locator("#held-status").filter(has_text="Window held").wait_for()
    held = page.locator("#held-status").inner_text()
    assert "€" in held and ("18:00–20:00" in held or "10:00–12:00" in held)
    page.screenshot(path=str(screenshots / f"picker_{width}_held.png"), full_page=True)


@pytest.mark.parametrize("accent", ["#f9a825", "#777777", "#0b3d91"], ids=["light", "mid-tone", "dark"])
def test_labels_reach_aa_contrast_on_any_brand(chromium, live_server, merchant, windows, demo_keys, screenshots,
                                               accent):
    Merchant.objects.filter(pk=merchant.pk).update(accent_colour=accent, primary_colour=accent)
    page = checkout(chromium, live_server, merchant, PHONE)
    page.screenshot(path=str(screenshots / f"picker_labels_{accent[1:]}.png"), full_page=True)

    measured = [*text_contrasts(page, ".tier"), *text_contrasts(page, ".day[aria-selected=true]")]
    assert {text for text, _ in measured} >= {"Standard", "Evening"}
    for text, ratio in measured:
        assert ratio >= 4.5, f"{text!r} reads at {ratio:.2f}:1 on {accent}"


def test_a_shop_may_theme_the_picker_and_its_text_stays_readable(chromium, live_server, merchant, windows, demo_keys):
    page = checkout(chromium, live_server, merchant, PHONE)
    # The shop's stylesheet, added as a constructed sheet: our demo page's policy refuses an inline <style>.
    page.evaluate("""() => {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync("delivery-window-picker { --dwp-accent: #ffeb3b; --dwp-brand: #ffeb3b; }");
        document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    }""")
    page.evaluate("document.querySelector('delivery-window-picker').load()")
    page.locator("delivery-window-picker [role=tab]").first.wait_for()
    evening = page.locator("delivery-window-picker .tier-evening").first
    assert rgb(evening.evaluate("el => getComputedStyle(el).backgroundColor")) == "#ffeb3b"
    for text, ratio in [*text_contrasts(page, ".tier"), *text_contrasts(page, ".day[aria-selected=true]")]:
        assert ratio >= 4.5, f"{text!r} reads at {ratio:.2f}:1"


# --- A shop's own site, on another origin ----------------------------------------------------------------


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def shop_site(tmp_path):
    """A shop's checkout on its own origin (127.0.0.1, while the portal runs on localhost), its page written by
    the test."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site = {"origin": f"http://127.0.0.1:{server.server_address[1]}", "root": tmp_path}
    yield site
    server.shutdown()
    server.server_close()


def shop_page(site, portal: str, key: str, lang: str = "en") -> str:
    query = f"key={key}&lat={ADDRESS['lat']}&lng={ADDRESS['lng']}&lang={lang}"
    (site["root"] / "checkout.html").write_text(f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>A shop</title></head><body><h1>A shop's checkout</h1>
<script src="{portal}/static/scheduling/picker.js" defer></script>
<delivery-window-picker api-key="{key}" api-base="{portal}" lat="{ADDRESS['lat']}" lng="{ADDRESS['lng']}"
  lang="{lang}"></delivery-window-picker>
<iframe data-delivery-window-picker title="Delivery windows" style="width: 100%; border: 0"
  src="{portal}/embed/windows/?{query}"></iframe>
<script src="{portal}/static/scheduling/embed.js" async></script>
</body></html>""")
    return f"{site['origin']}/checkout.html"


def test_a_shop_whose_site_is_not_registered_shows_shoppers_why_instead_of_failed_to_fetch(
        chromium, live_server, merchant, windows, publishable_key, shop_site, screenshots):
    AllowedOriginFactory(merchant=merchant, origin="https://the-real-shop.example")
    page = chromium.new_page(viewport=DESKTOP)
    errors = []
    page.on("console", lambda message: errors.append(message.text))
    page.goto(shop_page(shop_site, live_server.url, publishable_key))

    component = page.locator("delivery-window-picker .problem")
    component.wait_for()
    assert component.get_attribute("role") == "alert"
    text = component.inner_text()
    assert "Delivery windows cannot be shown on this website yet." in text
    assert shop_site["origin"] in text
    assert "Failed to fetch" not in page.locator("body").inner_text()

    framed = page.locator(".delivery-window-picker-problem")
    framed.wait_for()
    assert "Delivery windows cannot be shown on this website yet." in framed.inner_text()
    assert not page.locator("iframe[data-delivery-window-picker]").is_visible()
    assert any("frame-ancestors" in error for error in errors)  # the frame really was refused
    page.screenshot(path=str(screenshots / "shop_site_not_registered.png"), full_page=True)


def test_the_explanation_on_an_unregistered_site_speaks_french(chromium, live_server, merchant, windows,
                                                             publishable_key, shop_site):
    page = chromium.new_page(viewport=PHONE)
    page.goto(shop_page(shop_site, live_server.url, publishable_key, lang="fr"))
    page.locator("delivery-window-picker .problem").wait_for()
    assert "ne peuvent pas encore s’afficher sur ce site" in page.locator("delivery-window-picker .problem").inner_text()
    page.locator(".delivery-window-picker-problem").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_when_the_portal_cannot_be_reached_the_shopper_is_told_to_try_again(chromium, live_server, shop_site):
    (shop_site["root"] / "offline.html").write_text(f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>A shop</title></head><body>
<script src="{live_server.url}/static/scheduling/picker.js" defer></script>
<delivery-window-picker api-key="pk_any" api-base="http://127.0.0.1:9" postcode="75004"></delivery-window-picker>
</body></html>""")
    page = chromium.new_page(viewport=PHONE)
    page.goto(f"{shop_site['origin']}/offline.html")
    alert = page.locator("delivery-window-picker [role=alert]")
    alert.wait_for()
    assert "Le service de livraison est injoignable" in alert.inner_text()
    assert alert.get_by_role("button", name="Réessayer").is_visible()


def test_once_registered_the_shops_site_shows_the_windows_in_both_ways(chromium, live_server, merchant, windows,
                                                                      publishable_key, shop_site, screenshots):
    AllowedOriginFactory(merchant=merchant, origin=shop_site["origin"])
    page = chromium.new_page(viewport=DESKTOP)
    page.goto(shop_page(shop_site, live_server.url, publishable_key))
    page.locator("delivery-window-picker [role=tab]").first.wait_for()
    frame = page.frame_locator("iframe[data-delivery-window-picker]")
    frame.locator("delivery-window-picker [role=tab]").first.wait_for()
    iframe = page.locator("iframe[data-delivery-window-picker]")
    assert iframe.is_visible()
    # The loader sized the frame to the picker inside it.
    page.wait_for_function("document.querySelector('iframe[data-delivery-window-picker]').style.height !== ''")
    content = frame.locator("html").evaluate("html => html.scrollHeight")
    assert abs(iframe.bounding_box()["height"] - content) <= 2
    assert page.locator(".delivery-window-picker-problem").count() == 0

    page.evaluate("""() => { window.heldFromFrame = null;
        document.querySelector('iframe[data-delivery-window-picker]')
            .addEventListener('window-held', event => { window.heldFromFrame = event.detail; }); }""")
    frame.locator("delivery-window-picker [role=radio][aria-disabled=false]").first.click()
    page.wait_for_function("window.heldFromFrame !== null")
    detail = page.evaluate("window.heldFromFrame")
    assert detail["hold"]["id"] and detail["window"]["price_label"].startswith("€")
    page.screenshot(path=str(screenshots / "shop_site_registered.png"), full_page=True)


# --- Without JavaScript ----------------------------------------------------------------------------------


def test_without_javascript_the_shopper_chooses_a_listed_window_and_books(chromium, live_server, merchant, windows,
                                                                          tomorrow_window, demo_keys, screenshots):
    page = chromium.new_page(viewport=PHONE, java_script_enabled=False)
    page.goto(f"{live_server.url}/demo/checkout/?merchant={merchant.slug}&lang=en")
    # JavaScript is off: no picker draws itself, the page's own list stands in for it.
    assert page.locator("delivery-window-picker [role=tab]").count() == 0
    assert page.locator("details.fallback-day").first.is_visible()
    page.fill("#name", "Camille Durand")
    page.fill("#phone", "06 12 34 56 78")
    page.locator("#book").click()
    page.locator("#checkout-error").wait_for()
    assert page.locator("#checkout-error").inner_text() == "Choose a delivery window."
    page.screenshot(path=str(screenshots / "checkout_nojs_no_window.png"), full_page=True)

    day = page.locator("details.fallback-day", has=page.locator(f"input[value='{tomorrow_window.pk}']"))
    if day.get_attribute("open") is None:
        day.locator("summary").click()
    page.locator(f"input[name=window_id][value='{tomorrow_window.pk}']").check()
    assert page.input_value("#name") == "Camille Durand"  # kept from the first try
    page.screenshot(path=str(screenshots / "checkout_nojs.png"), full_page=True)
    page.locator("#book").click()
    page.locator("#tracking-link").wait_for()
    assert page.locator("#booked-price").inner_text() == "€3.90"
    assert Delivery.objects.get().window_id == tomorrow_window.pk


# --- The embedding guide ---------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_staff_member_reads_the_guide_and_tries_the_live_preview(chromium, live_server, client, merchant, windows,
                                                                   publishable_key, screenshots, viewport):
    from django.contrib.auth import get_user_model

    from merchants.models import StaffMembership

    owner = get_user_model().objects.create_user("owner", "owner@example.com", "pw")
    StaffMembership.objects.create(user=owner, merchant=merchant, role=StaffMembership.Role.OWNER)
    client.force_login(owner)
    context = chromium.new_context(viewport=viewport)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/docs/embed/")
    assert publishable_key in page.locator("#snippet-web-component").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    preview = page.locator("#preview-picker")
    preview.locator("[role=tabpanel]:not([hidden]) [role=radio][aria-disabled=false]").first.click()
    page.locator("#event-log").filter(has_text="window-held").wait_for()
    assert '"hold"' in page.locator("#event-log").inner_text()
    page.screenshot(path=str(screenshots / f"embed_guide_{viewport['width']}.png"), full_page=True)
    context.close()
