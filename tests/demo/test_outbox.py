"""The demo keeps customers' messages off the terminal (where they buried its address) and on its messages page."""

import importlib.util
from pathlib import Path

import pytest

from demo.outbox import CONSOLE_EMAIL, links_to_this_server, messages_to_the_demo_page
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


def test_a_demo_served_on_another_port_sends_links_to_that_port(
        settings, fresh_basket, clock_at, sms_outbox, django_capture_on_commit_callbacks):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"  # the default, where nothing answers on this demo
    links_to_this_server(host="127.0.0.1", port=8011, environ={})
    clock_at(DAYTIME)
    delivery = make_delivery(fresh_basket, recipient_phone="+33612345678")

    notify(delivery, Trigger.BOOKED, django_capture_on_commit_callbacks)

    assert f"http://127.0.0.1:8011/t/{delivery.tracking_token}/" in sms_outbox[-1].body


def test_a_public_address_the_operator_set_is_kept(settings):
    settings.PUBLIC_BASE_URL = "https://track.example.com"
    links_to_this_server(host="0.0.0.0", port=8011, environ={"PUBLIC_BASE_URL": "https://track.example.com"})

    assert settings.PUBLIC_BASE_URL == "https://track.example.com"


@pytest.mark.parametrize(("extra", "address"), [
    ([], "http://127.0.0.1:8000"),
    (["--port", "8011"], "http://127.0.0.1:8011"),
    (["--host=0.0.0.0", "--port=9000", "--speed", "20"], "http://0.0.0.0:9000"),
])
def test_the_readme_demo_command_seeds_links_to_the_port_it_serves(extra, address):
    spec = importlib.util.spec_from_file_location("run_script", Path(__file__).resolve().parents[2] / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)

    assert run._demo_address(extra) == address
