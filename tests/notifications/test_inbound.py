"""POST /notifications/twilio/inbound/: signed texts from customers, STOP/START/HELP and reply-to-reschedule."""

import datetime as dt
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from twilio.request_validator import RequestValidator

from notifications.inbound import keyword
from notifications.models import Channel, InboundSms, Message, OptOut, SmsConversation
from scheduling.models import Delivery, Window
from scheduling.selectors import delivery_reschedule_offers
from scheduling.services import delivery_book
from tests.factories import DeliveryFactory, WindowFactory, WindowTemplateFactory
from tests.scheduling.conftest import ADDRESS, NOW

TOKEN = "twilio-auth-token-for-tests"
PATH = "/notifications/twilio/inbound/"
URL = f"http://testserver{PATH}"
CUSTOMER = "+33612345678"
OUR_NUMBER = "+33757000000"


@pytest.fixture(autouse=True)
def twilio_token(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_WEBHOOK_BASE_URL = ""


@pytest.fixture
def delivery(merchant, tomorrow_window):
    merchant.brand_name, merchant.support_phone = "Fresh Basket", "+33180000000"
    merchant.save(update_fields=["brand_name", "support_phone"])
    return delivery_book(merchant=merchant, order_ref="ORD-SMS", window=tomorrow_window, recipient_name="Camille",
                         recipient_phone=CUSTOMER, address_line1="12 Rue de Rivoli", address_city="Paris",
                         address_postcode="75004", language="en", **ADDRESS)


def twilio_params(body, sid="SM0001", sender=CUSTOMER) -> dict:
    return {"MessageSid": sid, "AccountSid": "AC0001", "From": sender, "To": OUR_NUMBER, "Body": body,
            "NumMedia": "0"}


def post_signed(client, params, *, signed_url=URL, signature=None, **headers):
    if signature is None:
        signature = RequestValidator(TOKEN).compute_signature(signed_url, params)
    return client.post(PATH, urlencode(params), content_type="application/x-www-form-urlencoded",
                       HTTP_X_TWILIO_SIGNATURE=signature, **headers)


def text(client, body, sid="SM0001", sender=CUSTOMER) -> str:
    """Send a signed text as Twilio would; the answer we give back in TwiML."""
    response = post_signed(client, twilio_params(body, sid=sid, sender=sender))
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/xml")
    return ElementTree.fromstring(response.content).findtext("Message") or ""


# --- The signature ------------------------------------------------------------------------------------

def test_a_text_signed_by_twilio_is_answered(client, delivery):
    response = post_signed(client, twilio_params("HELP"))
    assert response.status_code == 200
    assert InboundSms.objects.get().handled_as == "help"


def test_a_tampered_parameter_is_refused(client, delivery):
    params = twilio_params("HELP")
    signature = RequestValidator(TOKEN).compute_signature(URL, params)
    response = post_signed(client, params | {"Body": "STOP"}, signature=signature)
    assert response.status_code == 403
    assert b"signature" in response.content
    assert not InboundSms.objects.exists() and not OptOut.objects.exists()


def test_a_missing_signature_is_refused(client, delivery):
    response = client.post(PATH, urlencode(twilio_params("STOP")), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403
    assert not OptOut.objects.exists()


def test_a_signature_made_with_another_token_is_refused(client, delivery):
    params = twilio_params("STOP")
    response = post_signed(client, params, signature=RequestValidator("someone-else").compute_signature(URL, params))
    assert response.status_code == 403
    assert not OptOut.objects.exists()


def test_without_an_auth_token_every_text_is_refused(client, delivery, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    params = twilio_params("STOP")
    response = post_signed(client, params, signature=RequestValidator("").compute_signature(URL, params))
    assert response.status_code == 403


def test_behind_a_tls_proxy_the_https_signature_passes_when_the_forwarded_scheme_is_trusted(client, delivery, settings):
    https_url = f"https://testserver{PATH}"
    params = twilio_params("HELP")
    assert post_signed(client, params, signed_url=https_url, HTTP_X_FORWARDED_PROTO="https").status_code == 403
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert post_signed(client, params, signed_url=https_url, HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_the_configured_public_base_is_the_url_twilio_signed(client, delivery, settings):
    settings.TWILIO_WEBHOOK_BASE_URL = "https://portal.example.com"
    params = twilio_params("HELP")
    assert post_signed(client, params).status_code == 403
    assert post_signed(client, params, signed_url=f"https://portal.example.com{PATH}").status_code == 200


def test_a_get_is_not_a_webhook(client):
    assert client.get(PATH).status_code == 405


# --- STOP, START, HELP -----------------------------------------------------------------------------------

def queued_sms(merchant, to=CUSTOMER, channel=Channel.SMS, status=Message.Status.QUEUED, template="reminder"):
    return Message.objects.create(merchant=merchant, channel=channel, template=template, to=to, body="Tomorrow",
                                  status=status)


def test_stop_opts_the_number_out_and_suppresses_its_queued_texts_at_once(client, merchant, delivery):
    waiting = queued_sms(merchant)
    already_sent = queued_sms(merchant, status=Message.Status.SENT, template="booked")
    email = queued_sms(merchant, to="camille@example.com", channel=Channel.EMAIL)
    someone_else = queued_sms(merchant, to="+33698765432")

    answer = text(client, "STOP")

    assert OptOut.objects.filter(merchant=merchant, channel=Channel.SMS, address=CUSTOMER).exists()
    assert Message.objects.get(pk=waiting.pk).status == Message.Status.SUPPRESSED
    assert Message.objects.get(pk=already_sent.pk).status == Message.Status.SENT
    assert Message.objects.get(pk=email.pk).status == Message.Status.QUEUED
    assert Message.objects.get(pk=someone_else.pk).status == Message.Status.QUEUED
    assert "Fresh Basket" in answer and "START" in answer
    assert InboundSms.objects.get().handled_as == "stop"


def test_stop_opts_out_of_every_merchant_delivering_to_the_number(client, merchant, outsider_merchant, delivery, zone):
    other_window = WindowFactory(template=WindowTemplateFactory(merchant=outsider_merchant, zone=zone))
    DeliveryFactory(window=other_window, recipient_phone=CUSTOMER)
    text(client, "Stop")
    assert set(OptOut.objects.values_list("merchant__slug", flat=True)) == {merchant.slug, outsider_merchant.slug}


@pytest.mark.parametrize("body", ["STOP", " stop ", "StopAll", "UNSUBSCRIBE", "cancel", "End", "QUIT",
                                  "ARRET", "arrêt", " Arrêt "])
def test_every_stop_word_opts_out(client, merchant, delivery, body):
    text(client, body)
    assert OptOut.objects.filter(merchant=merchant, address=CUSTOMER).exists()


def test_the_french_arret_is_answered_in_french(client, merchant, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(language="fr")
    answer = text(client, "ARRÊT")
    assert OptOut.objects.filter(merchant=merchant, channel=Channel.SMS, address=CUSTOMER).exists()
    assert "vous ne recevrez plus nos SMS" in answer


def test_start_opts_the_number_back_in(client, merchant, delivery):
    text(client, "STOP", sid="SM0001")
    answer = text(client, "start", sid="SM0002")
    assert not OptOut.objects.filter(address=CUSTOMER).exists()
    assert "again" in answer
    text(client, "UNSTOP", sid="SM0003")
    assert not OptOut.objects.exists()


def test_help_answers_with_the_brand_and_a_contact(client, delivery):
    answer = text(client, "help")
    assert "Fresh Basket" in answer and "+33180000000" in answer


def test_a_number_we_never_delivered_to_gets_a_plain_answer(client, delivery):
    answer = text(client, "HELP", sender="+33698765432")
    assert "no delivery" in answer
    assert InboundSms.objects.get().handled_as == "help"


def test_the_same_message_twice_has_one_effect_and_the_same_answer(client, merchant, delivery):
    text(client, "STOP", sid="SM0001")
    text(client, "START", sid="SM0002")
    again = text(client, "STOP", sid="SM0001")
    assert "Fresh Basket" in again
    assert not OptOut.objects.exists(), "the replayed STOP was acted on again"
    assert InboundSms.objects.count() == 2


@pytest.mark.parametrize(("body", "word"), [(" Arrêt ", "ARRET"), ("stop.", "STOP"), ("r", "R"), (" 2 ", "2")])
def test_a_keyword_ignores_case_accents_and_spaces(body, word):
    assert keyword(body) == word


# --- Reply to reschedule -----------------------------------------------------------------------------

def test_r_then_a_number_moves_the_delivery_and_its_place(client, delivery, tomorrow_window, frozen_now):
    expected = [o.window.pk for o in delivery_reschedule_offers(delivery=delivery, now=NOW)[:3]]
    offer = text(client, "R", sid="SM0001")
    assert "1." in offer and "2." in offer and "3." in offer
    conversation = SmsConversation.objects.get()
    assert conversation.offered_window_ids == expected

    answer = text(client, "2", sid="SM0002")

    second = Window.objects.get(pk=expected[1])
    moved = Delivery.objects.get(pk=delivery.pk)
    assert moved.window_id == second.pk
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 0
    assert second.booked == 1
    assert "done" in answer and second.starts_at.astimezone(moved.merchant.zone_info).strftime("%H:%M") in answer
    # The offer is used up: the same digit again is not a second move.
    again = text(client, "2", sid="SM0003")
    assert "Reply R" in again
    assert Window.objects.get(pk=second.pk).booked == 1


def test_the_offer_names_days_and_hours_in_the_customers_language(client, delivery, frozen_now):
    Delivery.objects.filter(pk=delivery.pk).update(language="fr")
    offer = text(client, "changer")
    assert "répondez 1, 2 ou 3" in offer
    assert "lundi" in offer or "mardi" in offer


def test_a_replayed_choice_moves_the_delivery_once(client, delivery, tomorrow_window, frozen_now):
    text(client, "R", sid="SM0001")
    first = text(client, "1", sid="SM0002")
    again = text(client, "1", sid="SM0002")
    assert again == first
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 0
    assert Window.objects.filter(booked=1).count() == 1


def test_a_number_after_the_offer_expired_gets_help(client, delivery, tomorrow_window, frozen_now):
    text(client, "R", sid="SM0001")
    frozen_now(NOW + dt.timedelta(minutes=31))
    answer = text(client, "1", sid="SM0002")
    assert "Reply R" in answer
    assert Delivery.objects.get(pk=delivery.pk).window_id == tomorrow_window.pk


@pytest.mark.parametrize("body", ["4", "0", "12"])
def test_a_number_out_of_range_gets_help(client, delivery, tomorrow_window, frozen_now, body):
    text(client, "R", sid="SM0001")
    answer = text(client, body, sid="SM0002")
    assert "Reply R" in answer and "STOP" in answer
    assert Delivery.objects.get(pk=delivery.pk).window_id == tomorrow_window.pk


def test_a_number_without_an_offer_gets_help(client, delivery, tomorrow_window, frozen_now):
    answer = text(client, "1")
    assert "Reply R" in answer
    assert InboundSms.objects.get().handled_as == "unknown"
    assert Delivery.objects.get(pk=delivery.pk).window_id == tomorrow_window.pk


def test_anything_else_gets_a_short_help(client, delivery, frozen_now):
    answer = text(client, "when are you coming?")
    assert "Reply R" in answer and len(answer) <= 160


def test_a_window_that_filled_meanwhile_is_refused_plainly_and_offered_again(client, delivery, tomorrow_window,
                                                                              frozen_now):
    text(client, "R", sid="SM0001")
    chosen = SmsConversation.objects.get().offered_window_ids[1]
    full = Window.objects.get(pk=chosen)
    Window.objects.filter(pk=chosen).update(capacity=3, booked=3)

    answer = text(client, "2", sid="SM0002")

    assert answer.startswith("Sorry, that window has just filled up.")
    assert "1." in answer
    assert Delivery.objects.get(pk=delivery.pk).window_id == tomorrow_window.pk
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 1
    assert Window.objects.get(pk=full.pk).booked == 3
    live = SmsConversation.objects.filter(expires_at__gt=NOW).get()
    assert chosen not in live.offered_window_ids


def test_a_delivery_too_close_to_move_says_so(client, delivery, tomorrow_window, frozen_now):
    frozen_now(tomorrow_window.starts_at - dt.timedelta(minutes=30))
    answer = text(client, "R")
    assert "too late" in answer
    assert not SmsConversation.objects.exists()
