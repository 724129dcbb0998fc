"""The demo keeps customers' messages off the terminal (where they buried its address) and on its messages page."""

import pytest

from demo.outbox import CONSOLE_EMAIL, messages_to_the_demo_page
from notifications.models import Trigger
from tests.demo.conftest import DAYTIME, make_delivery, notify

pytestmark = pytest.mark.django_db


def test_a_booking_in_the_demo_prints_nothing_and_shows_on_the_messages_page(
        settings, capsys, client, staff, fresh_basket, clock_at, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND, settings.EMAIL_BACKEND = "console", CONSOLE_EMAIL  # what a bare install uses
    messages_to_the_demo_page(environ={})
    clock_at(DAYTIME)
    delivery = make_delivery(fresh_basket, order_ref="FB-777", recipient_phone="+33612345678",
                             recipient_email="camille@example.com")

    notify(delivery, Trigger.BOOKED, django_capture_on_commit_callbacks)

    assert capsys.readouterr().out == ""  # the console stand-ins printed the SMS and the whole email here
    client.force_login(staff)
    page = client.get("/demo/messages/?ref=FB-777").content.decode()
    assert page.count('class="sms-bubble"') == 1 and "Booking confirmed" in page


def test_a_backend_the_operator_chose_is_kept():
    from django.conf import settings

    before = settings.SMS_BACKEND, settings.EMAIL_BACKEND
    messages_to_the_demo_page(environ={"SMS_BACKEND": "console", "EMAIL_URL": "smtp://mail.example.com:587"})

    assert (settings.SMS_BACKEND, settings.EMAIL_BACKEND) == before
