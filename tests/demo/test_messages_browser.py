"""The message viewer in Chromium at desktop and phone sizes, screenshotted for review."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from notifications.models import Channel, Message, Trigger
from notifications.services import delivery_notify
from tests.browser import BROWSER_MARKS

pytestmark = BROWSER_MARKS

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
def test_the_messages_read_as_on_a_phone_and_in_a_mail_client(live_server, chromium, screenshots, staff, camille,
                                                               size, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(staff)
    context = chromium.new_context(viewport=SIZES[size])
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
    # The van is running late: the warning the customer got before the window ended shows on the phone.
    eta = camille.window.ends_at + dt.timedelta(minutes=25)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_notify(delivery=camille, trigger=Trigger.RUNNING_LATE, eta=eta, event_key="late:browser")
    page = context.new_page()
    page.goto(f"{live_server.url}/demo/messages/")

    late = Message.objects.get(delivery=camille, channel=Channel.SMS, trigger=Trigger.RUNNING_LATE)
    late_bubble = page.locator(f"#sms-{late.pk}")
    assert late_bubble.is_visible()
    assert f"{eta.astimezone(camille.merchant.zone_info):%H:%M}" in late_bubble.inner_text()
    assert "Running late" in late_bubble.inner_text()

    out_for_delivery = Message.objects.get(delivery=camille, channel=Channel.SMS, trigger="out_for_delivery")
    bubble = page.locator(f"#sms-{out_for_delivery.pk} .sms-bubble")
    assert bubble.is_visible()
    assert out_for_delivery.body.splitlines()[0] in bubble.inner_text()
    newest_email = Message.objects.filter(delivery=camille, channel=Channel.EMAIL).latest("created_at", "pk")
    assert page.locator("#mail-reader-subject").inner_text() == newest_email.subject
    assert page.get_by_text(newest_email.subject).first.is_visible()
    frame = page.locator("iframe.mail-frame")
    assert frame.get_attribute("sandbox") == ""
    # The email is drawn inside its sandbox (and the screenshot waits for it).
    email_heading = page.frame_locator("iframe.mail-frame").get_by_role("heading", name=newest_email.subject)
    email_heading.wait_for()
    assert email_heading.is_visible()
    # Nothing is wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    if size == "desktop":  # the phone and the mail client side by side
        phone, mail = page.locator(".msg-phone").bounding_box(), page.locator(".msg-mail").bounding_box()
        assert phone["x"] + phone["width"] <= mail["x"] and abs(phone["y"] - mail["y"]) < 2
    # Chromium paints a sandboxed frame in a process of its own, and only once it has been on screen.
    frame.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"demo_messages_{size}.png"), full_page=True)

    booked = Message.objects.get(delivery=camille, channel=Channel.EMAIL, trigger="booked")
    page.locator(".mail-item a", has_text=booked.subject).click()
    page.wait_for_url(f"**email={booked.pk}**")
    assert page.locator("#mail-reader-subject").inner_text() == booked.subject
    page.frame_locator("iframe.mail-frame").get_by_role("heading", name=booked.subject).wait_for()
    assert "sandbox" in (page.locator("iframe.mail-frame").evaluate("f => [...f.attributes].map(a => a.name)"))
    page.screenshot(path=str(screenshots / f"demo_messages_{size}_booked.png"), full_page=size == "desktop")
    context.close()
