"""An agent finds a caller by name in Chromium, typed the way people type on a call: no accents, any case."""

import pytest
from django.conf import settings
from django.test import Client

from tests.browser import BROWSER_MARKS
from tests.care.conftest import make_agent
from tests.factories import DeliveryFactory, MerchantFactory

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_an_agent_types_a_name_without_accents_and_reaches_the_journey(live_server, chromium, screenshots, viewport):
    merchant = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    heloise = DeliveryFactory(window__template__merchant=merchant, order_ref="FB-20931",
                              recipient_name="Héloïse Lefèvre", address_postcode="75011")
    DeliveryFactory(window__template__merchant=merchant, order_ref="FB-20932", recipient_name="Héloïse Martin",
                    address_postcode="75020")
    DeliveryFactory(window__template__merchant=merchant, order_ref="FB-20933", recipient_name="Jade Moreau")
    client = Client()
    client.force_login(make_agent("alice", "Alice", "Moreau"))
    width, height = viewport
    context = chromium.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
    page = context.new_page()

    page.goto(f"{live_server.url}/care/")
    page.get_by_role("searchbox", name="Find an order").fill("heloise")
    page.keyboard.press("Enter")
    page.wait_for_selector("table.care-results")
    rows = page.locator("table.care-results tbody tr")
    assert rows.count() == 2
    assert "Héloïse L." in rows.first.inner_text() + rows.last.inner_text()
    assert "Jade" not in page.inner_text("table.care-results")
    page.screenshot(path=str(screenshots / f"care_search_name_{width}.png"), full_page=True)

    page.get_by_role("searchbox", name="Find an order").fill("LEFEVRE heloise")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=LEFEVRE+heloise**")
    assert page.locator("table.care-results tbody tr").count() == 1
    page.get_by_role("link", name="FB-20931").click()
    page.wait_for_selector("#care-order")
    assert page.url.endswith(f"/care/deliveries/{heloise.pk}/")
    assert "FB-20931" in page.inner_text("#care-order")
    page.screenshot(path=str(screenshots / f"care_search_journey_{width}.png"), full_page=True)
    context.close()
