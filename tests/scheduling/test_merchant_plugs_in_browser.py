"""A merchant plugs in without asking us, in Chromium, on a laptop and on a phone.

The shop's owner signs in, registers the shop's site as an origin and adds a webhook endpoint, copies the
web component's snippet from the embedding guide into the shop's own checkout (served from another
origin, with a server that books the held window with the secret key), and a shopper books through it:
the shop's receiver then gets the signed `delivery.booked`. The same snippet on a site the shop did not
register shows the shopper why there are no windows.
"""

from __future__ import annotations

import html
import http.server
import json
import threading
import urllib.parse
import urllib.request
import uuid

import pytest
from django.contrib.auth import get_user_model
from standardwebhooks.webhooks import Webhook

from merchants.models import ApiKey, StaffMembership, WebhookEndpoint
from merchants.services import api_key_create
from scheduling.models import Delivery
from tests.browser import BROWSER_MARKS
from tests.notifications.webhook_receiver import Receiver
from tests.scheduling.conftest import ADDRESS

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


class ShopSite:
    """The merchant's own web shop on its own origin: a checkout page and a server that books by API."""

    def __init__(self, *, portal: str, secret_key: str) -> None:
        self.portal, self.secret_key = portal, secret_key
        self.checkout_html = ""
        self.bookings: list[dict] = []
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self._answer(200, site.checkout_html)

            def do_POST(self):  # noqa: N802 — the checkout form: the shop's server books the held window
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                status, body = site.book(hold_id=form.get("hold_id", [""])[0], name=form.get("name", [""])[0])
                if status == 201:
                    self._answer(200, f"<h1>Thank you</h1><p id='booked'>Delivery {html.escape(body['status'])}: "
                                      f"<a href='{html.escape(body['tracking_url'])}'>track it</a></p>")
                else:
                    self._answer(400, f"<h1>Could not book</h1><p id='refused'>{html.escape(json.dumps(body))}</p>")

            def _answer(self, status: int, page: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page.encode())

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def book(self, *, hold_id: str, name: str) -> tuple[int, dict]:
        body = {"order_ref": f"SHOP-{uuid.uuid4().hex[:8]}", "hold_id": hold_id,
                "recipient": {"name": name, "phone": "+33612345678", "email": "jade@example.com"},
                "address": {"line1": "12 rue de Rivoli", "city": "Paris", "postcode": "75004", **ADDRESS}}
        request = urllib.request.Request(
            f"{self.portal}/api/v1/deliveries/", data=json.dumps(body).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.secret_key}", "Content-Type": "application/json",
                     "Idempotency-Key": uuid.uuid4().hex})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = (response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            answer = (error.code, json.loads(error.read() or b"{}"))
        self.bookings.append({"status": answer[0], **answer[1]})
        return answer

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def checkout_page(snippet: str) -> str:
    """The shop's checkout with the guide's snippet pasted in, the shopper's address put in its attributes."""
    snippet = snippet.replace('lat="', 'data-guide-lat="').replace('lng="', 'data-guide-lng="')
    snippet = snippet.replace("<delivery-window-picker", f'<delivery-window-picker lat="{ADDRESS["lat"]}" '
                                                         f'lng="{ADDRESS["lng"]}"', 1)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Fresh Basket checkout</title></head>
<body style="font-family: sans-serif; margin: 1rem"><h1>Fresh Basket — checkout</h1>
<form method="post" action="/order">
  <label>Your name <input name="name" value="Jade Moreau"></label>
  {snippet}
  <button type="submit">Place order</button>
</form></body></html>"""


@pytest.mark.parametrize("device", VIEWPORTS)
def test_a_merchant_registers_its_site_and_webhook_and_a_shopper_books_through_the_snippet(
        live_server, chromium, screenshots, settings, merchant, windows, device):
    settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED = True  # the shop's receiver listens on this machine
    owner = get_user_model().objects.create_user("fresh-owner", password="fresh-owner")
    StaffMembership.objects.create(user=owner, merchant=merchant, role=StaffMembership.Role.OWNER)
    api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE, name="Checkout page")
    _, secret_key = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, name="Shop server")
    receiver = Receiver().start()
    shop = ShopSite(portal=live_server.url, secret_key=secret_key)
    stranger = ShopSite(portal=live_server.url, secret_key=secret_key)  # the same snippet, unregistered
    viewport = VIEWPORTS[device]
    try:
        # --- The merchant, in the portal -------------------------------------------------------------
        staff = chromium.new_context(viewport=viewport)
        page = staff.new_page()
        page.goto(f"{live_server.url}/settings/")
        page.fill("#id_username", "fresh-owner")
        page.fill("#id_password", "fresh-owner")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/settings/fresh-basket/brand/")

        page.get_by_role("link", name="Embed origins").click()
        page.fill("#id_origin", shop.origin)
        page.get_by_role("button", name="Add origin").click()
        page.wait_for_selector(".settings-alert-success")

        page.get_by_role("link", name="Webhooks").click()
        page.fill("#id_url", receiver.url)
        page.get_by_label("delivery.booked").check()
        page.get_by_role("button", name="Add endpoint").click()
        page.wait_for_selector(".settings-alert-success")
        page.get_by_role("button", name="Reveal secret").click()
        secret = page.inner_text("#webhook-secret")
        assert secret.startswith("whsec_")
        page.screenshot(path=str(screenshots / f"plugin_{device}_1_webhook.png"), full_page=True)

        page.goto(f"{live_server.url}/docs/embed/")
        snippet = page.inner_text("#snippet-web-component")
        assert "pk_" in snippet and "window-held" in snippet
        page.screenshot(path=str(screenshots / f"plugin_{device}_2_guide.png"))
        staff.close()

        # --- A shopper, on the shop's own site ----------------------------------------------------------
        shop.checkout_html = stranger.checkout_html = checkout_page(snippet)
        shopper = chromium.new_context(viewport=viewport).new_page()
        shopper.goto(f"{shop.origin}/")
        open_window = shopper.locator("delivery-window-picker [role=radio][aria-disabled=false]").first
        open_window.wait_for()
        assert shopper.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        open_window.click()
        shopper.wait_for_function("document.getElementById('hold_id').value !== ''")
        shopper.screenshot(path=str(screenshots / f"plugin_{device}_3_shop_checkout.png"), full_page=True)
        shopper.get_by_role("button", name="Place order").click()
        shopper.wait_for_selector("#booked")
        assert "Delivery scheduled" in shopper.inner_text("#booked")
        shopper.screenshot(path=str(screenshots / f"plugin_{device}_4_booked.png"))

        [booking] = shop.bookings
        delivery = Delivery.objects.get(pk=booking["id"])
        assert delivery.merchant == merchant and delivery.recipient_name == "Jade Moreau"
        # The shop's receiver got the booking, signed with the secret the page showed.
        [call] = [c for c in receiver.received if c.event["type"] == "delivery.booked"]
        assert Webhook(secret).verify(call.body, call.headers)["data"]["delivery"]["id"] == booking["id"]
        assert WebhookEndpoint.objects.get(merchant=merchant).url == receiver.url

        # --- The same snippet on a site the shop never registered ---------------------------------------
        lost = chromium.new_context(viewport=viewport).new_page()
        lost.goto(f"{stranger.origin}/")
        problem = lost.locator("delivery-window-picker [role=alert]")
        problem.wait_for()
        assert "Delivery windows cannot be shown on this website yet." in problem.inner_text()
        assert stranger.origin in problem.inner_text()
        assert "Failed to fetch" not in lost.locator("body").inner_text()
        lost.screenshot(path=str(screenshots / f"plugin_{device}_5_unregistered.png"), full_page=True)
    finally:
        receiver.stop()
        shop.stop()
        stranger.stop()
