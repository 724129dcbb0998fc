"""An owner signs in, changes the brand colour, allows an origin and adds a webhook endpoint, in Chromium.

On a laptop (1280×800) and a phone (390×844), with screenshots of each step for a reviewer.
"""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from merchants.models import AllowedOrigin, ApiKey, Merchant, StaffMembership, WebhookEndpoint
from merchants.services import api_key_create
from tests.browser import BROWSER_MARKS
from tests.factories import MerchantFactory

pytestmark = BROWSER_MARKS

VIEWPORTS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", VIEWPORTS)
def test_an_owner_rebrands_allows_an_origin_and_adds_a_webhook(live_server, chromium, screenshots, device):
    merchant = MerchantFactory(slug="fresh-basket", name="Fresh Basket", primary_colour="#2e7d32",
                               accent_colour="#f9a825", languages=["fr", "en"], support_phone="+33180000000",
                               support_days=[1, 2, 3, 4, 5, 6], support_opens=dt.time(9),
                               support_closes=dt.time(18))
    owner = get_user_model().objects.create_user("fresh-owner", password="fresh-owner")
    StaffMembership.objects.create(user=owner, merchant=merchant, role=StaffMembership.Role.OWNER)
    api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE, name="Checkout page")
    context = chromium.new_context(viewport=VIEWPORTS[device])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()

    def shot(name: str) -> None:
        # Nothing wider than the screen: a phone never scrolls sideways to reach a button.
        assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[device]["width"], name
        page.screenshot(path=str(screenshots / f"settings_{device}_{name}.png"), full_page=True)

    def open_tab(link: str, path: str) -> None:
        # Wait for the tab's own page: measuring while the old one unloads finds no document at all.
        page.get_by_role("link", name=link).click()
        page.wait_for_url(f"**/settings/fresh-basket/{path}/")

    # Signing in from /settings/ lands on the shop's brand tab.
    page.goto(f"{live_server.url}/settings/")
    assert "/accounts/login/" in page.url
    shot("1_sign_in")
    page.fill("#id_username", "fresh-owner")
    page.fill("#id_password", "fresh-owner")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/settings/fresh-basket/brand/")
    shot("2_brand")

    # The hours in the preview follow the ticks at once, written as a customer reads them.
    assert page.inner_text("#preview-support") == "Questions? +33 1 80 00 00 00 · Mon–Sat 9:00–18:00"
    page.get_by_label("Saturday").uncheck()
    page.get_by_label("Sunday").check()
    assert page.inner_text("#preview-support") == "Questions? +33 1 80 00 00 00 · Mon–Fri, Sun 9:00–18:00"

    # A pale primary colour: the preview follows at once and warns about white text on it.
    assert page.locator("#contrast-warning").is_hidden()
    page.fill("#id_primary_colour", "#ffd54f")
    header = page.locator(".brand-preview-header")
    assert header.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(255, 213, 79)"
    assert page.locator("#contrast-warning").is_visible()
    assert "White text on #ffd54f has a contrast of" in page.inner_text("#contrast-warning")
    shot("3_brand_pale")
    # Then a dark one that reads well, saved.
    page.fill("#id_primary_colour", "#1b5e20")
    assert page.locator("#contrast-warning").is_hidden()
    page.get_by_role("button", name="Save brand").click()
    page.wait_for_selector(".settings-alert-success")
    saved = Merchant.objects.get(pk=merchant.pk)
    assert (saved.primary_colour, saved.support_days) == ("#1b5e20", [1, 2, 3, 4, 5, 7])
    assert page.locator("#brand-preview").evaluate(
        "el => getComputedStyle(el).getPropertyValue('--preview-primary').trim()") == "#1b5e20"

    # An origin, typed as people type it, stored as browsers send it.
    open_tab("Embed origins", "origins")
    page.fill("#id_origin", "https://Shop.FreshBasket.example/")
    page.get_by_role("button", name="Add origin").click()
    page.wait_for_selector(".settings-alert-success")
    assert page.locator("table code").first.inner_text() == "https://shop.freshbasket.example"
    assert AllowedOrigin.objects.filter(merchant=merchant, origin="https://shop.freshbasket.example").exists()
    page.fill("#id_origin", "https://shop.freshbasket.example")
    page.get_by_role("button", name="Add origin").click()
    assert "is already allowed" in page.inner_text(".errorlist")
    shot("4_origins")

    # A webhook endpoint for two events; its secret appears when asked for, and copies.
    open_tab("Webhooks", "webhooks")
    page.fill("#id_url", "https://erp.freshbasket.example/hooks/deliveries")
    page.get_by_label("delivery.booked").check()
    page.get_by_label("delivery.delivered").check()
    page.get_by_role("button", name="Add endpoint").click()
    page.wait_for_selector(".settings-alert-success")
    endpoint = WebhookEndpoint.objects.get(merchant=merchant)
    assert endpoint.events == ["delivery.booked", "delivery.delivered"]
    assert endpoint.secret not in page.content()
    page.get_by_role("button", name="Reveal secret").click()
    assert page.inner_text("#webhook-secret") == endpoint.secret
    page.locator('[data-copy="#webhook-secret"]').click()
    assert page.evaluate("navigator.clipboard.readText()") == endpoint.secret
    shot("5_webhook")

    open_tab("API keys", "keys")
    page.fill("#id_name", "Checkout server")
    page.get_by_role("button", name="Create key").click()
    assert page.inner_text("#new-key-value").startswith("sk_")
    shot("6_keys")
    open_tab("Notifications", "notifications")
    shot("7_notifications")
    context.close()
