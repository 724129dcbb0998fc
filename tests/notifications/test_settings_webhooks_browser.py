"""The webhooks tab as an owner's phone shows it."""

import pytest
from django.conf import settings as django_settings

from merchants.services import webhook_endpoint_create
from tests.browser import BROWSER_MARKS

PHONE = {"width": 390, "height": 844}


pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_an_endpoints_description_reads_as_a_line_not_a_letter_column(
        live_server, chromium, merchant, as_owner, screenshots):
    webhook_endpoint_create(merchant=merchant, url="https://erp.freshbasket.example/hooks/deliveries",
                            description="The order system's inbox")
    context = chromium.new_context(viewport=PHONE)
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": as_owner.cookies[django_settings.SESSION_COOKIE_NAME].value}])
    page = context.new_page()
    page.goto(f"{live_server.url}/settings/{merchant.slug}/webhooks/")

    description = page.get_by_text("The order system's inbox")
    # Beside the URL in a flex row it was squeezed to a column of a few letters (about 50 px).
    assert description.bounding_box()["width"] >= 150
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshots / "settings_webhooks_phone_list.png"), full_page=True)
