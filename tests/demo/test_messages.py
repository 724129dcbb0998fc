"""The demo's message viewer shows staff what customers were sent, and never runs an email's HTML."""

import datetime as dt
from html.parser import HTMLParser

import pytest

from notifications.models import Channel, Message, Trigger
from portal.home import home_links
from tests.demo.conftest import make_delivery, notify

pytestmark = pytest.mark.django_db

URL = "/demo/messages/"


class Elements(HTMLParser):
    """Every element of a page with its attributes, as a browser would build them."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(html)
    return parser.elements


def test_staff_see_each_sms_and_the_newest_email(client, staff, camille):
    client.force_login(staff)
    body = client.get(URL).content.decode()

    sms = Message.objects.filter(delivery=camille, channel=Channel.SMS)
    assert sms.count() == 2 and all(m.status == Message.Status.SENT for m in sms)
    assert body.count('class="sms-bubble"') == 2
    assert body.count('class="sms-thread"') == 1  # both SMS went to one number: one thread
    assert "+33 6 12 34 56 78" in body and "Out for delivery" in body and "Booking confirmed" in body
    newest_email = Message.objects.filter(delivery=camille, channel=Channel.EMAIL).latest("created_at", "pk")
    assert newest_email.subject in body
    assert f"/care/deliveries/{camille.pk}/" in body and f"/t/{camille.tracking_token}/" in body
    assert "Sent" in body


def test_an_emails_html_is_only_ever_inside_the_sandboxed_iframe(client, staff, camille):
    email = Message.objects.filter(delivery=camille, channel=Channel.EMAIL).latest("created_at", "pk")
    hostile = '<p id="payload">Hi</p><script>alert("owned")</script><img src=x onerror="alert(1)">'
    Message.objects.filter(pk=email.pk).update(html_body=hostile, subject='<b id="subject">Bold</b>')
    client.force_login(staff)

    page = client.get(URL, {"email": email.pk}).content.decode()

    found = elements(page)
    assert [attrs.get("src") for tag, attrs in found if tag == "script"] == ["/static/demo/messages.js"]
    assert not [attrs for _, attrs in found if attrs.get("id") in ("payload", "subject") or "onerror" in attrs]
    frames = [attrs for tag, attrs in found if tag == "iframe"]
    assert len(frames) == 1
    assert frames[0]["sandbox"] == "" and frames[0]["srcdoc"] == hostile
    assert "&lt;b id=&quot;subject&quot;&gt;Bold&lt;/b&gt;" in page


def test_an_email_picked_in_the_list_opens_in_the_reader(client, staff, camille):
    booked = Message.objects.get(delivery=camille, channel=Channel.EMAIL, trigger=Trigger.BOOKED)
    client.force_login(staff)
    page = client.get(URL, {"email": booked.pk}).content.decode()
    frame = next(attrs for tag, attrs in elements(page) if tag == "iframe")
    assert frame["srcdoc"] == booked.html_body
    assert 'aria-current="true"' in page


def test_the_channel_filter_keeps_one_channel(client, staff, camille):
    client.force_login(staff)
    only_sms = client.get(URL, {"channel": "sms"}).content.decode()
    assert only_sms.count('class="sms-bubble"') == 2 and "<iframe" not in only_sms
    only_email = client.get(URL, {"channel": "email"}).content.decode()
    assert 'class="sms-bubble"' not in only_email and "<iframe" in only_email


def test_the_reference_filter_keeps_one_delivery(client, staff, camille, fresh_basket,
                                                 django_capture_on_commit_callbacks):
    jules = make_delivery(fresh_basket, order_ref="FB-777", recipient_phone="+33698765432", recipient_email="")
    notify(jules, Trigger.BOOKED, django_capture_on_commit_callbacks)
    client.force_login(staff)

    assert "+33698765432" in client.get(URL).content.decode()
    by_ref = client.get(URL, {"ref": "fb-20931"}).content.decode()
    assert "+33612345678" in by_ref and "+33698765432" not in by_ref
    by_id = client.get(URL, {"ref": str(jules.pk)}).content.decode()
    assert "+33698765432" in by_id and "+33612345678" not in by_id
    nothing = client.get(URL, {"ref": "NOPE-1"}).content.decode()
    assert "No message matches these filters" in nothing and 'class="sms-bubble"' not in nothing


def test_times_are_shown_in_the_merchants_time_zone(client, staff, camille, fresh_basket):
    fresh_basket.time_zone = "Europe/London"
    fresh_basket.save()
    Message.objects.filter(delivery=camille).update(created_at=dt.datetime(2026, 6, 2, 8, 5, tzinfo=dt.UTC))
    client.force_login(staff)
    body = client.get(URL).content.decode()
    assert "09:05 BST" in body and "10:05" not in body


def test_the_empty_page_says_what_will_appear_and_how(client, staff):
    client.force_login(staff)
    body = client.get(URL).content.decode()
    assert "No message has been sent yet" in body
    assert "newest 0" not in body
    assert 'href="/demo/checkout/"' in body and "simulated vans" in body


def test_a_signed_in_user_without_a_care_role_is_refused(client, outsider, camille):
    client.force_login(outsider)
    response = client.get(URL)
    assert response.status_code == 403 and "+33612345678" not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, camille):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "+33612345678" not in response.content.decode()


def test_the_home_page_links_to_the_messages(db):
    assert URL in [link.url for link in home_links()]
