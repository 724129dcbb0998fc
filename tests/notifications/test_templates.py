"""A merchant's own wording per trigger and language: used instead of the defaults, filled safely, previewed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from notifications import services
from notifications.models import Channel, MessageTemplate, Trigger
from notifications.rendering import PLACEHOLDERS, SMS_MAX_CHARS, message_render
from tests.factories import MerchantFactory
from tests.notifications.conftest import DAYTIME, make_delivery

pytestmark = pytest.mark.django_db

FRENCH_BOOKED = "{brand} : c'est noté pour {window_label}, {first_name}. Suivez votre colis : {tracking_url}"
EVERY_PLACEHOLDER = " ".join(f"{{{name}}}" for name in PLACEHOLDERS)


@pytest.fixture(autouse=True)
def daytime(clock_at, settings):
    clock_at(DAYTIME)
    settings.PUBLIC_BASE_URL = "https://deliveries.example.com"


@pytest.fixture
def french_delivery(shop):
    return make_delivery(shop, language="fr", recipient_name="Camille Durand", recipient_phone="+33612345678",
                         recipient_email="camille@example.com", access_notes="Door code 4521B")


def override(merchant, *, trigger=Trigger.BOOKED, language="fr", channel=Channel.SMS, subject="", body=FRENCH_BOOKED):
    template = MessageTemplate(merchant=merchant, trigger=trigger, language=language, channel=channel,
                               subject=subject, body=body)
    template.full_clean()
    template.save()
    return template


def booked_sms(delivery) -> str:
    [sms] = [m for m in services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:1")
             if m.channel == Channel.SMS]
    services.message_send(message_id=sms.pk)
    return sms.body


def test_a_merchants_override_is_what_the_customer_receives(shop, french_delivery, sms_outbox):
    override(shop)

    booked_sms(french_delivery)

    [sms] = sms_outbox
    assert sms.body == ("Fresh Basket : c'est noté pour Mercredi 3 juin, 10:00–12:00, Camille. Suivez votre colis : "
                        f"https://deliveries.example.com/t/{french_delivery.tracking_token}/")


def test_an_email_override_is_sent_in_the_brands_layout(shop, french_delivery):
    override(shop, channel=Channel.EMAIL, subject="Commande {order_ref} réservée",
             body="Bonjour {first_name} <b>!</b>\n\nSuivi : {tracking_url}")

    rendered = message_render(delivery=french_delivery, trigger=Trigger.BOOKED)

    assert rendered.subject == f"Commande {french_delivery.order_ref} réservée"
    assert rendered.text.startswith(f"Bonjour Camille <b>!</b>\n\nSuivi : {rendered_tracking(french_delivery)}\n\n")
    # The shop's own wording still ends with how to reach the shop.
    assert rendered.text.endswith("Des questions ? Fresh Basket · +33 1 40 00 00 00")
    assert "Bonjour Camille &lt;b&gt;!&lt;/b&gt;" in rendered.html and "#2e7d32" in rendered.html
    assert f'<a href="{rendered_tracking(french_delivery)}"' in rendered.html
    assert "Suivre ma livraison" in rendered.html  # the French layout's button
    assert rendered.sms.startswith("Fresh Basket : votre livraison")  # the SMS: still the default


def rendered_tracking(delivery) -> str:
    return f"https://deliveries.example.com/t/{delivery.tracking_token}/"


def test_without_overrides_the_file_templates_are_used(shop, french_delivery):
    rendered = message_render(delivery=french_delivery, trigger=Trigger.BOOKED)

    assert rendered.sms.startswith("Fresh Basket : votre livraison")
    assert rendered.subject == "Votre livraison est réservée : Mercredi 3 juin, 10:00–12:00"


def test_another_merchants_override_is_not_used(shop, french_delivery):
    override(MerchantFactory(slug="other-shop", name="Other Shop"), body="Other Shop says {window_label}")

    assert message_render(delivery=french_delivery, trigger=Trigger.BOOKED).sms.startswith(
        "Fresh Basket : votre livraison")


def test_an_override_in_another_language_or_trigger_is_not_used(shop, french_delivery):
    override(shop, language="en", body="English {window_label}")
    override(shop, trigger=Trigger.DELIVERED, body="Livré {order_ref}")

    assert message_render(delivery=french_delivery, trigger=Trigger.BOOKED).sms.startswith(
        "Fresh Basket : votre livraison")


@pytest.mark.parametrize("body", [
    "{% load static %}{% static 'x' %}",
    "Hello {{ delivery.recipient_phone }}",
    "Delivering to {address}",
    "{brand.__class__}",
    "{first_name!r}",
    "{window_label:>40}",
    "{0}",
])
def test_anything_but_a_documented_placeholder_is_refused(shop, body):
    with pytest.raises(ValidationError) as refused:
        override(shop, body=body)

    [message] = refused.value.message_dict["body"]
    assert "Unknown placeholder" in message
    assert all(f"{{{name}}}" in message for name in PLACEHOLDERS)


@pytest.mark.parametrize("body", ["Hello {first_name", "Hello first_name}", "{ {brand}"])
def test_a_malformed_brace_is_refused(shop, body):
    with pytest.raises(ValidationError) as refused:
        override(shop, body=body)

    [message] = refused.value.message_dict["body"]
    assert "brace" in message and "{window_label}" in message


def test_an_sms_longer_than_three_segments_is_refused(shop):
    with pytest.raises(ValidationError) as refused:
        override(shop, body="x" * (SMS_MAX_CHARS - 20) + " {tracking_url}")

    [message] = refused.value.message_dict["body"]
    assert "too long" in message and str(SMS_MAX_CHARS) in message
    override(shop, body="x" * (SMS_MAX_CHARS - 60) + " {tracking_url}")  # fits once filled in


def test_subjects_belong_to_emails(shop):
    with pytest.raises(ValidationError) as refused:
        override(shop, channel=Channel.EMAIL, subject="", body="Hello")
    assert "subject" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        override(shop, channel=Channel.SMS, subject="Hi", body="Hello")
    assert "subject" in refused.value.message_dict


@pytest.mark.parametrize("trigger", Trigger.values)
def test_no_override_can_output_the_address_or_the_door_code(shop, french_delivery, trigger):
    french_delivery.address_line1 = "12 rue de Rivoli"
    french_delivery.save()
    override(shop, trigger=trigger, body=EVERY_PLACEHOLDER)
    override(shop, trigger=trigger, channel=Channel.EMAIL, subject=EVERY_PLACEHOLDER, body=EVERY_PLACEHOLDER)
    # Saved around the validation, as a shell or a data migration could: never filled, the default is sent.
    MessageTemplate.objects.filter(merchant=shop, trigger=trigger, channel=Channel.SMS).update(
        body="{address} {access_notes} {delivery.access_notes} {{ delivery.address_line1 }}")

    rendered = message_render(delivery=french_delivery, trigger=trigger)

    everything = " ".join([rendered.sms, rendered.subject, rendered.text, rendered.html])
    assert "Rivoli" not in everything and "4521B" not in everything and "{" not in rendered.sms
    assert "Camille" in rendered.text  # the email override was used


def test_the_admin_refuses_a_template_tag_naming_the_allowed_placeholders(shop, admin_client):
    response = admin_client.post(reverse("admin:notifications_messagetemplate_add"), {
        "merchant": shop.pk, "trigger": Trigger.BOOKED, "language": "fr", "channel": Channel.SMS,
        "subject": "", "body": "{% include 'x.html' %}"})

    assert response.status_code == 200 and not MessageTemplate.objects.exists()
    assert "Unknown placeholder" in response.content.decode()
    assert "{window_label}" in response.context["adminform"].form.errors["body"][0]


def test_the_admin_previews_the_sample_delivery(shop, admin_client):
    sms = override(shop)
    email = override(shop, channel=Channel.EMAIL, subject="Réservé pour {first_name}",
                     body="{brand} livre {window_label}.")

    sms_page = admin_client.get(reverse("admin:notifications_messagetemplate_change", args=[sms.pk])).content.decode()
    email_page = admin_client.get(
        reverse("admin:notifications_messagetemplate_change", args=[email.pk])).content.decode()

    # Tomorrow after DAYTIME (Tuesday 2 June 2026) in Paris.
    assert ("Fresh Basket : c&#x27;est noté pour Mercredi 3 juin, 10:00–12:00, Camille. Suivez votre colis : "
            "https://deliveries.example.com/t/SAMPLE/") in sms_page
    assert "Réservé pour Camille" in email_page and "Fresh Basket livre Mercredi 3 juin, 10:00–12:00." in email_page
    assert "{window_label}" in email_page  # the help text documents the placeholders
    # The email sits whole in the iframe's attribute, escaped: its own quotes must not end it.
    srcdoc = email_page.split('srcdoc="', 1)[1].split('"', 1)[0]
    assert srcdoc.startswith("&lt;!DOCTYPE html&gt;") and srcdoc.rstrip().endswith("&lt;/html&gt;")


def test_the_admin_list_shows_what_each_template_is_for(shop, admin_client):
    override(shop)

    page = admin_client.get(reverse("admin:notifications_messagetemplate_changelist")).content.decode()

    assert "Fresh Basket" in page and "Booking confirmed" in page and "Français" in page and "SMS" in page


def test_every_email_ends_with_the_shops_support_contact(shop, french_delivery):
    shop.support_email = "aide@freshbasket.example"
    shop.support_days, shop.support_opens, shop.support_closes = [1, 2, 3, 4, 5, 6], dt.time(8), dt.time(20)
    shop.save()

    for trigger in (Trigger.BOOKED, Trigger.CANCELLED):
        rendered = message_render(delivery=french_delivery, trigger=trigger)

        assert rendered.text.splitlines()[-1] == (
            "Des questions ? Fresh Basket · +33 1 40 00 00 00 · aide@freshbasket.example (lun.–sam. 8:00–20:00)")
        assert "aide@freshbasket.example (lun.–sam. 8:00–20:00)" in rendered.html
