"""A keyboard-only shopper on the demo checkout, in Chromium."""

import re
import threading

import pytest
from django.db import connections

from demo.keys import demo_key
from merchants.models import ApiKey
from merchants.services import api_key_create
from scheduling.models import Delivery
from tests.browser import BROWSER_MARKS

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(chromium):
    return chromium


@pytest.fixture
def demo_keys(merchant):
    api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE, raw_key=demo_key(kind="publishable", slug=merchant.slug))
    api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, raw_key=demo_key(kind="secret", slug=merchant.slug))


def focused_slot(page):
    return page.evaluate("""() => {
        const host = document.activeElement;
        if (!host || host.tagName !== 'DELIVERY-WINDOW-PICKER') return null;
        const el = host.shadowRoot.activeElement;
        return el && el.getAttribute('role') === 'radio' ? el.getAttribute('data-window-id') : null;
    }""")


def tab_until(page, predicate, limit=30):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if predicate():
            return True
    return False


def test_a_keyboard_only_shopper_picks_a_window_books_and_gets_a_tracking_link(browser, live_server, merchant,
                                                                             windows, demo_keys, screenshots):
    page = browser.new_page(viewport={"width": 420, "height": 900})
    page.goto(f"{live_server.url}/demo/checkout/?merchant={merchant.slug}&lang=en")
    page.locator("delivery-window-picker [role=tabpanel]:not([hidden]) [role=radio]").first.wait_for()
    page.screenshot(path=str(screenshots / "demo_checkout.png"), full_page=True)

    assert tab_until(page, lambda: focused_slot(page) is not None), "Tab never reached the window picker"
    first = focused_slot(page)
    page.keyboard.press("ArrowDown")
    chosen = focused_slot(page)
    assert chosen and chosen != first
    assert page.locator(f"delivery-window-picker [data-window-id='{chosen}']").get_attribute("aria-checked") == "true"
    page.keyboard.press("Enter")
    page.locator("#held-status").filter(has_text="Window held").wait_for()
    assert page.input_value("#hold_id")
    page.screenshot(path=str(screenshots / "demo_checkout_held.png"), full_page=True)

    assert tab_until(page, lambda: page.evaluate("document.activeElement.id") == "name")
    page.keyboard.type("Camille Durand")
    page.keyboard.press("Tab")
    page.keyboard.type("+33612345678")
    page.keyboard.press("Tab")
    page.keyboard.type("camille@example.com")
    assert tab_until(page, lambda: page.evaluate("document.activeElement.id") == "book")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#tracking-link").wait_for()
    page.screenshot(path=str(screenshots / "demo_confirmation.png"), full_page=True)

    href = page.get_attribute("#tracking-link", "href")
    match = re.search(r"/t/([A-Za-z0-9_-]+)/$", href)
    assert match, href
    delivery = Delivery.objects.get(tracking_token=match.group(1))
    assert str(delivery.window_id) == chosen
    assert delivery.recipient_name == "Camille Durand"
    assert delivery.window.booked == 1


def test_the_picker_and_the_reschedule_page_in_french_on_a_phone(browser, live_server, merchant, windows, demo_keys,
                                                                tomorrow_window, screenshots):
    from scheduling.services import delivery_create_for_seed
    from tests.scheduling.conftest import ADDRESS

    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/demo/checkout/?merchant={merchant.slug}&lang=fr")
    page.locator("delivery-window-picker [role=tabpanel]:not([hidden]) [role=radio]").first.wait_for()
    assert "Choisissez un créneau" in page.locator("delivery-window-picker .title").inner_text()
    page.screenshot(path=str(screenshots / "demo_checkout_fr.png"), full_page=True)

    made = []

    def book() -> None:
        try:
            made.append(delivery_create_for_seed(
                merchant=merchant, window=tomorrow_window, order_ref="ORD-FR", recipient_name="Camille",
                address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004", language="fr",
                **ADDRESS))
        finally:
            # The thread's own connection would keep PostgreSQL from dropping the test database.
            connections.close_all()

    # Off Playwright's event-loop thread: the booking's receivers (tracking) may use async_to_sync.
    worker = threading.Thread(target=book)
    worker.start()
    worker.join()
    delivery = made[0]
    page.goto(f"{live_server.url}/t/{delivery.tracking_token}/reschedule/")
    assert page.locator("h1").inner_text() == "Modifier votre livraison"
    page.screenshot(path=str(screenshots / "reschedule_fr.png"), full_page=True)
    page.locator("input[name=window_id]").nth(1).check()
    page.fill("#access_notes", "Digicode 4521")
    page.locator("button[type=submit]").click()
    page.locator(".notice-ok").wait_for()
    page.screenshot(path=str(screenshots / "reschedule_done_fr.png"), full_page=True)
    delivery.refresh_from_db()
    assert delivery.window_id != tomorrow_window.pk
    assert delivery.access_notes == "Digicode 4521"
    page.goto(f"{live_server.url}/t/unknown-token/reschedule/")
    page.screenshot(path=str(screenshots / "reschedule_expired.png"), full_page=True)
